import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ExecutionEvent, executionEventSchema } from './events.ts';
import { createLogReader, type LogOwner, type StoredEntry, storedForm } from './log-format.ts';

interface Fixture {
  run: LogOwner;
  rows: StoredEntry[];
}

const fixture = (name: string): Fixture =>
  JSON.parse(
    readFileSync(new URL(`../../test/fixtures/run-logs/${name}`, import.meta.url), 'utf8'),
  ) as Fixture;

/** Reads a stored log in order, as followers and `/runs/{id}/events` do. */
function read(f: Fixture): Array<{ seq: number; event: ExecutionEvent }> {
  const reader = createLogReader(f.run);
  return f.rows.flatMap((row) => {
    const logged = reader.read(row);
    return logged ? [{ seq: logged.seq, event: logged.event }] : [];
  });
}

describe('run logs written before the one event vocabulary', () => {
  it('read as today events: the run named, the model and the speaking agent filled in', () => {
    const events = read(fixture('approval-handoff-v1.json'));
    for (const { event } of events) expect(executionEventSchema.parse(event)).toEqual(event);
    expect(events.map((e) => e.event)).toMatchObject([
      { type: 'run.queued', runId: 'run_legacy1', conversationId: 'cnv_1', agentId: 'agt_triage' },
      {
        type: 'run.started',
        agentId: 'agt_triage',
        model: 'builtin:scripted',
        attempt: 1,
        resumed: false,
        cause: 'start',
      },
      { type: 'message.delta', text: 'Let me check', agentId: 'agt_triage' },
      { type: 'tool.called', name: 'demo.approval', callId: 'call_1' },
      { type: 'approval.required', inboxItemId: 'inb_1', agentId: 'agt_triage' },
      { type: 'approval.decided', approved: true, reason: null, by: 'usr_1' },
      { type: 'run.started', attempt: 2, resumed: true, cause: 'approval' },
      { type: 'tool.result', output: '{"approved":true}', isError: false },
      { type: 'handoff', from: 'agt_triage', to: 'agt_billing' },
      // An old delta without its agent: the agent handed to speaks.
      { type: 'message.delta', text: 'Shipped.', agentId: 'agt_billing' },
      { type: 'message.completed', text: 'Shipped.', agentId: 'agt_billing' },
      { type: 'run.completed', output: 'Shipped.', agentId: 'agt_billing', usage: { requests: 2 } },
    ]);
  });

  it('read retries as errors, recovery as a start, cancellation as a failure, and leave out unknown types', () => {
    const events = read(fixture('retry-recovery-cancel-v1.json'));
    for (const { event } of events) expect(executionEventSchema.parse(event)).toEqual(event);
    expect(events.map((e) => [e.seq, e.event])).toEqual([
      [1, { type: 'run.queued', runId: 'run_legacy2', conversationId: null, agentId: 'agt_a' }],
      [
        2,
        {
          type: 'run.started',
          agentId: 'agt_a',
          model: 'unknown',
          attempt: 1,
          resumed: false,
          cause: 'start',
        },
      ],
      [
        3,
        {
          type: 'error',
          code: 'retrying',
          message: 'attempt 1 failed (upstream answered 503); the turn starts again',
        },
      ],
      [
        4,
        {
          type: 'run.started',
          agentId: 'agt_a',
          model: 'unknown',
          attempt: 2,
          resumed: true,
          cause: 'recovery',
        },
      ],
      [6, { type: 'run.failed', code: 'cancelled', message: 'the run was cancelled' }],
    ]);
  });
});

describe('entries written today', () => {
  it('pass through the stored form unchanged', () => {
    const events: ExecutionEvent[] = [
      { type: 'run.queued', runId: 'run_1', conversationId: null, agentId: 'agt_1' },
      {
        type: 'run.started',
        agentId: 'agt_2',
        model: 'openai:gpt-4.1',
        attempt: 3,
        resumed: true,
        cause: 'approval',
      },
      { type: 'tool.result', name: 'time.now', callId: 'c', output: 'noon', isError: true, agentId: 'agt_2' },
      { type: 'run.failed', code: 'budget_exceeded', message: 'no room' },
    ];
    const reader = createLogReader({ id: 'run_1', conversationId: 'cnv_9', agentId: 'agt_1', model: 'x' });
    const read = events.map((event, i) => reader.read({ seq: i + 1, at: new Date(0), ...storedForm(event) }));
    expect(read.map((r) => r?.event)).toEqual(events);
  });
});
