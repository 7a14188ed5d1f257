import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { fromDrizzle, type PgBoss } from 'pg-boss';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import type { Config } from '../platform/config.ts';
import type { Db } from '../platform/db/index.ts';
import { inTransaction, type Work } from '../platform/db/work.ts';
import { AppError } from '../platform/errors.ts';
import type { RequestMeta } from '../platform/http.ts';
import { newId } from '../platform/ids.ts';
import { decodeCursor, toPage } from '../platform/pagination.ts';
import type { SubmitInput, SubmitOptions } from '../runs/service.ts';
import { FixErrors } from './errors.ts';
import { auditFix, publishFix } from './events.ts';
import { FIXER_INSTRUCTIONS, FIXER_SLUG, FIXER_TOOLS, fixInput, type IssueForFix } from './fixer.ts';
import { codeAtFrames } from './frames.ts';
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
  /** Whether the issue had an event from `release` received at or before `at`. */
  releaseSeenBefore(orgId: string, issueId: string, release: string, at: Date): Promise<boolean>;
  /** Reopens the issue as regressed because this fix stopped holding. */
  regress(orgId: string, issueId: string, because: { fixId: string; release: string }): Promise<unknown>;
}

/** Events of an issue from one release, the last received when (the errors domain tells after grouping). */
export interface EventArrival {
  orgId: string;
  issueId: string;
  release: string;
  receivedAt: Date;
}

/** The agent a fix run is given by default, made in the org on first use. */
export const FIXER_AGENT = {
  name: 'Fixer',
  slug: FIXER_SLUG,
  description:
    'Reads an error issue and the project repository, explains the root cause and proposes a patch',
  instructions: FIXER_INSTRUCTIONS,
  tools: FIXER_TOOLS,
};

/** An inbox notice asking a person to review a proposed fix, and closing it once decided. */
export interface InboxPort {
  /** Opens a notice for the org's people holding `audience`, in the caller's unit of work; answers its id. */
  openNotice(
    notice: {
      orgId: string;
      title: string;
      body: string;
      audience: string;
      payload: Record<string, unknown>;
    },
    work: Work,
  ): Promise<string>;
  /** Closes an open item in the caller's unit of work. */
  close(work: Work, orgId: string, itemId: string): Promise<void>;
}

export interface FixesDeps {
  db: Db;
  bus: Bus;
  queue: PgBoss;
  log: FastifyBaseLogger;
  settings: Config['fixes'];
  issues: IssuesPort;
  inbox: InboxPort;
  agents: {
    /** Whether the org has this agent. */
    exists(orgId: string, id: string): Promise<boolean>;
    /** The org's agent with this slug, or undefined. */
    findBySlug(orgId: string, slug: string): Promise<{ id: string } | undefined>;
    /** Makes an agent in the org on behalf of `p` (plan limits apply); a slug taken answers 409 `slug_taken`. */
    create(p: Principal, input: typeof FIXER_AGENT, meta: RequestMeta): Promise<{ id: string }>;
  };
  runs: {
    submit(p: Principal, input: SubmitInput, opts: SubmitOptions): Promise<unknown>;
  };
}

/**
 * The branch a fix is committed on: `switchboard/fix-<the issue's short id>`; a later fix of the same
 * issue takes the first of `-2`, `-3`… that is free (apply.ts).
 */
export const fixBranch = (issueShortId: string) => `switchboard/fix-${issueShortId}`;

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
  async function closeReview(work: Work, fix: store.FixRecord) {
    if (fix.inboxItemId) await deps.inbox.close(work, fix.orgId, fix.inboxItemId);
  }

  /** The org's Fixer, made on first use (two first uses at once: the one that lost the race finds it). */
  async function fixerOf(p: Principal, meta: RequestMeta): Promise<string> {
    const found = await deps.agents.findBySlug(p.orgId, FIXER_SLUG);
    if (found) return found.id;
    try {
      return (await deps.agents.create(p, FIXER_AGENT, meta)).id;
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'slug_taken') throw err;
      const made = await deps.agents.findBySlug(p.orgId, FIXER_SLUG);
      if (!made) throw err;
      return made.id;
    }
  }

  /**
   * Marks an applied fix as no longer holding and reopens its issue, once: the issue first, so a crash
   * in between leaves the fix holding and the next event of that release tries again.
   */
  async function stopHolding(fix: store.FixRecord, arrival: EventArrival): Promise<boolean> {
    await deps.issues.regress(fix.orgId, fix.issueId, { fixId: fix.id, release: arrival.release });
    return inTransaction(db, async (work) => {
      const row = await store.updateFix(
        work.tx,
        fix.orgId,
        fix.id,
        { holding: false, regressedAt: arrival.receivedAt, regressedRelease: arrival.release },
        { holding: true },
      );
      if (!row) return false;
      await auditFix(work.tx, { kind: 'system', id: null }, 'fix.regressed', row, null, {
        release: arrival.release,
      });
      publishFix(work, bus, row);
      return true;
    });
  }

  const service = {
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
      const code = await codeAtFrames(
        { repo, branch: repository.branch, commit: baseCommit },
        data.latestEvent?.exceptions ?? [],
      );
      let agentId: string;
      if (input.agentId) {
        if (!(await deps.agents.exists(p.orgId, input.agentId))) throw FixErrors.agentNotFound(input.agentId);
        agentId = input.agentId;
      } else agentId = await fixerOf(p, meta);

      const id = newId('fix');
      const instructions = input.instructions ?? '';
      let created: store.FixRecord | undefined;
      await deps.runs.submit(
        p,
        {
          agentId,
          input: fixInput(instructions, data, baseCommit, code),
          metadata: { fixId: id, issueId },
        },
        {
          within: async (work, run) => {
            created = await store.insertFix(work.tx, {
              id,
              orgId: p.orgId,
              issueId,
              issueShortId: data.issue.shortId ?? issueId,
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
        await closeReview(work, row);
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
        await closeReview(work, row);
        await auditFix(work.tx, p, 'fix.reject', row, meta, { reason: reason ?? null });
        publishFix(work, bus, row);
        return row;
      });
      return presentFix(rejected);
    },

    /**
     * The project is being deleted, in `work`: its fixes go with its issues, and their reviews leave
     * the inbox. A fix run still going finds no fix when it ends, and its end changes nothing; the
     * repository keeps any branch an applied fix committed.
     */
    async removeOfProject(work: Work, orgId: string, projectId: string): Promise<void> {
      for (const fix of await store.deleteFixesOfProject(work.tx, orgId, projectId))
        await closeReview(work, fix);
    },

    /**
     * Events of issues arrived (the errors domain tells after each grouping pass). An applied fix stops
     * holding when its issue's error comes back in a release newer than the fix: the event was received
     * after the fix's commit, from a release other than the one the issue was reported in when the fix
     * was asked for, and the issue had seen no event of that release before the commit (an old
     * deployment still running is not the fix failing). Its issue then reopens as `regressed`. Answers
     * the fixes that stopped holding.
     */
    async eventsArrived(arrivals: readonly EventArrival[]): Promise<string[]> {
      const regressed: string[] = [];
      const byOrg = new Map<string, EventArrival[]>();
      for (const a of arrivals) byOrg.set(a.orgId, [...(byOrg.get(a.orgId) ?? []), a]);
      for (const [orgId, list] of byOrg) {
        const holding = await store.holdingFixesOf(db, orgId, [...new Set(list.map((a) => a.issueId))]);
        for (const fix of holding) {
          const committedAt = fix.committedAt;
          if (!committedAt) continue;
          for (const arrival of list) {
            if (arrival.issueId !== fix.issueId || arrival.receivedAt <= committedAt) continue;
            if (arrival.release === fix.release) continue;
            if (await deps.issues.releaseSeenBefore(orgId, fix.issueId, arrival.release, committedAt))
              continue;
            if (await stopHolding(fix, arrival)) regressed.push(fix.id);
            break;
          }
        }
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
