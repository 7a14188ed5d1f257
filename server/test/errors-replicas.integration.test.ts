import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../src/platform/bus.ts';
import { clientAs } from './kit/api-client.ts';
import { envelope, exceptionEvent, issuesOf, makeProject, postIngest, sendEvent } from './kit/errors.ts';
import {
  startReplica,
  startTestServer,
  storageMode,
  type TestServer,
  uniqueSuffix,
} from './kit/test-server.ts';
import { registerOwner } from './kit/users.ts';

const redisUrl = process.env.TEST_REDIS_URL;

/** The next event on a topic of this bus that `match` accepts. */
function nextOn(bus: Bus, topic: string, match: (orgId: string) => boolean = () => true): Promise<void> {
  return new Promise((resolve) => {
    const off = bus.subscribe(topic, (event) => {
      if (!match(event.orgId)) return;
      off();
      resolve();
    });
  });
}

/**
 * Error ingest on two replicas sharing PostgreSQL and Redis: a project changed through one replica is
 * seen at once by the other's key cache, and events stored by an API replica that groups nothing
 * (WORKERS_IN_PROCESS=false) wake the grouper of another.
 */
describe.skipIf(!redisUrl || storageMode !== 'postgres')('error ingest across replicas', () => {
  const shared = { REDIS_URL: redisUrl!, REDIS_PREFIX: `sbtest:${uniqueSuffix()}:` };
  let a: TestServer;
  let b: Awaited<ReturnType<typeof startReplica>>;
  beforeAll(async () => {
    a = await startTestServer({ env: shared });
    b = await startReplica(a, { ...shared, WORKERS_IN_PROCESS: 'false' });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const post = (server: { url: string }, project: { ingestId: string; publicKey: string }) =>
    postIngest(server, project.ingestId, envelope({}, [{ type: 'event', payload: exceptionEvent({}) }]), {
      key: project.publicKey,
    });

  it("drops a project's cached key on every replica when the project changes or goes", async () => {
    const owner = await registerOwner(a, 'replica-keys');
    const api = clientAs(a, owner);
    const project = await makeProject(api);
    // Replica B looks the key up and keeps it (with no limit of the project's own).
    expect((await post(b, project)).status).toBe(200);
    const orgOf = (orgId: string) => orgId === owner.orgId;

    // A lowers the limit: B hears of it and counts against the new limit at once.
    let told = nextOn(b.ctx.bus, 'cache:error-project-keys', orgOf);
    await api.PATCH('/api/v1/error-projects/{id}', {
      params: { path: { id: project.id } },
      body: { rateLimitPerMinute: 1 },
    });
    await told;
    const limited = await post(b, project);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-sentry-rate-limits')).toMatch(/::project:project_quota$/);

    // A deletes the project: B refuses its key.
    told = nextOn(b.ctx.bus, 'cache:error-project-keys', orgOf);
    await api.DELETE('/api/v1/error-projects/{id}', { params: { path: { id: project.id } } });
    await told;
    const refused = await post(b, project);
    expect(refused).toMatchObject({ status: 401, body: { error: { code: 'invalid_key' } } });
  });

  it('wakes the grouper of another replica when one without workers stores events', async () => {
    const owner = await registerOwner(a, 'replica-wake');
    const api = clientAs(a, owner);
    const project = await makeProject(api);
    const announced = nextOn(a.ctx.bus, 'errors:raw-events');
    await sendEvent(b, project, exceptionEvent({ type: 'FromReplicaB' }));
    await announced;
    const items = await issuesOf(api, project.id, (list) => list.length === 1);
    expect(items[0]).toMatchObject({ title: 'FromReplicaB: it broke', count: 1 });
  });
});
