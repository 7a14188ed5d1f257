import type { FastifyBaseLogger } from 'fastify';
import { type Directory, operatorOrgOf } from '../identity/directory.ts';
import type { Principal } from '../platform/auth.ts';
import type { AppContext } from '../platform/context.ts';
import type { Realtime } from '../realtime/module.ts';
import type { AgentRunStats, ExecutionMetrics, MetricWindow } from '../runs/metrics.ts';
import { AdminErrors } from './errors.ts';
import { createLoopMonitor, SERVER_VERSION, timedProbe } from './health.ts';
import type { RestartControl } from './restart.ts';

export interface AdminDeps {
  ctx: AppContext;
  /** Platform-wide facts about orgs and people; the identity domain answers. */
  directory: Pick<Directory, 'countOrgs' | 'countUsers' | 'firstOrgOfEmail' | 'oldestOrg' | 'orgNames'>;
  /** Platform-wide execution figures; the runs domain answers. */
  runs: {
    metrics(window: MetricWindow): Promise<ExecutionMetrics>;
    agentStats(window: MetricWindow): Promise<AgentRunStats[]>;
  };
  /** Agents' names across orgs; the agents domain answers. */
  agents: { labelsAcrossOrgs(ids: string[]): Promise<Map<string, { name: string; slug: string }>> };
  realtime: Realtime;
  restart: RestartControl;
  log: FastifyBaseLogger;
}

/**
 * The control room. Its figures span every org and restart stops everyone, so besides the `admin`
 * permission the caller must belong to the operator org: OPERATOR_ORG_ID, else the start-up admin's org,
 * else the oldest org. Every other org's owner also holds `admin`, for their own org only.
 */
export function createAdminService(deps: AdminDeps) {
  const { ctx, realtime } = deps;
  const monitor = createLoopMonitor();
  const figures = new Map<string, () => Promise<number>>();
  const startedAt = new Date();
  const operatorOrg = operatorOrgOf(deps.directory, {
    operatorOrgId: ctx.config.operatorOrgId,
    adminEmail: ctx.config.admin?.email,
  });

  async function assertOperator(p: Principal): Promise<void> {
    const orgId = await operatorOrg();
    if (!orgId || p.orgId !== orgId) {
      throw AdminErrors.notOperator();
    }
  }

  async function figureValues(): Promise<Record<string, number>> {
    const entries = await Promise.all(
      [...figures].map(async ([name, fn]) => {
        try {
          return [name, await fn()] as const;
        } catch (err) {
          deps.log.warn({ err, figure: name }, 'control room: a figure failed');
          return undefined;
        }
      }),
    );
    return Object.fromEntries(entries.filter((e) => e !== undefined));
  }

  return {
    /** Other domains add platform-wide counts here (`agents`, `runs`). */
    figures: {
      register(name: string, fn: () => Promise<number>): void {
        if (figures.has(name)) throw new Error(`control room: figure "${name}" already exists`);
        figures.set(name, fn);
      },
    },
    assertOperator,

    async statistics(p: Principal) {
      await assertOperator(p);
      const [orgs, users, totals, extra] = await Promise.all([
        deps.directory.countOrgs(),
        deps.directory.countUsers(),
        realtime.totals(),
        figureValues(),
      ]);
      return {
        at: new Date().toISOString(),
        orgs,
        users,
        realtime: {
          sockets: totals.sockets,
          replicas: totals.replicas,
          thisReplica: { replicaId: realtime.replicaId, ...realtime.local() },
        },
        figures: extra,
      };
    },

    async executionMetrics(p: Principal, window: MetricWindow) {
      await assertOperator(p);
      return deps.runs.metrics(window);
    },

    /** Every agent's recent runs with its name and its org's (the control room spans orgs). */
    async agentHealth(p: Principal, window: MetricWindow) {
      await assertOperator(p);
      const stats = await deps.runs.agentStats(window);
      const [labels, orgNames] = await Promise.all([
        deps.agents.labelsAcrossOrgs(stats.map((s) => s.agentId)),
        deps.directory.orgNames(stats.map((s) => s.orgId)),
      ]);
      return {
        at: new Date().toISOString(),
        window,
        items: stats.map((s) => {
          const label = labels.get(`${s.orgId}:${s.agentId}`);
          return {
            ...s,
            orgName: orgNames.get(s.orgId) ?? null,
            name: label?.name ?? null,
            slug: label?.slug ?? null,
          };
        }),
      };
    },

    async systemHealth(p: Principal) {
      await assertOperator(p);
      const names = [...ctx.readiness.keys()];
      const results = await Promise.all([...ctx.readiness.values()].map(timedProbe));
      const checks = Object.fromEntries(names.map((name, i) => [name, results[i]!]));
      const memory = process.memoryUsage();
      return {
        status: results.every((r) => r.ok) ? ('ok' as const) : ('degraded' as const),
        at: new Date().toISOString(),
        version: SERVER_VERSION,
        node: process.version,
        pid: process.pid,
        replicaId: realtime.replicaId,
        startedAt: startedAt.toISOString(),
        uptimeSeconds: Math.round(process.uptime()),
        checks,
        memory: {
          rssBytes: memory.rss,
          heapUsedBytes: memory.heapUsed,
          heapTotalBytes: memory.heapTotal,
          externalBytes: memory.external,
          arrayBuffersBytes: memory.arrayBuffers,
        },
        eventLoop: monitor.lag(),
        restartRequested: deps.restart.requested,
      };
    },

    /** Checks the caller may restart; the route starts the drain once the answer has gone out. */
    async acceptRestart(p: Principal) {
      await assertOperator(p);
      if (!deps.restart.available) {
        throw AdminErrors.restartUnavailable();
      }
      return { status: 'restarting' as const, drainTimeoutMs: ctx.config.shutdownTimeoutMs };
    },

    stop(): void {
      monitor.stop();
    },
  };
}

export type AdminService = ReturnType<typeof createAdminService>;
