import type { SwitchboardClient } from '@switchboard/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs } from './kit/api-client.ts';
import {
  deltaText,
  inboxItemFor,
  logLabels,
  makeRunAgent,
  runEvents,
  submitRun,
  waitForRun,
} from './kit/runs.ts';
import { openStream, readSse } from './kit/sse-client.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { addMember, registerOwner, type Session } from './kit/users.ts';

let server: TestServer;
let owner: Session;
let api: SwitchboardClient;
let agentId: string;

beforeAll(async () => {
  server = await startTestServer();
  owner = await registerOwner(server);
  api = clientAs(server, owner);
  agentId = (await makeRunAgent(server, owner)).id;
});
afterAll(async () => {
  await server?.close();
});

const types = (events: Array<{ type: string }>) => events.map((e) => e.type);

describe('submitting and following a run', () => {
  it('runs to success with an ordered, gap-free event log', async () => {
    const run = await submitRun(server, owner, { agentId, input: 'hello there', metadata: { ticket: 42 } });
    // This process had a slot free: the run was claimed in its submission (else it would answer queued).
    expect(run).toMatchObject({ status: 'running', attempts: 1, lastSeq: 2 });
    const done = await waitForRun(server, owner, run.id, ['succeeded', 'failed']);
    expect(done).toMatchObject({ status: 'succeeded', output: 'Echo: hello there', attempts: 1 });

    const events = await runEvents(server, owner, run.id);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(types(events)[0]).toBe('run.queued');
    expect(types(events)[1]).toBe('run.started');
    expect(types(events).slice(-2)).toEqual(['message.completed', 'run.completed']);
    expect(deltaText(events)).toBe('Echo: hello there');
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
    const unknown = await api.POST('/api/v1/runs', { body: { agentId: 'agt_nope', input: 'hi' } });
    expect(unknown.response.status).toBe(404);
    expect(unknown.error).toMatchObject({
      error: { code: 'not_found', message: 'agent agt_nope was not found' },
    });
    const empty = await api.POST('/api/v1/runs', { body: { agentId, input: '' } });
    expect(empty.response.status).toBe(400);
    expect(empty.error).toMatchObject({ error: { code: 'validation_failed' } });
  });

  it("answers 404 for another org's conversation, and starts nothing", async () => {
    const other = await registerOwner(server);
    const theirAgent = await makeRunAgent(server, other);
    const theirs = await clientAs(server, other).POST('/api/v1/conversations', {
      body: { agentId: theirAgent.id },
    });
    const theirId = theirs.data!.id;
    const res = await api.POST('/api/v1/runs', {
      body: { agentId, input: 'sneak in', conversationId: theirId },
    });
    expect(res.response.status).toBe(404);
    expect(res.error).toMatchObject({
      error: { code: 'not_found', message: `conversation ${theirId} was not found` },
    });
    const mine = await api.GET('/api/v1/runs', { params: { query: { agentId, limit: 200 } } });
    expect(mine.data!.items.some((r) => r.input === 'sneak in')).toBe(false);
  });

  it('honours Idempotency-Key: a repeat answers with the first run', async () => {
    const key = `key-${Math.random()}`;
    const first = await submitRun(server, owner, { agentId, input: 'once only' }, { 'idempotency-key': key });
    const again = await api.POST('/api/v1/runs', {
      body: { agentId, input: 'once only' },
      headers: { 'idempotency-key': key },
    });
    expect(again.response.status).toBe(202);
    expect(again.data!.id).toBe(first.id);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    const list = await api.GET('/api/v1/runs', { params: { query: { agentId, limit: 200 } } });
    expect(list.data!.items.filter((r) => r.id === first.id)).toHaveLength(1);
  });

  it('lists runs newest first with filters and cursor pages', async () => {
    const other = await makeRunAgent(server, owner);
    const a = await submitRun(server, owner, { agentId: other.id, input: 'one' });
    const b = await submitRun(server, owner, { agentId: other.id, input: '/fail nope' });
    await waitForRun(server, owner, a.id, ['succeeded']);
    await waitForRun(server, owner, b.id, ['failed']);
    const list = (query: { limit?: number; cursor?: string; status?: 'failed'; since?: string }) =>
      api.GET('/api/v1/runs', { params: { query: { agentId: other.id, ...query } } });
    const all = await list({ limit: 1 });
    expect(all.data!.items.map((r) => r.id)).toEqual([b.id]);
    const next = await list({ limit: 1, cursor: all.data!.nextCursor! });
    expect(next.data!.items.map((r) => r.id)).toEqual([a.id]);
    const failed = await list({ status: 'failed' });
    expect(failed.data!.items.map((r) => r.id)).toEqual([b.id]);
    const future = await list({ since: new Date(Date.now() + 60_000).toISOString() });
    expect(future.data!.items).toEqual([]);
  });

  it('a viewer can read runs but not start or cancel them', async () => {
    const viewer = await addMember(server, owner, 'viewer');
    const run = await submitRun(server, owner, { agentId, input: 'visible' });
    const asViewer = clientAs(server, viewer);
    const byId = { params: { path: { id: run.id } } };
    expect((await asViewer.GET('/api/v1/runs/{id}', byId)).response.status).toBe(200);
    const submit = await asViewer.POST('/api/v1/runs', { body: { agentId, input: 'x' } });
    expect(submit.response.status).toBe(403);
    const cancel = await asViewer.POST('/api/v1/runs/{id}/cancel', byId);
    expect(cancel.response.status).toBe(403);
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
    const byId = { params: { path: { id: run.id } } };
    const res = await api.POST('/api/v1/runs/{id}/cancel', byId);
    expect(res.response.status).toBe(202);
    const done = await waitForRun(server, owner, run.id, ['cancelled', 'succeeded', 'failed'], 10_000);
    expect(done.status).toBe('cancelled');
    expect((await runEvents(server, owner, run.id)).at(-1)).toMatchObject({
      type: 'run.failed',
      data: { code: 'cancelled' },
    });
    const again = await api.POST('/api/v1/runs/{id}/cancel', byId);
    expect(again.response.status).toBe(409);
    expect(again.error).toMatchObject({
      error: { code: 'run_finished', message: `run ${run.id} already cancelled; there is nothing to cancel` },
    });
  });

  it('cancels a run that waits for approval, closing nothing silently', async () => {
    const run = await submitRun(server, owner, { agentId, input: '/tool demo.approval {"action":"wait"}' });
    await waitForRun(server, owner, run.id, ['waiting_approval']);
    const res = await api.POST('/api/v1/runs/{id}/cancel', { params: { path: { id: run.id } } });
    expect(res.data!.status).toBe('cancelled');
    const item = await inboxItemFor(server, owner, run.id);
    const approve = await api.POST('/api/v1/inbox/{id}/approve', {
      params: { path: { id: item.id } },
      body: null,
    });
    expect(approve.response.status).toBe(409);
    expect(approve.error).toMatchObject({ error: { code: 'run_not_waiting' } });
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
    const byId = { params: { path: { id: item.id } } };
    const approved = await api.POST('/api/v1/inbox/{id}/approve', {
      ...byId,
      body: { reason: 'looks right' },
    });
    expect(approved.response.status).toBe(200);
    expect(approved.data).toMatchObject({
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

    const twice = await api.POST('/api/v1/inbox/{id}/reject', { ...byId, body: null });
    expect(twice.response.status).toBe(409);
    expect(twice.error).toMatchObject({ error: { code: 'already_decided' } });
  });

  it('on reject, the tool call ends with the reason and the agent carries on', async () => {
    const run = await submitRun(server, owner, { agentId, input: '/tool demo.approval {"action":"drop"}' });
    await waitForRun(server, owner, run.id, ['waiting_approval']);
    const item = await inboxItemFor(server, owner, run.id);
    const rejected = await api.POST('/api/v1/inbox/{id}/reject', {
      params: { path: { id: item.id } },
      body: { reason: 'not on a Friday' },
    });
    expect(rejected.data).toMatchObject({ decision: 'rejected' });
    const done = await waitForRun(server, owner, run.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(done.output).toContain('not on a Friday');
  });

  it('only those with inbox:write can decide; a viewer cannot', async () => {
    const viewer = await addMember(server, owner, 'viewer');
    const run = await submitRun(server, owner, { agentId, input: '/tool demo.approval {"action":"x"}' });
    await waitForRun(server, owner, run.id, ['waiting_approval']);
    const item = await inboxItemFor(server, owner, run.id);
    const asViewer = clientAs(server, viewer);
    const byId = { params: { path: { id: item.id } } };
    expect((await asViewer.GET('/api/v1/inbox/{id}', byId)).response.status).toBe(200);
    const res = await asViewer.POST('/api/v1/inbox/{id}/approve', { ...byId, body: null });
    expect(res.response.status).toBe(403);
  });

  it('marks read, counts unread, and refuses to close an open approval', async () => {
    const run = await submitRun(server, owner, { agentId, input: '/tool demo.approval {"action":"y"}' });
    await waitForRun(server, owner, run.id, ['waiting_approval']);
    const item = await inboxItemFor(server, owner, run.id);
    const byId = { params: { path: { id: item.id } } };
    const before = await api.GET('/api/v1/inbox');
    const read = await api.PATCH('/api/v1/inbox/{id}/read', { ...byId, body: null });
    expect(read.data).toMatchObject({ read: true });
    const after = await api.GET('/api/v1/inbox');
    expect(after.data!.unread).toBe(before.data!.unread - 1);
    const close = await api.POST('/api/v1/inbox/{id}/close', byId);
    expect(close.response.status).toBe(409);
    expect(close.error).toMatchObject({ error: { code: 'approval_pending' } });
  });
});
