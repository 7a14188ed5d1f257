import { describe, expect, it } from 'vitest';
import { historyToItems } from './agent-turn.ts';
import type { TurnMessage } from './events.ts';

const msg = (role: TurnMessage['role'], content: string, data: TurnMessage['data'] = {}): TurnMessage => ({
  role,
  agentId: 'agt_1',
  content,
  data,
});

describe('historyToItems', () => {
  it('turns stored messages into SDK input items, tool names as the model sees them', () => {
    expect(
      historyToItems([
        msg('user', 'what time is it?'),
        msg('tool_call', '{}', { toolName: 'time.now', callId: 'c1' }),
        msg('tool_result', '{"iso":"2026-01-01T00:00:00Z"}', { toolName: 'time.now', callId: 'c1' }),
        msg('handoff', 'triage handed off to billing', { from: 'agt_1', to: 'agt_2' }),
        msg('assistant', 'It is midnight.'),
      ]),
    ).toEqual([
      { role: 'user', content: 'what time is it?' },
      { type: 'function_call', callId: 'c1', name: 'time_now', arguments: '{}', status: 'completed' },
      {
        type: 'function_call_result',
        callId: 'c1',
        name: 'time_now',
        status: 'completed',
        output: '{"iso":"2026-01-01T00:00:00Z"}',
      },
      { role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'It is midnight.' }] },
    ]);
  });

  it('leaves out tool calls without a result and results without a call, which models refuse', () => {
    expect(
      historyToItems([
        msg('tool_call', '{}', { toolName: 'demo.approval', callId: 'pending' }),
        msg('tool_result', 'orphan', { toolName: 'time.now', callId: 'gone' }),
        msg('assistant', ''),
      ]),
    ).toEqual([]);
  });
});
