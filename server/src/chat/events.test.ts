import { describe, expect, it } from 'vitest';
import type { TurnUsage } from '../agents/events.ts';
import { createChatEventMapper, type RunLogEvent } from './events.ts';

const run = { id: 'run_1', conversationId: 'cnv_1', agentId: 'agt_triage', model: 'builtin:scripted' };
const at = '2026-01-01T00:00:00.000Z';
let seq = 0;
const e = (type: string, data: Record<string, unknown> = {}): RunLogEvent => ({ seq: ++seq, type, data, at });
const usage = { model: 'builtin:scripted', outcome: 'completed' } as TurnUsage;

describe('createChatEventMapper', () => {
  it('maps a run log to the chat vocabulary, naming the last speaker at the end', () => {
    const mapper = createChatEventMapper(run);
    const log = [
      e('run.queued', { status: 'queued', agentId: 'agt_triage' }),
      e('run.started', { status: 'running', attempt: 1 }),
      e('handoff', { from: 'agt_triage', to: 'agt_expert' }),
      e('message.delta', { text: 'Hi', agentId: 'agt_expert' }),
      e('message.completed', { text: 'Hi', agentId: 'agt_expert' }),
      e('run.completed', { status: 'succeeded', output: 'Hi', usage }),
    ];
    expect(log.map((x) => mapper.map(x)?.event)).toEqual([
      { type: 'run.queued', runId: 'run_1', conversationId: 'cnv_1', agentId: 'agt_triage' },
      { type: 'run.started', agentId: 'agt_triage', model: 'builtin:scripted', attempt: 1, resumed: false },
      { type: 'handoff', from: 'agt_triage', to: 'agt_expert' },
      { type: 'message.delta', text: 'Hi', agentId: 'agt_expert' },
      { type: 'message.completed', text: 'Hi', agentId: 'agt_expert' },
      { type: 'run.completed', output: 'Hi', agentId: 'agt_expert', usage },
    ]);
    expect(mapper.map(log[3]!)?.seq).toBe(log[3]!.seq);
  });

  it('turns worker bookkeeping into what a client acts on, and leaves out the rest', () => {
    const mapper = createChatEventMapper(run);
    expect(mapper.map(e('approval.decided', { approved: true }))).toBeUndefined();
    expect(mapper.map(e('run.resumed', { attempt: 2 }))?.event).toEqual({
      type: 'run.started',
      agentId: 'agt_triage',
      model: 'builtin:scripted',
      attempt: 2,
      resumed: true,
    });
    expect(mapper.map(e('run.retrying', { attempt: 1, message: 'upstream 503' }))?.event).toEqual({
      type: 'error',
      code: 'retrying',
      message: 'attempt 1 failed (upstream 503); the turn starts again',
    });
    expect(mapper.map(e('run.cancelled', { status: 'cancelled' }))?.event).toEqual({
      type: 'run.failed',
      code: 'cancelled',
      message: 'the run was cancelled',
    });
    expect(
      mapper.map(e('run.failed', { status: 'failed', code: 'model_error', message: 'no' }))?.event,
    ).toEqual({ type: 'run.failed', code: 'model_error', message: 'no' });
    expect(mapper.map(e('something.new'))).toBeUndefined();
  });

  it('passes approvals on with their inbox item', () => {
    const mapper = createChatEventMapper(run);
    const approval = e('approval.required', {
      name: 'demo.approval',
      arguments: { action: 'x' },
      callId: 'c1',
      agentId: 'agt_triage',
      inboxItemId: 'inb_1',
    });
    expect(mapper.map(approval)?.event).toEqual({ type: 'approval.required', ...approval.data });
  });
});
