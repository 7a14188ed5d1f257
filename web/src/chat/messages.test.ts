import { describe, expect, it } from 'vitest';
import { type ConversationMessage, chatItemsOf } from './messages.ts';

let n = 0;
const msg = (
  role: ConversationMessage['role'],
  content: string,
  data: ConversationMessage['data'] = {},
): ConversationMessage => ({
  id: `msg_${++n}`,
  role,
  content,
  data,
  agentId: 'agt_1',
  conversationId: 'cnv_1',
  createdAt: '2026-01-01T00:00:00Z',
  seq: n,
});

describe('chatItemsOf', () => {
  it('pairs tool results with their calls and keeps the order of the conversation', () => {
    const items = chatItemsOf([
      msg('user', '/tool time.now {}'),
      msg('tool_call', '{}', { toolName: 'time.now', callId: 'c1' }),
      msg('tool_result', 'noon', { callId: 'c1', toolName: 'time.now' }),
      msg('handoff', '', { from: 'agt_1', to: 'agt_2' }),
      msg('assistant', 'It is noon.'),
    ]);
    expect(items.map((i) => i.kind)).toEqual(['user', 'tool', 'handoff', 'text']);
    expect(items[1]).toMatchObject({ name: 'time.now', arguments: {}, output: 'noon', isError: false });
  });
});
