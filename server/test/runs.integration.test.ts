import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, call, registerOwner, type Session } from './factories.ts';
import { startTestServer, type TestServer } from './harness.ts';
import {
  inboxItemFor,
  logLabels,
  makeRunAgent,
  type RunBody,
  runEvents,
  submitRun,
  waitForRun,
} from './runs-kit.ts';
import { openStream, readSse } from './sse.ts';

let server: TestServer;
let owner: Session;
let agentId: string;

beforeAll(async () => {
  server = await startTestServer();
  owner = await registerOwner(server);
  agentId = (await makeRunAgent(server, owner)).id;
});
afterAll(async () => {
  await server?.close();
});

const types = (events: Array<{ type: string }>) => events.map((e) => e.type);

describe('submitting and following a run', () => {
  it('runs to success with an ordered, gap-free event log', async () => {
    const run = await submitRun(server, owner, { agentId, input: 'hello there', metadata: { ticket: 42 } });
    expect(run).toMatchObject({ status: 'queued', lastSeq: 1 });
    const done = await waitForRun(server, owner, run.id, ['succeeded', 'failed']);
    expect(done).toMatchObject({ status: 'succeeded', output: 'Echo: hello there', attempts: 1 });

    const events = await runEvents(server, owner, run.id);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(types(events)[0]).toBe('run.queued');
    expect(types(events)[1]).toBe('run.started');
    expect(types(events).slice(-2)).toEqual(['message.completed', 'run.completed']);
    const text = events
      .filter((e) => e.type === 'message.delta')
      .map((e) => e.data.text)
      .join('');
    expect(text).toBe('Echo: hello there');
    expect(events.at(-1)?.data).toEqual({
      type: 'run.completed',
      output: 'Echo: hello there',
      agentId,
      usage: expect.objectContaining({ outcome: 'completed', requests: 1 }),
    });
  });

  it('fails with the model error as the reason', async () => {
    const run = await submitRun(server, owner, { agentId, input: '/fail the upstream is down' });
    const done = await waitForRun(server, owner, run.id, ['succeeded', 'failed']);
    expect(done.status).toBe('failed');
    expect(done.error).toEqual({ code: 'model_error', message: 'the upstream is down' });
    const events = await runEvents(server, owner, run.id);
    expect(events.at(-1)).toMatchObject({ type: 'run.failed', data: { code: 'model_error' } });
  });

  it('answers 404 for an unknown agent and 400 for an empty input', async () => {
    const unknown = await call(server, 'POST', '/api/v1/runs', {
      token: owner.accessToken,
      body: { agentId: 'agt_nope', input: 'hi' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({
      error: { code: 'not_found', message: 'agent agt_nope was not found' },
    });
    const empty = await call(server, 'POST', '/api/v1/runs', {
      token: owner.accessToken,
      body: { agentId, input: '' },
    });
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ error: { code: 'validation_failed' } });
  });

  it("answers 404 for another org's conversation, and starts nothing", async () => {
    const other = await registerOwner(server);
    const theirAgent = await makeRunAgent(server, other);
    const theirs = await call<{ id: string }>(server, 'POST', '/api/v1/conversations', {
      token: other.accessToken,
      body: { agentId: theirAgent.id },
    });
    const res = await call(server, 'POST', '/api/v1/runs', {
      token: owner.accessToken,
      body: { agentId, input: 'sneak in', conversationId: theirs.body.id },
    });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({
      error: { code: 'not_found', message: `conversation ${theirs.body.id} was not found` },
    });
    const mine = await call<{ items: RunBody[] }>(
      server,
      'GET',
      `/api/v1/runs?agentId=${agentId}&limit=200`,
      {
        token: owner.accessToken,
      },
    );
    expect(mine.body.items.some((r) => r.input === 'sneak in')).toBe(false);
  });

  it('honours Idempotency-Key: a repeat answers with the first run', async () => {
    const key = `key-${Math.random()}`;
    const first = await submitRun(server, owner, { agentId, input: 'once only' }, { 'idempotency-key': key });
    const again = await call<RunBody>(server, 'POST', '/api/v1/runs', {
      token: owner.accessToken,
      body: { agentId, input: 'once only' },
      headers: { 'idempotency-key': key },
    });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const list = await call<{ items: RunBody[] }>(
      server,
      'GET',
      `/api/v1/runs?agentId=${agentId}&limit=200`,
      {
        token: owner.accessToken,
      },
    );
    expect(list.body.items.filter((r) => r.id === first.id)).toHaveLength(1);
  });

  it('lists runs newest first with filters and cursor pages', async () => {
    const other = await makeRunAgent(server, owner);
    const a = await submitRun(server, owner, { agentId: other.id, input: 'one' });
    const b = await submitRun(server, owner, { agentId: other.id, input: '/fail nope' });
    await waitForRun(server, owner, a.id, ['succeeded']);
    await waitForRun(server, owner, b.id, ['failed']);
    const all = await call<{ items: RunBody[]; nextCursor: string | null }>(
      server,
      'GET',
      `/api/v1/runs?agentId=${other.id}&limit=1`,
      { token: owner.accessToken },
    );
    expect(all.body.items.map((r) => r.id)).toEqual([b.id]);
    const next = await call<{ items: RunBody[]; nextCursor: string | null }>(
      server,
      'GET',
      `/api/v1/runs?agentId=${other.id}&limit=1&cursor=${all.body.nextCursor}`,
      { token: owner.accessToken },
    );
    expect(next.body.items.map((r) => r.id)).toEqual([a.id]);
    const failed = await call<{ items: RunBody[] }>(
      server,
      'GET',
      `/api/v1/runs?agentId=${other.id}&status=failed`,
      {
        token: owner.accessToken,
      },
    );
    expect(failed.body.items.map((r) => r.id)).toEqual([b.id]);
    const future = await call<{ items: RunBody[] }>(
      server,
      'GET',
      `/api/v1/runs?agentId=${other.id}&since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
      { token: owner.accessToken },
    );
    expect(future.body.items).toEqual([]);
  });

  it('a viewer can read runs but not start or cancel them', async () => {
    const viewer = await addMember(server, owner, 'viewer');
    const run = await submitRun(server, owner, { agentId, input: 'visible' });
    expect((await call(server, 'GET', `/api/v1/runs/${run.id}`, { token: viewer.accessToken })).status).toBe(
      200,
    );
    const submit = await call(server, 'POST', '/api/v1/runs', {
      token: viewer.accessToken,
      body: { agentId, input: 'x' },
    });
    expect(submit.status).toBe(403);
    const cancel = await call(server, 'POST', `/api/v1/runs/${run.id}/cancel`, { token: viewer.accessToken });
    expect(cancel.status).toBe(403);
  });
});

describe('the event stream', () => {
  it('streams live over SSE with ids, and ends after the terminal event', async () => {
    const run = await submitRun(server, owner, { agentId, input: '/tokens 30' });
    const res = await openStream(`${server.url}/api/v1/runs/${run.id}/events`, { token: owner.accessToken });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const seen: Array<{ id: string | undefined; event: string | undefined }> = [];
    for await (const e of readSse(res)) seen.push({ id: e.id, event: e.event });
    expect(seen.map((e) => Number(e.id))).toEqual(seen.map((_, i) => i + 1));
    expect(seen.at(-1)?.event).toBe('run.completed');
  });

  it('resumes a dropped stream from Last-Event-ID without gaps or repeats', async () => {
    const run = await submitRun(server, owner, { agentId, input: '/tokens 20\n/sleep 400\n/tokens 20' });
    const controller = new AbortController();
    const first = await openStream(`${server.url}/api/v1/runs/${run.id}/events`, {
      token: owner.accessToken,
      signal: controller.signal,
    });
    const got: number[] = [];
    try {
      for await (const e of readSse(first)) {
        got.push(Number(e.id));
        if (got.length === 3) controller.abort(); // the connection drops mid-run
      }
    } catch (err) {
      expect((err as Error).name).toBe('AbortError');
    }
    const resumed = await openStream(`${server.url}/api/v1/runs/${run.id}/events`, {
      token: owner.accessToken,
      lastEventId: String(got.at(-1)),
    });
    for await (const e of readSse(resumed)) got.push(Number(e.id));
    expect(got).toEqual(got.map((_, i) => i + 1));
    const stored = await runEvents(server, owner, run.id);
    expect(got.length).toBe(stored.length);
    expect(stored.at(-1)?.type).toBe('run.completed');

    // Resuming after the end answers at once with nothing more.
    const late = await openStream(`${server.url}/api/v1/runs/${run.id}/events`, {
      token: owner.accessToken,
      lastEventId: String(stored.at(-1)?.seq),
    });
    const extra: unknown[] = [];
    for await (const e of readSse(late)) extra.push(e);
    expect(extra).toEqual([]);
  });

  it('replays from ?after= as JSON', async () => {
    const run = await submitRun(server, owner, { agentId, input: 'replay me' });
    await waitForRun(server, owner, run.id, ['succeeded']);
    const all = await runEvents(server, owner, run.id);
    const tail = await runEvents(server, owner, run.id, 3);
    expect(tail).toEqual(all.slice(3));
  });
});

describe('cancelling', () => {
  it('stops a running model call promptly and records the cancellation', async () => {
    const run = await submitRun(server, owner, { agentId, input: '/sleep 60000' });
    await waitForRun(server, owner, run.id, ['running']);
    const res = await call<RunBody>(server, 'POST', `/api/v1/runs/${run.id}/cancel`, {
      token: owner.accessToken,
    });
    expect(res.status).toBe(202);
    const done = await waitForRun(server, owner, run.id, ['cancelled', 'succeeded', 'failed'], 10_000);
    expect(done.status).toBe('cancelled');
    expect((await runEvents(server, owner, run.id)).at(-1)).toMatchObject({
      type: 'run.failed',
      data: { code: 'cancelled' },
    });
    const again = await call(server, 'POST', `/api/v1/runs/${run.id}/cancel`, { token: owner.accessToken });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      error: { code: 'run_finished', message: `run ${run.id} already cancelled; there is nothing to cancel` },
    });
  });

  it('cancels a run that waits for approval, closing nothing silently', async () => {
    const run = await submitRun(server, owner, { agentId, input: '/tool demo.approval {"action":"wait"}' });
    await waitForRun(server, owner, run.id, ['waiting_approval']);
    const res = await call<RunBody>(server, 'POST', `/api/v1/runs/${run.id}/cancel`, {
      token: owner.accessToken,
    });
    expect(res.body.status).toBe('cancelled');
    const item = await inboxItemFor(server, owner, run.id);
    const approve = await call(server, 'POST', `/api/v1/inbox/${item.id}/approve`, {
      token: owner.accessToken,
    });
    expect(approve.status).toBe(409);
    expect(approve.body).toMatchObject({ error: { code: 'run_not_waiting' } });
  });
});

describe('human in the loop', () => {
  it('pauses for approval, then resumes exactly where it stopped', async () => {
    const run = await submitRun(server, owner, { agentId, input: '/tool demo.approval {"action":"deploy"}' });
    const paused = await waitForRun(server, owner, run.id, ['waiting_approval', 'failed']);
    expect(paused.status).toBe('waiting_approval');
    const pauseEvents = await runEvents(server, owner, run.id);
    expect(pauseEvents.at(-1)).toMatchObject({
      type: 'approval.required',
      data: { name: 'demo.approval', arguments: { action: 'deploy' } },
    });

    const item = await inboxItemFor(server, owner, run.id);
    const approved = await call(server, 'POST', `/api/v1/inbox/${item.id}/approve`, {
      token: owner.accessToken,
      body: { reason: 'looks right' },
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      status: 'closed',
      decision: 'approved',
      decisionReason: 'looks right',
    });

    const done = await waitForRun(server, owner, run.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(done.output).toBe('demo.approval returned: {"approved":true,"action":"deploy"}');
    const after = await runEvents(server, owner, run.id, pauseEvents.length);
    expect(logLabels(after)).toEqual(
      expect.arrayContaining(['approval.decided', 'run.started(approval)', 'tool.result', 'run.completed']),
    );
    // The tool ran once, after the approval; it was not called a second time.
    expect(after.filter((e) => e.type === 'tool.called')).toHaveLength(0);

    const twice = await call(server, 'POST', `/api/v1/inbox/${item.id}/reject`, { token: owner.accessToken });
    expect(twice.status).toBe(409);
    expect(twice.body).toMatchObject({ error: { code: 'already_decided' } });
  });

  it('on reject, the tool call ends with the reason and the agent carries on', async () => {
    const run = await submitRun(server, owner, { agentId, input: '/tool demo.approval {"action":"drop"}' });
    await waitForRun(server, owner, run.id, ['waiting_approval']);
    const item = await inboxItemFor(server, owner, run.id);
    const rejected = await call(server, 'POST', `/api/v1/inbox/${item.id}/reject`, {
      token: owner.accessToken,
      body: { reason: 'not on a Friday' },
    });
    expect(rejected.body).toMatchObject({ decision: 'rejected' });
    const done = await waitForRun(server, owner, run.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(done.output).toContain('not on a Friday');
  });

  it('only those with inbox:write can decide; a viewer cannot', async () => {
    const viewer = await addMember(server, owner, 'viewer');
    const run = await submitRun(server, owner, { agentId, input: '/tool demo.approval {"action":"x"}' });
    await waitForRun(server, owner, run.id, ['waiting_approval']);
    const item = await inboxItemFor(server, owner, run.id);
    expect(
      (await call(server, 'GET', `/api/v1/inbox/${item.id}`, { token: viewer.accessToken })).status,
    ).toBe(200);
    const res = await call(server, 'POST', `/api/v1/inbox/${item.id}/approve`, { token: viewer.accessToken });
    expect(res.status).toBe(403);
  });

  it('marks read, counts unread, and refuses to close an open approval', async () => {
    const run = await submitRun(server, owner, { agentId, input: '/tool demo.approval {"action":"y"}' });
    await waitForRun(server, owner, run.id, ['waiting_approval']);
    const item = await inboxItemFor(server, owner, run.id);
    const before = await call<{ unread: number }>(server, 'GET', '/api/v1/inbox', {
      token: owner.accessToken,
    });
    const read = await call(server, 'PATCH', `/api/v1/inbox/${item.id}/read`, { token: owner.accessToken });
    expect(read.body).toMatchObject({ read: true });
    const after = await call<{ unread: number }>(server, 'GET', '/api/v1/inbox', {
      token: owner.accessToken,
    });
    expect(after.body.unread).toBe(before.body.unread - 1);
    const close = await call(server, 'POST', `/api/v1/inbox/${item.id}/close`, { token: owner.accessToken });
    expect(close.status).toBe(409);
    expect(close.body).toMatchObject({ error: { code: 'approval_pending' } });
  });
});
