import type { AgentInputItem, ModelRequest, StreamEvent } from '@openai/agents';
import { describe, expect, it } from 'vitest';
import { parseScript, summariseToolResult, tokenWords, wordDeltas } from './script.ts';
import { planFromInput, ScriptedModel, ScriptedModelFailure } from './scripted-model.ts';

describe('parseScript', () => {
  it('treats plain text as one echo step, lines kept together', () => {
    expect(parseScript('hello there')).toEqual([{ kind: 'text', text: 'hello there' }]);
    expect(parseScript('line one\nline two')).toEqual([{ kind: 'text', text: 'line one\nline two' }]);
    expect(parseScript('')).toEqual([{ kind: 'text', text: '' }]);
  });

  it('parses every command, in order, with text between them', () => {
    const message = [
      'first',
      '/tool math.calculate {"expression": "1 + 2"}',
      '/sleep 50',
      '/tokens 3',
      '/handoff billing',
      'for billing',
      '/fail upstream exploded',
    ].join('\n');
    expect(parseScript(message)).toEqual([
      { kind: 'text', text: 'first' },
      { kind: 'tool', name: 'math.calculate', args: '{"expression": "1 + 2"}' },
      { kind: 'sleep', ms: 50 },
      { kind: 'tokens', count: 3 },
      { kind: 'handoff', slug: 'billing' },
      { kind: 'text', text: 'for billing' },
      { kind: 'fail', message: 'upstream exploded' },
    ]);
  });

  it('handles text after a command on the same line after the command', () => {
    expect(parseScript('/handoff billing I want a refund\nplease')).toEqual([
      { kind: 'handoff', slug: 'billing' },
      { kind: 'text', text: 'I want a refund\nplease' },
    ]);
    expect(parseScript('/sleep 10 then this')).toEqual([
      { kind: 'sleep', ms: 10 },
      { kind: 'text', text: 'then this' },
    ]);
  });

  it('defaults tool arguments to {} and /fail to a stock message', () => {
    expect(parseScript('/tool time.now')).toEqual([{ kind: 'tool', name: 'time.now', args: '{}' }]);
    expect(parseScript('/fail')).toEqual([{ kind: 'fail', message: 'the scripted model was told to fail' }]);
  });

  it('answers malformed commands in words instead of guessing', () => {
    expect(parseScript('/tool')).toEqual([
      { kind: 'invalid', message: '/tool needs a tool name, e.g. /tool time.now {}' },
    ]);
    expect(parseScript('/handoff')).toEqual([
      { kind: 'invalid', message: '/handoff needs an agent slug, e.g. /handoff billing' },
    ]);
    expect(parseScript('/sleep soon')).toEqual([
      { kind: 'invalid', message: '/sleep needs a whole number of milliseconds, e.g. /sleep 100' },
    ]);
    expect(parseScript('/tokens 1000000')).toEqual([
      { kind: 'invalid', message: '/tokens takes at most 100000 words' },
    ]);
  });

  it('leaves unknown slash words and mid-line commands as text', () => {
    expect(parseScript('/help me')).toEqual([{ kind: 'text', text: '/help me' }]);
    expect(parseScript('say /fail now')).toEqual([{ kind: 'text', text: 'say /fail now' }]);
  });
});

describe('helpers', () => {
  it('tokenWords gives exactly n words', () => {
    expect(tokenWords(3)).toBe('word1 word2 word3');
    expect(tokenWords(1000).split(' ')).toHaveLength(1000);
  });

  it('wordDeltas splits a word at a time and joins back exactly', () => {
    const text = 'Echo: two  spaces\nand a line';
    expect(wordDeltas(text)).toEqual(['Echo:', ' two', '  spaces', '\nand', ' a', ' line']);
    expect(wordDeltas(text).join('')).toBe(text);
  });

  it('summarises tool results on one line and recognises errors', () => {
    expect(summariseToolResult('math.calculate', '{"result":3}')).toBe(
      'math.calculate returned: {"result":3}',
    );
    expect(summariseToolResult('http.get', 'Error: host x is not allowed')).toBe(
      'http.get failed: host x is not allowed',
    );
    expect(summariseToolResult('t', 'a\n b')).toBe('t returned: a b');
    expect(summariseToolResult('t', 'x'.repeat(300))).toHaveLength('t returned: '.length + 200);
  });
});

describe('planFromInput', () => {
  const user = (content: string): AgentInputItem => ({ role: 'user', content });
  const call = (name: string, callId: string): AgentInputItem => ({
    type: 'function_call',
    name,
    callId,
    arguments: '{}',
    status: 'completed',
  });
  const result = (name: string, callId: string, text: string): AgentInputItem => ({
    type: 'function_call_result',
    name,
    callId,
    status: 'completed',
    output: { type: 'text', text },
  });

  it('starts at the first step of the latest user message', () => {
    const plan = planFromInput([user('/tool time.now'), result('time_now', 'c0', 'old'), user('hi')]);
    expect(plan.next).toBe(0);
    expect(plan.summary).toBeUndefined();
    expect(plan.steps).toEqual([{ kind: 'text', text: 'hi' }]);
  });

  it('resumes after the calls already made and summarises the last tool result', () => {
    const plan = planFromInput([
      user('a\n/tool time.now\nb\n/handoff x\nc'),
      call('time_now', 'c1'),
      result('time_now', 'c1', '{"iso":"2026"}'),
    ]);
    expect(plan.next).toBe(2);
    expect(plan.summary).toBe('time.now returned: {"iso":"2026"}');
  });

  it('skips calls another model made before handing off to this one', () => {
    const plan = planFromInput([
      user('I need the specialist\n/tool time.now'),
      call('transfer_to_specialist', 'c1'),
      result('transfer_to_specialist', 'c1', '{"assistant":"specialist"}'),
    ]);
    expect(plan.next).toBe(0);
    expect(plan.summary).toBeUndefined();
  });

  it('does not summarise a hand-off', () => {
    const plan = planFromInput([
      user('/handoff billing\nrefund'),
      call('transfer_to_billing', 'c1'),
      result('transfer_to_billing', 'c1', '{"assistant":"billing"}'),
    ]);
    expect(plan.next).toBe(1);
    expect(plan.summary).toBeUndefined();
  });
});

async function collect(request: Partial<ModelRequest>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  const full: ModelRequest = {
    input: '',
    modelSettings: {},
    tools: [],
    handoffs: [],
    outputType: 'text',
    tracing: false,
    ...request,
  };
  for await (const event of new ScriptedModel().getStreamedResponse(full)) events.push(event);
  return events;
}

describe('ScriptedModel', () => {
  it('streams an echo a word at a time and ends with the full message and usage', async () => {
    const events = await collect({ input: 'hello brave world' });
    expect(events[0]).toEqual({ type: 'response_started' });
    const deltas = events.flatMap((e) => (e.type === 'output_text_delta' ? [e.delta] : []));
    expect(deltas).toEqual(['Echo:', ' hello', ' brave', ' world']);
    const done = events.at(-1);
    if (done?.type !== 'response_done') throw new Error('no response_done');
    expect(done.response.output).toMatchObject([
      {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'Echo: hello brave world' }],
      },
    ]);
    expect(done.response.usage).toMatchObject({ inputTokens: 3, outputTokens: 4, totalTokens: 7 });
  });

  it('emits text before a tool call in the same response, with the SDK function name', async () => {
    const events = await collect({ input: 'before\n/tool math.calculate {"expression":"2+2"}\nafter' });
    const done = events.at(-1);
    if (done?.type !== 'response_done') throw new Error('no response_done');
    expect(done.response.output).toMatchObject([
      { type: 'message', content: [{ text: 'Echo: before' }] },
      { type: 'function_call', name: 'math_calculate', arguments: '{"expression":"2+2"}' },
    ]);
  });

  it('ends the turn with an empty reply when there is nothing to say', async () => {
    const events = await collect({ input: '/sleep 1' });
    const done = events.at(-1);
    if (done?.type !== 'response_done') throw new Error('no response_done');
    expect(done.response.output).toMatchObject([
      { type: 'message', content: [{ type: 'output_text', text: '' }] },
    ]);
  });

  it('/tokens streams exactly n words', async () => {
    const events = await collect({ input: '/tokens 1000' });
    expect(events.filter((e) => e.type === 'output_text_delta')).toHaveLength(1000);
  });

  it('/fail fails the call with its message, after streaming what came before', async () => {
    const events: StreamEvent[] = [];
    const request = { input: 'first\n/fail upstream said no' } as ModelRequest;
    await expect(async () => {
      for await (const e of new ScriptedModel().getStreamedResponse({ ...request, tools: [], handoffs: [] }))
        events.push(e);
    }).rejects.toThrow(new ScriptedModelFailure('upstream said no'));
    expect(events.filter((e) => e.type === 'output_text_delta')).toHaveLength(2);
  });

  it('/sleep waits, and an abort ends the wait at once', async () => {
    const started = Date.now();
    await collect({ input: '/sleep 60\nawake' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const t0 = Date.now();
    await expect(collect({ input: '/sleep 10000', signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('getResponse returns the same output without streaming', async () => {
    const response = await new ScriptedModel().getResponse({
      input: 'hi',
      modelSettings: {},
      tools: [],
      handoffs: [],
      outputType: 'text',
      tracing: false,
    });
    expect(response.output).toMatchObject([{ type: 'message', content: [{ text: 'Echo: hi' }] }]);
    expect(response.usage.outputTokens).toBe(2);
  });
});
