import { createHmac } from 'node:crypto';

import type { FastifyBaseLogger } from 'fastify';
import type { Job, PgBoss } from 'pg-boss';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import { decrypt, deriveKey, encrypt } from '../platform/crypto.ts';
import type { Db } from '../platform/db/index.ts';
import { Errors } from '../platform/errors.ts';
import { randomToken } from '../platform/ids.ts';
import { createOrgCache } from '../platform/org-cache.ts';
import * as store from './store.ts';

export const WEBHOOKS_QUEUE = 'webhooks';
const TIMEOUT_MS = 10_000;

/** What one delivery carries: an event type, and its data or the run it is about (read when sent). */
interface WebhookJob {
  orgId: string;
  type: string;
  runId?: string;
  data?: unknown;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as Stripe does: the timestamp stops replays. */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * Outbound, signed, retried webhooks: one per org, told when a run ends (`run.finished`, with the run
 * as it is when sent) and of other domains' events (`budget.threshold`, `invoice.payment_failed`, …).
 */
export function createWebhooks(deps: {
  db: Db;
  bus: Bus;
  queue: PgBoss;
  secret: string;
  log: FastifyBaseLogger;
  /** A run of the org as the API shows it; the runs domain answers. */
  runOf(orgId: string, runId: string): Promise<unknown | undefined>;
}) {
  const { db, queue, log } = deps;
  const sealKey = deriveKey(deps.secret, 'webhook-secrets');
  // Whether an org has a webhook, asked at the end of every run; most have none.
  const hooked = createOrgCache<{ set: boolean }>({
    name: 'webhooks',
    bus: deps.bus,
    orgIdOf: (_value, orgId) => orgId,
  });

  const present = (w: { url: string; createdAt: Date; updatedAt: Date }) => ({
    url: w.url,
    createdAt: w.createdAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
  });

  async function deliver(job: Job<WebhookJob>): Promise<void> {
    const { orgId, type, runId, data } = job.data;
    const hook = await store.findWebhook(db, orgId);
    const run = runId ? await deps.runOf(orgId, runId) : undefined;
    if (!hook || (runId && !run)) return; // removed since: nothing to deliver
    const body = JSON.stringify({ type, deliveryId: job.id, ...(runId ? { run } : { data }) });
    const res = await fetch(hook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Switchboard-Webhooks/1',
        'switchboard-event': type,
        'switchboard-delivery': job.id,
        'switchboard-signature': signWebhook(
          decrypt(sealKey, hook.secretEnc),
          body,
          Math.floor(Date.now() / 1000),
        ),
      },
      body,
      signal: AbortSignal.any([AbortSignal.timeout(TIMEOUT_MS), job.signal]),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`webhook answered ${res.status}`); // pg-boss retries with back-off
  }

  async function send(job: WebhookJob): Promise<void> {
    const hook = await hooked.get(job.orgId, async (orgId) => ({
      set: !!(await store.findWebhook(db, orgId)),
    }));
    if (hook?.set) await queue.send(WEBHOOKS_QUEUE, job);
  }

  return {
    async start(): Promise<void> {
      await queue.createQueue(WEBHOOKS_QUEUE, {
        notify: true,
        retryLimit: 6,
        retryDelay: 2,
        retryBackoff: true,
        retryDelayMax: 600,
      });
      // NOTIFY starts first attempts at once; the 2 s poll picks up retries once their back-off has passed.
      const polling = { pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 2 };
      await queue.work<WebhookJob>(
        WEBHOOKS_QUEUE,
        { localConcurrency: 4, batchSize: 1, ...polling },
        async ([job]) => {
          if (!job) return;
          try {
            await deliver(job);
          } catch (err) {
            const { orgId, type, runId } = job.data;
            log.warn({ err, orgId, type, runId, attempt: job.retryCount }, 'webhook delivery failed');
            throw err;
          }
        },
      );
    },
    /** Queues the run's `run.finished`, if the org has a webhook. */
    runFinished: (run: { id: string; orgId: string }) =>
      send({ orgId: run.orgId, type: 'run.finished', runId: run.id }),
    /** Queues an event of another domain (`budget.exceeded`, …) with its data, if the org has a webhook. */
    notify: (orgId: string, type: string, data: unknown) => send({ orgId, type, data }),
    async get(p: Principal) {
      const hook = await store.findWebhook(db, p.orgId);
      if (!hook) throw Errors.notFound('webhook');
      return present(hook);
    },
    /** Sets the URL and makes a new signing secret, shown in this answer only. */
    async put(p: Principal, url: string) {
      const secret = `whsec_${randomToken(24)}`;
      await hooked.changing(
        p.orgId,
        db.transaction(async (tx) => {
          await store.upsertWebhook(tx, p.orgId, url, encrypt(sealKey, secret));
        }),
      );
      const hook = (await store.findWebhook(db, p.orgId))!;
      return { ...present(hook), secret };
    },
    async remove(p: Principal) {
      if (!(await store.findWebhook(db, p.orgId))) throw Errors.notFound('webhook');
      await hooked.changing(p.orgId, store.deleteWebhook(db, p.orgId));
    },
  };
}

export type Webhooks = ReturnType<typeof createWebhooks>;
