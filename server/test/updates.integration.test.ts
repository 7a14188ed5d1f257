import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRow } from '../src/audit/service.ts';
import { insertAudit } from '../src/audit/store.ts';
import { makeAgent } from './kit/agents.ts';
import { clientAs, rawRequest, type Schema } from './kit/api-client.ts';
import { inboxItemFor, makeRunAgent, submitRun, waitForRun } from './kit/runs.ts';
import { startTestServer, type TestServer, uniqueSuffix } from './kit/test-server.ts';
import { addMember, registerOwner, type Session } from './kit/users.ts';

type Update = Schema<'Update'>;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

/** The feed as `session` sees it; the audit hook's rows are written behind requests, so they go first. */
async function updates(session: Session, query: { limit?: number; cursor?: string } = { limit: 200 }) {
  await server.domains.audit.recorder.flush();
  const res = await clientAs(server, session).GET('/api/v1/updates', { params: { query } });
  if (!res.data) throw new Error(`GET /updates failed: ${res.response.status} ${JSON.stringify(res.error)}`);
  return res.data;
}

/** Every item, page by page with `limit`, failing on a page that repeats an earlier item. */
async function walk(session: Session, limit: number): Promise<Update[]> {
  const out: Update[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const page = await updates(session, { limit, ...(cursor ? { cursor } : {}) });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    out.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) return out;
    expect(page.items).toHaveLength(limit);
  }
  throw new Error('the feed did not end within 100 pages');
}

const brief = (u: Update) => [u.kind, u.summary, u.subject?.id ?? null];

/** Every new org starts with an agent made by the system, Assistant: the oldest item of each feed. */
async function starterOf(session: Session): Promise<string[]> {
  const agents = await clientAs(server, session).GET('/api/v1/agents');
  const starter = agents.data!.items.find((a) => a.name === 'Assistant')!;
  return ['agent.created', 'created agent Assistant', starter.id];
}

describe('GET /updates', () => {
  it('merges what people did and what runs did, newest first', async () => {
    const owner = await registerOwner(server, 'updates');
    const agent = await makeRunAgent(server, owner, { name: `Triage ${uniqueSuffix()}` });
    const first = await submitRun(server, owner, { agentId: agent.id, input: 'hello' });
    await waitForRun(server, owner, first.id, ['succeeded']);
    const paused = await submitRun(server, owner, {
      agentId: agent.id,
      input: '/tool demo.approval {"action":"ship"}',
    });
    await waitForRun(server, owner, paused.id, ['waiting_approval']);

    const before = await updates(owner);
    expect(before.items.map(brief)).toEqual([
      ['run.waiting_approval', `run of ${agent.name} is waiting for approval`, paused.id],
      ['run.submitted', `submitted a run of ${agent.name}`, paused.id],
      ['run.succeeded', `run of ${agent.name} succeeded`, first.id],
      ['run.submitted', `submitted a run of ${agent.name}`, first.id],
      ['agent.created', `created agent ${agent.name}`, agent.id],
      await starterOf(owner),
    ]);
    expect(before.nextCursor).toBeNull();
    const me = { kind: 'user', id: owner.userId, name: 'Test updates' };
    expect(before.items.map((u) => u.actor)).toEqual([null, me, null, me, me, null]);
    expect(before.items.map((u) => u.subject?.type)).toEqual(['run', 'run', 'run', 'run', 'agent', 'agent']);
    const times = before.items.map((u) => Date.parse(u.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(before.items[0]!.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    // Approving: the person's decision shows, and the run is listed by its new state.
    const item = await inboxItemFor(server, owner, paused.id);
    const api = clientAs(server, owner);
    const approved = await api.POST('/api/v1/inbox/{id}/approve', {
      params: { path: { id: item.id } },
      body: {},
    });
    expect(approved.response.status).toBe(200);
    await waitForRun(server, owner, paused.id, ['succeeded']);
    const renamed = await api.PATCH('/api/v1/agents/{id}', {
      params: { path: { id: agent.id } },
      body: { name: `${agent.name} II` },
    });
    expect(renamed.response.status).toBe(200);

    const after = await updates(owner);
    expect(after.items.map(brief)).toEqual([
      ['agent.updated', `updated agent ${agent.name} II (version 2)`, agent.id],
      ['run.succeeded', `run of ${agent.name} II succeeded`, paused.id],
      ['approval.approved', 'approved a call to demo.approval', item.id],
      ['run.submitted', `submitted a run of ${agent.name} II`, paused.id],
      ['run.succeeded', `run of ${agent.name} II succeeded`, first.id],
      ['run.submitted', `submitted a run of ${agent.name} II`, first.id],
      // Names are today's: the agent is called what it is called now.
      ['agent.created', `created agent ${agent.name} II`, agent.id],
      await starterOf(owner),
    ]);
    expect(after.items[2]!.subject).toEqual({ type: 'inbox_item', id: item.id });
  });

  it('tells failures and cancellations, and who asked for the cancel', async () => {
    const owner = await registerOwner(server, 'updates-end');
    const agent = await makeRunAgent(server, owner, { name: `Ender ${uniqueSuffix()}` });
    const failing = await submitRun(server, owner, { agentId: agent.id, input: '/fail the model is down' });
    await waitForRun(server, owner, failing.id, ['failed']);
    const slow = await submitRun(server, owner, { agentId: agent.id, input: '/sleep 20000' });
    await waitForRun(server, owner, slow.id, ['running']);
    const cancel = await clientAs(server, owner).POST('/api/v1/runs/{id}/cancel', {
      params: { path: { id: slow.id } },
    });
    expect(cancel.response.status).toBe(202);
    await waitForRun(server, owner, slow.id, ['cancelled']);

    const feed = await updates(owner);
    const failed = feed.items.find((u) => u.kind === 'run.failed')!;
    expect(failed.summary).toMatch(new RegExp(`^run of ${agent.name} failed: .*the model is down`));
    expect(feed.items.slice(0, 3).map(brief)).toEqual([
      ['run.cancelled', `run of ${agent.name} was cancelled`, slow.id],
      ['run.cancel_requested', `asked to cancel a run of ${agent.name}`, slow.id],
      ['run.submitted', `submitted a run of ${agent.name}`, slow.id],
    ]);
    expect(feed.items[1]!.actor).toEqual({ kind: 'user', id: owner.userId, name: 'Test updates-end' });
  });

  it('pages through both sources without duplicates or gaps, ties included', async () => {
    const owner = await registerOwner(server, 'updates-pages');
    const agents = [];
    for (let i = 0; i < 4; i++) agents.push(await makeAgent(server, owner, { name: `Pager ${i}` }));
    const runIds: string[] = [];
    for (const input of ['one', 'two']) {
      const run = await submitRun(server, owner, { agentId: agents[0]!.id, input });
      runIds.push(run.id);
    }
    const last = await waitForRun(server, owner, runIds[1]!, ['succeeded']);
    await waitForRun(server, owner, runIds[0]!, ['succeeded']);
    // Five audit rows at the very instant the last run finished: ties within and across sources.
    const run = await clientAs(server, owner).GET('/api/v1/runs/{id}', { params: { path: { id: last.id } } });
    const finishedAt = new Date(run.data!.finishedAt!);
    for (let i = 0; i < 5; i++) {
      await insertAudit(
        server.ctx.database.db,
        auditRow(
          {
            action: 'agent.delete',
            orgId: owner.orgId,
            actor: { kind: 'user', id: owner.userId },
            resource: { type: 'agent', id: `agt_gone${i}` },
            outcome: 'success',
            details: { slug: `gone-${i}` },
            meta: null,
          },
          finishedAt,
        ),
      );
    }

    const whole = (await updates(owner)).items;
    // The starter agent and 4 more, 2 runs submitted and 2 succeeded, 5 deletions.
    expect(whole).toHaveLength(14);
    expect(new Set(whole.map((u) => u.id)).size).toBe(14);
    const tied = whole.filter((u) => u.at === finishedAt.toISOString()).map((u) => u.kind);
    expect(tied.filter((k) => k === 'agent.deleted')).toHaveLength(5);
    expect(tied).toContain('run.succeeded');
    for (const limit of [1, 2, 3, 5, 13]) {
      expect((await walk(owner, limit)).map((u) => u.id)).toEqual(whole.map((u) => u.id));
    }
    const exact = await updates(owner, { limit: 14 });
    expect(exact.items).toHaveLength(14);
    expect(exact.nextCursor).toBeNull();
  });

  it('is readable by a viewer, who sees only the kinds its permissions cover', async () => {
    const owner = await registerOwner(server, 'updates-viewer');
    const viewer = await addMember(server, owner, 'viewer');
    const agent = await makeAgent(server, owner, { name: 'Seen by all' });
    const key = await clientAs(server, owner).POST('/api/v1/api-keys', {
      body: { name: 'deploy-bot', scopes: ['runs:read'] },
    });
    expect(key.response.status).toBe(201);

    const ownerView = (await updates(owner)).items;
    expect(ownerView.map(brief)).toEqual([
      ['api_key.created', 'created API key deploy-bot', key.data!.apiKey.id],
      ['agent.created', 'created agent Seen by all', agent.id],
      ['member.added', `added ${viewer.email} as viewer`, viewer.memberId],
      await starterOf(owner),
    ]);
    // A viewer may not see API keys, so the feed does not tell it about them either.
    const viewerView = await updates(viewer);
    expect(viewerView.items.map(brief)).toEqual(ownerView.slice(1).map(brief));
    expect(viewerView.items[0]!.actor).toEqual({
      kind: 'user',
      id: owner.userId,
      name: 'Test updates-viewer',
    });
  });

  it("never shows an org another org's items, whatever the cursor", async () => {
    const owner = await registerOwner(server, 'updates-a');
    const agent = await makeAgent(server, owner);
    await makeAgent(server, owner);
    const other = await registerOwner(server, 'updates-b');
    // B's feed holds only B's own starter agent.
    expect((await updates(other)).items.map(brief)).toEqual([await starterOf(other)]);
    const page = await updates(owner, { limit: 1 });
    expect(page.nextCursor).not.toBeNull();
    // A's cursor reads B's feed from that point: B's starter (made after it) is not there, nor anything of A's.
    expect(await updates(other, { limit: 1, cursor: page.nextCursor! })).toEqual({
      items: [],
      nextCursor: null,
    });
    const mine = await updates(owner);
    expect(mine.items.map((u) => u.subject?.id)).toContain(agent.id);
  });

  it('answers bad limits and cursors with a validation envelope, and needs tasks:read', async () => {
    const owner = await registerOwner(server, 'updates-bad');
    const cases: Array<[string, string]> = [
      ['limit=0', 'querystring.limit: Too small: expected number to be >=1'],
      ['limit=201', 'querystring.limit: Too big: expected number to be <=200'],
      ['limit=ten', 'querystring.limit: Invalid input: expected number, received NaN'],
      ['cursor=nope', 'querystring.cursor: is not a cursor of this feed'],
      // Well formed, but no such day: refused here rather than failing in the database.
      [
        `cursor=${Buffer.from('2025-02-30T00:00:00.000000Z|aud_x').toString('base64url')}`,
        'querystring.cursor: is not a cursor of this feed',
      ],
      [`cursor=${'a'.repeat(201)}`, 'querystring.cursor: Too big: expected string to have <=200 characters'],
    ];
    // Malformed queries the typed client would not send: raw.
    for (const [query, message] of cases) {
      const res = await rawRequest(server, 'GET', `/api/v1/updates?${query}`, {
        token: owner.accessToken,
        headers: { 'x-request-id': `bad-${uniqueSuffix()}` },
      });
      expect({ query, status: res.status, body: res.body }).toEqual({
        query,
        status: 400,
        body: {
          error: {
            code: 'validation_failed',
            message,
            details: {
              issues: [expect.objectContaining({ message: message.split(': ').slice(1).join(': ') })],
            },
            requestId: res.headers.get('x-request-id'),
          },
        },
      });
    }

    const key = await clientAs(server, owner).POST('/api/v1/api-keys', {
      body: { name: 'runs only', scopes: ['runs:read'] },
    });
    const denied = await clientAs(server, key.data!.key).GET('/api/v1/updates');
    expect(denied.response.status).toBe(403);
    expect(denied.error).toMatchObject({
      error: { code: 'forbidden', message: 'this needs the tasks:read permission' },
    });
  });
});
