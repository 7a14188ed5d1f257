import { describe, expect, it } from 'vitest';
import { AppError } from '../platform/errors.ts';
import { checkRequest, createContentJoiner, errorType, turnFromMessages } from './openai-format.ts';

describe('turnFromMessages', () => {
  it('takes the last user message as the input and earlier messages as history', () => {
    const turn = turnFromMessages([
      { role: 'system', content: 'left out' },
      { role: 'user', content: 'one' },
      {
        role: 'assistant',
        content: 'calling',
        tool_calls: [{ id: 'c1', function: { name: 'lookup', arguments: '{"q":1}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'found' },
      { role: 'assistant', content: [{ type: 'text', text: 'two' }] },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'thr' },
          { type: 'text', text: 'ee' },
        ],
      },
    ]);
    expect(turn.input).toBe('three');
    expect(turn.context).toEqual([
      { role: 'user', agentId: null, content: 'one', data: {} },
      { role: 'assistant', agentId: null, content: 'calling', data: {} },
      { role: 'tool_call', agentId: null, content: '{"q":1}', data: { toolName: 'lookup', callId: 'c1' } },
      { role: 'tool_result', agentId: null, content: 'found', data: { toolName: 'lookup', callId: 'c1' } },
      { role: 'assistant', agentId: null, content: 'two', data: {} },
    ]);
  });

  it('refuses a last message that is not the user, empty text and non-text parts', () => {
    let thrown: unknown;
    try {
      turnFromMessages([
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
      ]);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({
      status: 400,
      code: 'invalid_messages',
      message:
        'the last message must be from the user (it is the input of the turn); it is from the assistant',
      details: { param: 'messages[1].role' },
    });
    expect(() => turnFromMessages([{ role: 'user', content: '  ' }])).toThrow(
      'the last user message has no text',
    );
    expect(() => turnFromMessages([{ role: 'user', content: [{ type: 'image_url' }] }])).toThrow(
      'messages[0].content[0] is of type image_url; only text is supported',
    );
  });
});

describe('checkRequest', () => {
  const base = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };
  it('refuses n > 1 and client tools', () => {
    expect(() => checkRequest({ ...base, n: 2 })).toThrow('n must be 1: an agent gives one reply per turn');
    expect(() => checkRequest({ ...base, tools: [{ type: 'function' }] })).toThrow(
      /^tools are not supported/,
    );
    expect(() => checkRequest({ ...base, n: 1, tools: [] })).not.toThrow();
  });
});

describe('createContentJoiner', () => {
  it('streams deltas with a blank line before a later message, and joins the same text whole', () => {
    const joiner = createContentJoiner();
    const streamed = [joiner.delta('Echo:'), joiner.delta(' hi')];
    joiner.completed('Echo: hi');
    joiner.completed(''); // a reply with no text adds nothing
    streamed.push(joiner.delta('done'), joiner.delta('!'));
    joiner.completed('done!');
    expect(streamed.join('')).toBe('Echo: hi\n\ndone!');
    expect(joiner.text()).toBe('Echo: hi\n\ndone!');
  });
});

describe('errorType', () => {
  it('names errors as OpenAI SDKs classify them', () => {
    expect([400, 401, 403, 404, 409, 429, 500, 502, 503].map(errorType)).toEqual([
      'invalid_request_error',
      'authentication_error',
      'permission_error',
      'not_found_error',
      'invalid_request_error',
      'rate_limit_error',
      'server_error',
      'api_error',
      'server_error',
    ]);
  });
});
