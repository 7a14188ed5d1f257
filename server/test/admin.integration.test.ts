import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymousClient, clientAs } from './kit/api-client.ts';
import { freePort, PROCESS_TEST_TIMEOUT, runCli, terminate, waitFor } from './kit/child-process.ts';
import { startOperatorServer } from './kit/operator.ts';
import { fileDatabaseUrl, storageMode, TEST_SECRET, type TestServer } from './kit/test-server.ts';
import { addMember, registerOwner, type Session, testPassword, uniqueEmail } from './kit/users.ts';
import { openAuthed, subscribe } from './kit/ws-client.ts';

describe('the control room', () => {
  let server: TestServer;
  let admin: Session;
  beforeAll(async () => {
    ({ server, admin } = await startOperatorServer());
  });
  afterAll(async () => {
    await server?.close();
  });

  it('shows platform statistics, connected sockets included', async () => {
    await registerOwner(server, 'stats-other');
    const socket = await openAuthed(server, admin.accessToken);
    server.domains.admin.service.figures.register('widgets', async () => 42);
    const res = await clientAs(server, admin).GET('/api/v1/admin/control-room/statistics');
    expect(res.response.status).toBe(200);
    expect(res.data).toMatchObject({
      orgs: expect.any(Number),
      users: expect.any(Number),
      realtime: {
        sockets: 1,
        replicas: 1,
        thisReplica: { sockets: 1, users: 1, orgs: 1, unauthenticated: 0, slowConsumersDropped: 0 },
      },
      figures: { widgets: 42 },
    });
    expect(res.data!.orgs).toBeGreaterThanOrEqual(2);
    expect(res.data!.users).toBeGreaterThanOrEqual(2);
    await socket.close();
  });

  it('reports system health: probes, memory, event loop, uptime and version', async () => {
    const res = await clientAs(server, admin).GET('/api/v1/admin/control-room/system-health');
    expect(res.response.status).toBe(200);
    expect(res.data).toMatchObject({
      status: 'ok',
      version: '0.1.0',
      node: process.version,
      pid: process.pid,
      checks: { database: { ok: true, latencyMs: expect.any(Number) } },
      memory: { rssBytes: expect.any(Number), heapUsedBytes: expect.any(Number) },
      eventLoop: { meanMs: expect.any(Number), p99Ms: expect.any(Number), maxMs: expect.any(Number) },
      uptimeSeconds: expect.any(Number),
      restartRequested: false,
    });
    expect(Object.keys(res.data!.checks)).toEqual([...server.ctx.readiness.keys()]);
  });

  it("refuses another org's owner (they hold admin for their own org only) and members without admin", async () => {
    const stranger = await registerOwner(server, 'stranger');
    const asStranger = clientAs(server, stranger);
    for (const url of [
      '/api/v1/admin/control-room/statistics',
      '/api/v1/admin/control-room/system-health',
    ] as const) {
      const res = await asStranger.GET(url);
      expect({ url, status: res.response.status, body: res.error }).toMatchObject({
        url,
        status: 403,
        body: {
          error: {
            code: 'not_operator',
            message: 'the control room belongs to the organisation that operates this server; sign in to it',
          },
        },
      });
    }
    const restart = await asStranger.POST('/api/v1/admin/restart');
    expect(restart.response.status).toBe(403);
    const member = await addMember(server, admin, 'member');
    const denied = await clientAs(server, member).GET('/api/v1/admin/control-room/statistics');
    expect(denied.response.status).toBe(403);
    expect(denied.error).toMatchObject({
      error: { code: 'forbidden', message: 'this needs the admin permission' },
    });
    expect(server.domains.admin.restart.requested).toBe(false);
  });

  it('answers 503 when nothing owns the process to start it again', async () => {
    const res = await clientAs(server, admin).POST('/api/v1/admin/restart');
    expect(res.response.status).toBe(503);
    expect(res.error).toMatchObject({
      error: {
        code: 'unavailable',
        message: 'this server runs without `switchboard serve`, so nothing would start it again',
      },
    });
    expect(server.domains.admin.restart.requested).toBe(false);
  });
});

describe('POST /admin/restart', () => {
  it('answers 202, finishes in-flight requests, closes sockets with 1012, then exits 0', async () => {
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const { server, admin } = await startOperatorServer({
      testRoutes: (app) => {
        app.get('/test/slow', { config: { auth: 'public' } }, async () => {
          entered();
          await new Promise((resolve) => setTimeout(resolve, 300));
          return { done: true };
        });
      },
    });
    try {
      const exits: number[] = [];
      const exited = new Promise<void>((resolve) => {
        server.domains.admin.restart.configure({
          exit: (code) => {
            exits.push(code);
            resolve();
          },
        });
      });
      const socket = await openAuthed(server, admin.accessToken);
      await subscribe(socket, 'dashboard');
      const slow = fetch(`${server.url}/test/slow`);
      await inside;

      const res = await clientAs(server, admin).POST('/api/v1/admin/restart');
      expect(res.response.status).toBe(202);
      expect(res.data).toEqual({ status: 'restarting', drainTimeoutMs: server.ctx.config.shutdownTimeoutMs });
      expect(res.response.headers.get('connection')).toBe('close');

      expect(await socket.closed).toEqual({ code: 1012, reason: 'server is restarting; reconnect shortly' });
      const finished = await slow;
      expect(finished.status).toBe(200);
      expect(await finished.json()).toEqual({ done: true });
      await exited;
      expect(exits).toEqual([0]);
      await expect(fetch(`${server.url}/health`)).rejects.toThrow();

      // The restart itself is in the audit trail (written while draining).
      const [row] = await server.domains.audit.service
        .list(
          {
            kind: 'user',
            id: admin.userId,
            userId: admin.userId,
            orgId: admin.orgId,
            scopes: new Set(),
            expiresAt: null,
          },
          { limit: 1, action: 'restartServer' },
        )
        .then((page) => page.items);
      expect(row).toMatchObject({ action: 'restartServer', outcome: 'success', status: 202 });
    } finally {
      await server.close();
    }
  });
});

/** The real CLI: `switchboard start` supervises a child server and starts it again after a restart. */
describe(`the supervisor (${storageMode})`, { timeout: PROCESS_TEST_TIMEOUT }, () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sb-sup-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function env(extra: Record<string, string> = {}): Promise<Record<string, string>> {
    return {
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      SWITCHBOARD_SECRET: TEST_SECRET,
      ...(storageMode === 'postgres' ? { DATABASE_URL: await fileDatabaseUrl() } : {}),
      ...extra,
    };
  }

  it('restarts the server after POST /admin/restart, and exits 0 on SIGTERM', async () => {
    const email = uniqueEmail('sup');
    const password = testPassword();
    const vars = await env({ SWITCHBOARD_ADMIN_EMAIL: email, SWITCHBOARD_ADMIN_PASSWORD: password });
    const base = { url: `http://127.0.0.1:${vars.PORT}` };
    const cli = runCli(['start'], vars);
    try {
      await waitFor(`${base.url}/health/ready`, cli);
      const signedIn = await anonymousClient(base).POST('/api/v1/auth/login', { body: { email, password } });
      const admin = clientAs(base, signedIn.data!.accessToken);
      const health = () => admin.GET('/api/v1/admin/control-room/system-health');
      const first = (await health()).data!.pid;
      expect(first).not.toBe(cli.child.pid);

      expect((await admin.POST('/api/v1/admin/restart')).response.status).toBe(202);
      let second = first;
      const deadline = Date.now() + 120_000;
      while (second === first && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        second = await health().then(
          (r) => (r.response.status === 200 ? r.data!.pid : first),
          () => first,
        );
      }
      expect(second).not.toBe(first);
      expect(cli.output()).toContain('switchboard: restarting the server');
    } finally {
      expect(await terminate(cli)).toBe(0);
    }
  });

  it("exits with the server's code when it fails, without restarting it", async () => {
    const vars = await env();
    const blocker = createServer().listen(Number(vars.PORT), '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    try {
      const cli = runCli(['start'], vars);
      expect(await cli.exited).toBe(1);
      expect(cli.output()).toContain('EADDRINUSE');
      expect(cli.output()).not.toContain('restarting');
    } finally {
      blocker.close();
    }
  });
});
