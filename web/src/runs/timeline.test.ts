import { describe, expect, it } from 'vitest';
import { addEvent, buildTimeline, type ExecutionEvent, type RunEvent, runEventOf } from './timeline.ts';

const at = '2026-01-01T00:00:00.000Z';
const ev = (seq: number, data: ExecutionEvent): RunEvent => ({ seq, type: data.type, data, at });
const delta = (text: string, agentId = 'a1'): ExecutionEvent => ({ type: 'message.delta', text, agentId });

describe('runEventOf', () => {
  it('takes a run channel message, replayed or live, as a log entry', () => {
    expect(runEventOf({ channel: 'runs:r', seq: 3, event: 'message.delta', data: delta('Hi'), at })).toEqual(
      ev(3, delta('Hi')),
    );
  });

  it('ignores messages without a seq or without an event', () => {
    expect(
      runEventOf({ channel: 'dashboard', seq: null, event: 'run.queued', data: {}, at }),
    ).toBeUndefined();
    expect(runEventOf({ channel: 'runs:r', seq: 4, event: 'x', data: 'text', at })).toBeUndefined();
  });
});

describe('buildTimeline', () => {
  it('joins streamed text, matches tool results to their calls and records hand-offs', () => {
    const items = buildTimeline([
      ev(1, { type: 'run.queued', runId: 'r', conversationId: null, agentId: 'a1' }),
      ev(2, {
        type: 'run.started',
        agentId: 'a1',
        model: 'builtin:scripted',
        attempt: 1,
        resumed: false,
        cause: 'start',
      }),
      ev(3, delta('Hel')),
      ev(4, delta('lo')),
      ev(5, { type: 'tool.called', name: 'time.now', arguments: {}, callId: 'c1', agentId: 'a1' }),
      ev(6, {
        type: 'tool.result',
        name: 'time.now',
        callId: 'c1',
        output: 'noon',
        isError: false,
        agentId: 'a1',
      }),
      ev(7, { type: 'handoff', from: 'a1', to: 'a2' }),
      ev(8, delta('Bye', 'a2')),
      ev(9, { type: 'message.completed', text: 'Bye.', agentId: 'a2' }),
    ]);
    expect(items.map((i) => i.kind)).toEqual(['status', 'status', 'text', 'tool', 'handoff', 'text']);
    expect(items[2]).toMatchObject({ text: 'Hello', done: false });
    expect(items[3]).toMatchObject({ name: 'time.now', output: 'noon', isError: false });
    expect(items[5]).toMatchObject({ text: 'Bye.', done: true, agentId: 'a2' });
  });

  it('marks an approval decided, and the call waits no more', () => {
    const items = buildTimeline([
      ev(1, { type: 'tool.called', name: 'demo.approval', arguments: {}, callId: 'c1', agentId: 'a1' }),
      ev(2, {
        type: 'approval.required',
        name: 'demo.approval',
        arguments: { action: 'ship' },
        callId: 'c1',
        agentId: 'a1',
        inboxItemId: 'ibx_1',
      }),
      ev(3, { type: 'approval.decided', approved: false, reason: 'not now', by: 'usr_1' }),
    ]);
    expect(items[0]).toMatchObject({ kind: 'tool', waiting: false });
    expect(items[1]).toEqual({
      kind: 'approval',
      key: 'a2',
      callId: 'c1',
      name: 'demo.approval',
      arguments: { action: 'ship' },
      inboxItemId: 'ibx_1',
      decision: 'rejected',
    });
  });

  it('reads the transitions of a run: resumed, recovered, retrying, failed and stopped', () => {
    const started = (cause: 'start' | 'approval' | 'recovery'): ExecutionEvent => ({
      type: 'run.started',
      agentId: 'a1',
      model: 'm',
      attempt: 1,
      resumed: cause !== 'start',
      cause,
    });
    const items = buildTimeline([
      ev(1, started('approval')),
      ev(2, started('recovery')),
      ev(3, { type: 'error', code: 'retrying', message: 'attempt 1 failed' }),
      ev(4, { type: 'run.failed', code: 'model_error', message: 'boom' }),
      ev(5, { type: 'run.failed', code: 'cancelled', message: 'the run was cancelled' }),
    ]);
    expect(items.map((i) => (i.kind === 'status' ? [i.label, i.detail] : i.kind))).toEqual([
      ['Resumed', undefined],
      ['Recovered after a restart', undefined],
      ['Retrying', 'attempt 1 failed'],
      ['Failed', 'boom'],
      ['Stopped', undefined],
    ]);
  });
});

describe('addEvent', () => {
  it('keeps the log in order without repeats', () => {
    let log: RunEvent[] = [];
    log = addEvent(log, ev(2, delta('b')));
    log = addEvent(log, ev(1, delta('a')));
    log = addEvent(log, ev(2, delta('b')));
    expect(log.map((e) => e.seq)).toEqual([1, 2]);
  });
});
