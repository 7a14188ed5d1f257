import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { fromDrizzle, type PgBoss } from 'pg-boss';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import type { Config } from '../platform/config.ts';
import type { Db } from '../platform/db/index.ts';
import { inTransaction, type Work } from '../platform/db/work.ts';
import type { RequestMeta } from '../platform/http.ts';
import { newId } from '../platform/ids.ts';
import { decodeCursor, toPage } from '../platform/pagination.ts';
import type { SubmitInput, SubmitOptions } from '../runs/service.ts';
import { FixErrors } from './errors.ts';
import { auditFix, publishFix } from './events.ts';
import { fixInput, type IssueForFix } from './fixer.ts';
import { presentFix } from './present.ts';
import { branchTip, openRepository } from './repository.ts';
import type { RequestFixInput } from './schema.ts';
import * as store from './store.ts';

/** The queue of approved fixes: each job commits one fix's edits and runs its verify command. */
export const FIXES_QUEUE = 'fixes-apply';

export interface FixJob {
  fixId: string;
  orgId: string;
}

/** What fixes need of the error tracker (the errors domain answers). */
export interface IssuesPort {
  /** The issue with its project and latest event, or undefined when the org has no such issue. */
  forFix(orgId: string, issueId: string): Promise<IssueForFix | undefined>;
  /** The project's verify command as it is now (approval takes it), or undefined when it is gone. */
  verifyCommandOf(orgId: string, projectId: string): Promise<string[] | null | undefined>;
}

/** An inbox notice asking a person to review a proposed fix, and closing it once decided. */
export interface InboxPort {
  openNotice(
    notice: {
      orgId: string;
      title: string;
      body: string;
      audience?: string | undefined;
      payload?: Record<string, unknown> | undefined;
    },
    work: Work,
  ): Promise<string>;
  close(work: Work, orgId: string, itemId: string): Promise<void>;
}

export interface FixesDeps {
  db: Db;
  bus: Bus;
  queue: PgBoss;
  log: FastifyBaseLogger;
  settings: Config['fixes'];
  issues: IssuesPort;
  agents: {
    /** Whether the org has this agent. */
    exists(orgId: string, id: string): Promise<boolean>;
    /** The org's fixer agent, made on first use. */
    fixer(p: Principal): Promise<string>;
  };
  runs: {
    submit(p: Principal, input: SubmitInput, opts: SubmitOptions): Promise<unknown>;
  };
}

/** The branch a fix is committed on: `switchboard/fix-<the random end of its id>`. */
export const fixBranch = (fixId: string) => `switchboard/fix-${fixId.slice(-8)}`;

/**
 * Fixes: requesting one (a run of the fixer agent), reading them, and a person's decision. What the
 * run does moves the fix in the run's own transaction (outcomes.ts); what an approval does (commit,
 * verify) happens in a queued job (jobs.ts), so it survives a restart and runs on any worker.
 */
export function createFixesService(deps: FixesDeps) {
  const { db, bus, settings } = deps;

  async function requireFix(p: Principal, id: string) {
    const fix = await store.findFix(db, p.orgId, id);
    if (!fix) throw FixErrors.notFound(id);
    return fix;
  }

  /** Closes the fix's review notice in the decision's unit of work. */
  async function closeReview(work: Work, fix: store.FixRecord, inbox: InboxPort | undefined) {
    if (fix.inboxItemId && inbox) await inbox.close(work, fix.orgId, fix.inboxItemId);
  }

  let inbox: InboxPort | undefined;

  const service = {
    /** The inbox the review notices go to (set once the workspace is built, which comes after). */
    useInbox(port: InboxPort) {
      inbox = port;
    },
    inbox: () => inbox,

    /**
     * Requests a fix: the issue's project must have a repository the operator allows, whose branch is
     * read now (the fixer sees that commit). A run of the fixer starts with the person's instructions,
     * then the issue; the fix and its run commit together.
     */
    async request(p: Principal, issueId: string, input: RequestFixInput, meta: RequestMeta) {
      const data = await deps.issues.forFix(p.orgId, issueId);
      if (!data) throw FixErrors.issueNotFound(issueId);
      const repository = data.project.repository;
      if (!repository) throw FixErrors.repositoryNotConfigured(data.project.id);
      const repo = await openRepository(repository.path, settings.repositoryRoots, settings.childEnv);
      const baseCommit = await branchTip(repo, repository.branch);
      let agentId: string;
      if (input.agentId) {
        if (!(await deps.agents.exists(p.orgId, input.agentId))) throw FixErrors.agentNotFound(input.agentId);
        agentId = input.agentId;
      } else agentId = await deps.agents.fixer(p);

      const id = newId('fix');
      const instructions = input.instructions ?? '';
      let created: store.FixRecord | undefined;
      await deps.runs.submit(
        p,
        {
          agentId,
          input: fixInput(instructions, data, baseCommit),
          metadata: { fixId: id, issueId },
        },
        {
          within: async (work, run) => {
            created = await store.insertFix(work.tx, {
              id,
              orgId: p.orgId,
              issueId,
              projectId: data.project.id,
              agentId,
              runId: run.id,
              status: 'queued',
              instructions,
              repositoryPath: repository.path,
              repositoryBranch: repository.branch,
              baseCommit,
              release: data.latestEvent?.release ?? null,
              requestedBy: p.id,
            });
            await auditFix(work.tx, p, 'fix.request', created, meta, { runId: run.id, agentId });
            publishFix(work, bus, created);
          },
        },
      );
      return presentFix(created!);
    },

    get: async (p: Principal, id: string) => presentFix(await requireFix(p, id)),

    async listOfIssue(p: Principal, issueId: string, q: { limit: number; cursor?: string | undefined }) {
      if (!(await deps.issues.forFix(p.orgId, issueId))) throw FixErrors.issueNotFound(issueId);
      const rows = await store.listFixesOfIssue(db, p.orgId, issueId, {
        limit: q.limit + 1,
        before: decodeCursor(q.cursor),
      });
      const page = toPage(rows, q.limit);
      return { items: page.items.map(presentFix), nextCursor: page.nextCursor };
    },

    /**
     * Approves a proposed fix: it moves to `applying` and a job commits it on its own branch, then runs
     * the project's verify command (taken now). The repository must still be one the operator allows;
     * if not, nothing changes.
     */
    async approve(p: Principal, id: string, meta: RequestMeta) {
      const fix = await requireFix(p, id);
      if (fix.status !== 'proposed') throw FixErrors.notProposed(id, fix.status);
      await openRepository(fix.repositoryPath, settings.repositoryRoots, settings.childEnv);
      const verifyCommand = (await deps.issues.verifyCommandOf(p.orgId, fix.projectId)) ?? null;
      const approved = await inTransaction(db, async (work) => {
        const row = await store.updateFix(
          work.tx,
          p.orgId,
          id,
          { status: 'applying', decidedBy: p.id, decidedAt: new Date(), verifyCommand },
          { from: ['proposed'] },
        );
        if (!row)
          throw FixErrors.notProposed(id, (await store.findFix(work.tx, p.orgId, id))?.status ?? 'gone');
        await closeReview(work, row, inbox);
        await auditFix(work.tx, p, 'fix.approve', row, meta, { verifyCommand });
        await enqueueFixJob(deps.queue, work, { fixId: id, orgId: p.orgId }, settings.verifyTimeoutSeconds);
        publishFix(work, bus, row);
        return row;
      });
      return presentFix(approved);
    },

    async reject(p: Principal, id: string, reason: string | undefined, meta: RequestMeta) {
      const fix = await requireFix(p, id);
      if (fix.status !== 'proposed') throw FixErrors.notProposed(id, fix.status);
      const rejected = await inTransaction(db, async (work) => {
        const row = await store.updateFix(
          work.tx,
          p.orgId,
          id,
          { status: 'rejected', decidedBy: p.id, decidedAt: new Date(), rejectReason: reason ?? null },
          { from: ['proposed'] },
        );
        if (!row)
          throw FixErrors.notProposed(id, (await store.findFix(work.tx, p.orgId, id))?.status ?? 'gone');
        await closeReview(work, row, inbox);
        await auditFix(work.tx, p, 'fix.reject', row, meta, { reason: reason ?? null });
        publishFix(work, bus, row);
        return row;
      });
      return presentFix(rejected);
    },

    /**
     * An event of an issue arrived (the errors domain tells). An applied fix stops holding when the
     * error comes back in another release than the one it was reported in, after the fix's commit:
     * the event names a release, that release differs from the issue's release when the fix was
     * requested, and the event happened after the commit. Answers the fixes that stopped holding.
     */
    async eventArrived(orgId: string, issueId: string, event: { release: string | null; at: Date }) {
      if (!event.release) return [];
      const applied = await store.appliedFixesOfIssue(db, orgId, issueId);
      const regressed: string[] = [];
      for (const fix of applied) {
        if (!fix.committedAt || event.at <= fix.committedAt || event.release === fix.release) continue;
        await inTransaction(db, async (work) => {
          const row = await store.updateFix(
            work.tx,
            orgId,
            fix.id,
            { holding: false, regressedAt: event.at, regressedRelease: event.release },
            { from: [fix.status] },
          );
          if (!row || row.holding !== false) return;
          await auditFix(work.tx, { kind: 'system', id: null }, 'fix.regressed', row, null, {
            release: event.release,
          });
          publishFix(work, bus, row);
          regressed.push(row.id);
        });
      }
      return regressed;
    },
  };
  return service;
}

/** Queues the job that applies (and verifies) an approved fix, in the approval's transaction. */
export async function enqueueFixJob(queue: PgBoss, work: Work, job: FixJob, verifySeconds: number) {
  await queue.send(FIXES_QUEUE, job as unknown as object, {
    // The job is active while its verify command runs; it is not expired (and retried) before that ends.
    expireInSeconds: verifySeconds + 300,
    retryLimit: 3,
    retryDelay: 5,
    db: fromDrizzle(work.tx as never, sql),
  });
}

export type FixesService = ReturnType<typeof createFixesService>;
