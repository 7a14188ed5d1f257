import { describe, expect, it } from 'vitest';
import { addEvent, buildTimeline, type RunEvent, runEventOf } from './timeline.ts';

const at = '2026-01-01T00:00:00.000Z';
const ev = (seq: number, type: string, data: Record<string, unknown> = {}): RunEvent => ({
  seq,
  type,
  data,
  at,
});

describe('runEventOf', () => {
  it('takes replayed events as they are', () => {
    expect(
      runEventOf({ channel: 'runs:r', seq: 3, event: 'message.delta', data: { text: 'Hi' }, at }),
    ).toEqual(ev(3, 'message.delta', { text: 'Hi' }));
  });

  it('unwraps live events, which carry the whole stored entry', () => {
    const live = { runId: 'r', orgId: 'o', seq: 4, type: 'message.delta', data: { text: 'Hi' }, at };
    expect(runEventOf({ channel: 'runs:r', seq: 4, event: 'message.delta', data: live, at })).toEqual(
      ev(4, 'message.delta', { text: 'Hi' }),
    );
  });

  it('ignores events without a seq', () => {
    expect(
      runEventOf({ channel: 'dashboard', seq: null, event: 'run.queued', data: {}, at }),
    ).toBeUndefined();
  });
});

describe('buildTimeline', () => {
  it('joins streamed text, matches tool results to their calls and records hand-offs', () => {
    const items = buildTimeline([
      ev(1, 'run.queued'),
      ev(2, 'run.started', { agentId: 'a1', model: 'builtin:scripted' }),
      ev(3, 'message.delta', { text: 'Hel', agentId: 'a1' }),
      ev(4, 'message.delta', { text: 'lo', agentId: 'a1' }),
      ev(5, 'tool.called', { name: 'time.now', arguments: {}, callId: 'c1', agentId: 'a1' }),
      ev(6, 'tool.result', { name: 'time.now', callId: 'c1', output: 'noon', isError: false, agentId: 'a1' }),
      ev(7, 'handoff', { from: 'a1', to: 'a2' }),
      ev(8, 'message.delta', { text: 'Bye', agentId: 'a2' }),
      ev(9, 'message.completed', { text: 'Bye.', agentId: 'a2' }),
      ev(10, 'run.completed', {}),
    ]);
    expect(items.map((i) => i.kind)).toEqual([
      'status',
      'status',
      'text',
      'tool',
      'handoff',
      'text',
      'status',
    ]);
    expect(items[2]).toMatchObject({ text: 'Hello', done: false });
    expect(items[3]).toMatchObject({ name: 'time.now', output: 'noon', isError: false });
    expect(items[5]).toMatchObject({ text: 'Bye.', done: true, agentId: 'a2' });
  });

  it('marks an approval decided', () => {
    const items = buildTimeline([
      ev(1, 'approval.required', {
        name: 'demo.approval',
        arguments: { action: 'ship' },
        inboxItemId: 'ibx_1',
      }),
      ev(2, 'approval.decided', { approved: true }),
    ]);
    expect(items).toEqual([
      {
        kind: 'approval',
        key: 'a1',
        callId: '',
        name: 'demo.approval',
        arguments: { action: 'ship' },
        inboxItemId: 'ibx_1',
        decision: 'approved',
      },
    ]);
  });

  it('shows why a run failed', () => {
    expect(buildTimeline([ev(1, 'run.failed', { code: 'model_error', message: 'boom' })])).toEqual([
      { kind: 'status', key: 's1', type: 'run.failed', label: 'Failed', at, detail: 'boom' },
    ]);
  });
});

describe('buildTimeline on the chat stream', () => {
  it('settles an approval by its call result, since the chat stream sends no approval.decided', () => {
    const items = buildTimeline([
      ev(1, 'tool.called', { name: 'demo.approval', arguments: {}, callId: 'c1' }),
      ev(2, 'approval.required', { name: 'demo.approval', arguments: {}, callId: 'c1', inboxItemId: 'i' }),
      ev(3, 'run.started', { resumed: true }),
      ev(4, 'tool.result', {
        name: 'demo.approval',
        callId: 'c1',
        output: '{"approved":true}',
        isError: false,
      }),
    ]);
    expect(items.map((i) => (i.kind === 'status' ? i.label : i.kind))).toEqual([
      'tool',
      'approval',
      'Resumed',
    ]);
    expect(items[0]).toMatchObject({ waiting: false, output: '{"approved":true}' });
    expect(items[1]).toMatchObject({ decision: 'approved' });
  });
});

describe('addEvent', () => {
  it('keeps the log in order without repeats', () => {
    let log: RunEvent[] = [];
    log = addEvent(log, ev(2, 'x'));
    log = addEvent(log, ev(1, 'x'));
    log = addEvent(log, ev(2, 'x'));
    expect(log.map((e) => e.seq)).toEqual([1, 2]);
  });
});
