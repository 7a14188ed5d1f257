import { randomBytes } from 'node:crypto';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import { inTransaction, type Work } from '../platform/db/work.ts';
import { AppError, Errors } from '../platform/errors.ts';
import type { RequestMeta } from '../platform/http.ts';
import { newId } from '../platform/ids.ts';
import { decodeCursor, toPage } from '../platform/pagination.ts';
import { DAY_MS, fillBuckets, rangeOf } from '../platform/time-buckets.ts';
import { ErrorTrackerErrors as E } from './errors.ts';
import { auditIssue, auditProject, type ErrorsActor, publishIssueEvent } from './events.ts';
import type { Ingest } from './ingest.ts';
import { type Issue, presentEvent, presentIssue, presentProject } from './present.ts';
import {
  type BulkIssuesInput,
  type CreateErrorProjectInput,
  ISSUE_LEVELS,
  ISSUE_STATUSES,
  type IssueStatsQuery,
  type IssueTrendsQuery,
  type ListIssuesQuery,
  MAX_TREND_ISSUES,
  type UpdateErrorProjectInput,
  type UpdateIssueInput,
} from './schema.ts';
import * as store from './store.ts';
import type { IssueLevel, IssueStatus } from './tables.ts';

export interface ErrorsDeps {
  db: Db;
  bus: Bus;
  ingest: Ingest;
  /** The server's public URL: DSNs are built from it. */
  publicUrl: string;
  /** Events per minute for a project without its own limit. */
  defaultRate: number;
  /** NODE_ENV, for the console's reporting. */
  environment: string;
  /** Which of these ids are members of the org (identity answers). */
  membersOf(orgId: string, ids: string[]): Promise<Set<string>>;
  /** The operator's org, whose built-in project the platform reports to. */
  operatorOrg(): Promise<string | undefined>;
  clock?: (() => Date) | undefined;
  /**
   * A project is being deleted, in `work` (its issues and events go with it): other domains remove
   * what they hold of it in the same transaction (fixes of its issues).
   */
  projectRemoved?: ((work: Work, orgId: string, projectId: string) => Promise<void>) | undefined;
}

export type BulkResult =
  | { id: string; ok: true; issue: Issue }
  | { id: string; ok: false; error: { code: string; message: string } };

/** The name of every org's built-in project, where the platform reports its own errors. */
export const BUILTIN_PROJECT_NAME = 'Switchboard';

/** `My Shop (web)` -> `MYSHOPWEB`: the prefix of a project's issue ids. */
export function slugOf(name: string): string {
  const slug = name
    .normalize('NFKD')
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '')
    .slice(0, 12);
  return slug || 'PROJECT';
}

const newPublicKey = () => randomBytes(16).toString('hex');

const actorOf = (p: Principal): ErrorsActor => ({ kind: p.kind, id: p.id });

const issueCursor = (sort: ListIssuesQuery['sort'], i: store.IssueRecord): string => {
  const value =
    sort === 'count' ? String(i.count) : (sort === 'firstSeen' ? i.firstSeen : i.lastSeen).toISOString();
  return Buffer.from(`${value}|${i.id}`, 'utf8').toString('base64url');
};

function decodeIssueCursor(cursor: string | undefined): store.IssueCursor | undefined {
  if (!cursor) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,12}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([\w-]{1,100})$/.exec(text);
  if (!match) throw Errors.validation('cursor is not valid');
  return { value: match[1]!, id: match[2]! };
}

/**
 * Error projects and issues: projects with their DSNs, issues with their events, status changes and
 * assignment (one by one and in bulk), figures over time, and the built-in project the platform
 * reports its own failures to. Grouping lives in grouper.ts; ingest in ingest.ts.
 */
export function createErrorsService(deps: ErrorsDeps) {
  const { db, bus } = deps;
  const now = () => deps.clock?.() ?? new Date();
  const present = (p: store.ProjectRecord) => presentProject(p, deps.publicUrl, deps.defaultRate);

  async function requireProject(orgId: string, id: string) {
    const project = await store.findProject(db, orgId, id);
    if (!project) throw E.projectNotFound(id);
    return project;
  }

  async function requireIssue(orgId: string, id: string) {
    const issue = await store.findIssue(db, orgId, id);
    if (!issue) throw E.issueNotFound(id);
    return issue;
  }

  async function checkAssignee(orgId: string, assignee: string | null | undefined) {
    if (!assignee) return;
    if (!(await deps.membersOf(orgId, [assignee])).has(assignee)) throw E.unknownAssignee(assignee);
  }

  /**
   * Changes an issue's status and/or assignee, audited and published in one transaction (joining
   * `outer` when given). The service function the fixes domain calls too.
   */
  async function changeIssue(
    orgId: string,
    id: string,
    input: UpdateIssueInput,
    actor: ErrorsActor,
    meta: RequestMeta | null,
    outer?: Work,
  ) {
    const current = await requireIssue(orgId, id);
    await checkAssignee(orgId, input.assignee);
    const patch: { status?: IssueStatus; assigneeId?: string | null } = {};
    if (input.status !== undefined && input.status !== current.status) patch.status = input.status;
    if (input.assignee !== undefined && input.assignee !== current.assigneeId)
      patch.assigneeId = input.assignee;
    if (Object.keys(patch).length === 0) return presentIssue(current);
    const updated = await inTransaction(
      db,
      async (work) => {
        const row = await store.updateIssue(work.tx, orgId, id, patch);
        if (!row) throw E.issueNotFound(id);
        const details: Record<string, unknown> = { changed: Object.keys(patch) };
        if (patch.status) details.status = { from: current.status, to: patch.status };
        if (patch.assigneeId !== undefined) details.assignee = patch.assigneeId;
        await auditIssue(work.tx, actor, 'issue.update', row, meta, details);
        publishIssueEvent(work, bus, 'issue.updated', row);
        return row;
      },
      outer,
    );
    return presentIssue(updated);
  }

  async function builtinProject(orgId: string) {
    return (
      (await store.findBuiltinProject(db, orgId)) ??
      (await store.ensureBuiltinProject(db, {
        id: newId('eprj'),
        orgId,
        name: BUILTIN_PROJECT_NAME,
        slug: slugOf(BUILTIN_PROJECT_NAME),
        platform: 'node',
        publicKey: newPublicKey(),
        builtin: true,
      }))
    );
  }

  const service = {
    // ------------------------------------------------------------------------------------------------
    // Projects

    async listProjects(p: Principal, q: { limit: number; cursor?: string | undefined }) {
      const rows = await store.listProjects(db, p.orgId, {
        limit: q.limit + 1,
        after: decodeCursor(q.cursor),
      });
      const page = toPage(rows, q.limit);
      return { items: page.items.map(present), nextCursor: page.nextCursor };
    },

    getProject: async (p: Principal, id: string) => present(await requireProject(p.orgId, id)),

    async createProject(p: Principal, input: CreateErrorProjectInput, meta: RequestMeta) {
      const created = await inTransaction(db, async (work) => {
        const row = await store.insertProject(work.tx, {
          id: newId('eprj'),
          orgId: p.orgId,
          name: input.name,
          slug: slugOf(input.name),
          platform: input.platform,
          publicKey: newPublicKey(),
          repositoryPath: input.repository?.path ?? null,
          repositoryBranch: input.repository?.branch ?? null,
          verifyCommand: input.verifyCommand,
          rateLimitPerMinute: input.rateLimitPerMinute,
        });
        await auditProject(work.tx, actorOf(p), 'error_project.create', row, meta, {
          platform: row.platform,
        });
        return row;
      });
      return present(created);
    },

    async updateProject(p: Principal, id: string, input: UpdateErrorProjectInput, meta: RequestMeta) {
      await requireProject(p.orgId, id);
      const patch: store.ProjectPatch = {};
      if (input.name !== undefined) patch.name = input.name;
      if (input.platform !== undefined) patch.platform = input.platform;
      if (input.repository !== undefined) {
        patch.repositoryPath = input.repository?.path ?? null;
        patch.repositoryBranch = input.repository?.branch ?? null;
      }
      if (input.verifyCommand !== undefined) patch.verifyCommand = input.verifyCommand;
      if (input.rateLimitPerMinute !== undefined) patch.rateLimitPerMinute = input.rateLimitPerMinute;
      const updated = await inTransaction(db, async (work) => {
        const row = await store.updateProject(work.tx, p.orgId, id, patch);
        if (!row) throw E.projectNotFound(id);
        await auditProject(work.tx, actorOf(p), 'error_project.update', row, meta, {
          changed: Object.keys(input),
        });
        return row;
      });
      await deps.ingest.forget(p.orgId);
      return present(updated);
    },

    async removeProject(p: Principal, id: string, meta: RequestMeta) {
      await inTransaction(db, async (work) => {
        const row = await store.deleteProject(work.tx, p.orgId, id);
        if (!row) throw E.projectNotFound(id);
        await deps.projectRemoved?.(work, p.orgId, id);
        await auditProject(work.tx, actorOf(p), 'error_project.delete', row, meta);
      });
      await deps.ingest.forget(p.orgId);
    },

    /** The org's built-in "Switchboard" project, made on first use. */
    builtinProject,

    /**
     * What the console reports its own errors with: the DSN of the operator org's built-in project
     * (made on first use). A DSN key is public by design: it only lets one send events to that project.
     */
    async consoleReporting() {
      const orgId = await deps.operatorOrg();
      const project = orgId ? await builtinProject(orgId) : undefined;
      return { dsn: project ? present(project).dsn : null, environment: deps.environment };
    },

    // ------------------------------------------------------------------------------------------------
    // Issues

    async listIssues(p: Principal, q: ListIssuesQuery) {
      const rows = await store.listIssues(
        db,
        p.orgId,
        { projectId: q.projectId, status: q.status, level: q.level, q: q.q },
        q.sort,
        { limit: q.limit + 1, after: decodeIssueCursor(q.cursor) },
      );
      const items = rows.slice(0, q.limit);
      const last = items.at(-1);
      return {
        items: items.map(presentIssue),
        nextCursor: rows.length > q.limit && last ? issueCursor(q.sort, last) : null,
      };
    },

    async getIssue(p: Principal, id: string) {
      const found = await service.issueWithLatestEvent(p.orgId, id);
      if (!found) throw E.issueNotFound(id);
      return { ...found.issue, latestEvent: found.latestEvent };
    },

    /**
     * An issue with its newest event in full, or undefined when the org has no such issue. For the
     * fixes domain: what a fix run is told about the issue.
     */
    async issueWithLatestEvent(orgId: string, id: string) {
      const issue = await store.findIssue(db, orgId, id);
      if (!issue) return undefined;
      const latest = await store.latestEvent(db, orgId, id);
      return { issue: presentIssue(issue), latestEvent: latest ? presentEvent(latest) : null };
    },

    /** A project of the org as the API shows it, or undefined. For the fixes domain: its repository. */
    async projectOf(orgId: string, id: string) {
      const project = await store.findProject(db, orgId, id);
      return project ? present(project) : undefined;
    },

    /**
     * Whether the issue had an event from `release` received at or before `at`. For the fixes domain: an
     * error in a release older than a fix's commit does not show the fix failing.
     */
    releaseSeenBefore: (orgId: string, issueId: string, release: string, at: Date) =>
      store.releaseSeenBefore(db, orgId, issueId, release, at),

    updateIssue: (p: Principal, id: string, input: UpdateIssueInput, meta: RequestMeta) =>
      changeIssue(p.orgId, id, input, actorOf(p), meta),

    /**
     * Sets an issue's status (and optionally assignee) on behalf of a person, a key or the platform;
     * joins `work` when given. For the fixes domain (an applied fix can resolve its issue).
     */
    setIssueStatus: (
      orgId: string,
      id: string,
      status: IssueStatus,
      actor: ErrorsActor,
      opts: { meta?: RequestMeta | null; work?: Work } = {},
    ) => changeIssue(orgId, id, { status }, actor, opts.meta ?? null, opts.work),

    /**
     * Reopens an issue as `regressed` because a fix of it stopped holding (its error came back in a
     * release newer than the fix's commit); an ignored or already regressed issue stays as it is. For
     * the fixes domain. Answers whether it changed.
     */
    async regressIssue(orgId: string, id: string, because: { fixId: string; release: string }) {
      return inTransaction(db, async (work) => {
        const current = await store.findIssue(work.tx, orgId, id);
        if (!current || current.status === 'ignored' || current.status === 'regressed') return false;
        const row = await store.updateIssue(work.tx, orgId, id, { status: 'regressed' });
        if (!row) return false;
        await auditIssue(work.tx, { kind: 'system', id: null }, 'issue.regress', row, null, {
          status: { from: current.status, to: 'regressed' },
          ...because,
        });
        publishIssueEvent(work, bus, 'issue.regressed', row);
        return true;
      });
    },

    /** One action on many issues, each answering for itself (STYLE 12), in order. */
    async bulkIssues(p: Principal, input: BulkIssuesInput, meta: RequestMeta): Promise<BulkResult[]> {
      const change: UpdateIssueInput =
        input.action === 'assign'
          ? { assignee: input.assignee ?? null }
          : {
              status:
                input.action === 'resolve'
                  ? 'resolved'
                  : input.action === 'ignore'
                    ? 'ignored'
                    : 'unresolved',
            };
      const results: BulkResult[] = [];
      for (const id of input.ids) {
        try {
          results.push({ id, ok: true, issue: await changeIssue(p.orgId, id, change, actorOf(p), meta) });
        } catch (err) {
          if (!(err instanceof AppError) || err.status >= 500) throw err;
          results.push({ id, ok: false, error: { code: err.code, message: err.message } });
        }
      }
      return results;
    },

    async listEvents(p: Principal, id: string, q: { limit: number; cursor?: string | undefined }) {
      await requireIssue(p.orgId, id);
      const rows = await store.listEvents(db, p.orgId, id, {
        limit: q.limit + 1,
        before: decodeCursor(q.cursor),
      });
      const page = toPage(rows, q.limit);
      return { items: page.items.map(presentEvent), nextCursor: page.nextCursor };
    },

    /** Events per bucket by level and new issues, every bucket present; issues seen by status and level. */
    async stats(p: Principal, q: IssueStatsQuery) {
      const range = rangeOf(q, now(), 30 * DAY_MS);
      if (q.projectId) await requireProject(p.orgId, q.projectId);
      const buckets = fillBuckets(range, q.bucket);
      const [events, issueRows] = await Promise.all([
        store.eventTimeline(db, p.orgId, buckets.span, q.bucket, q.projectId),
        store.issueFigures(db, p.orgId, buckets.span, q.bucket, q.projectId),
      ]);
      const zeroLevels = () =>
        Object.fromEntries(ISSUE_LEVELS.map((l) => [l, 0])) as Record<IssueLevel, number>;
      const out = buckets.starts.map((start) => ({
        start: start.toISOString(),
        events: 0,
        byLevel: zeroLevels(),
        newIssues: 0,
      }));
      const at = new Map(out.map((b, i) => [buckets.starts[i]!.getTime(), b]));
      for (const row of events) {
        const b = at.get(row.start.getTime());
        if (!b) continue;
        b.events += row.n;
        b.byLevel[row.level] += row.n;
      }
      for (const row of issueRows.created) {
        const b = at.get(row.start.getTime());
        if (b) b.newIssues += row.n;
      }
      const byStatus = Object.fromEntries(ISSUE_STATUSES.map((s) => [s, 0])) as Record<IssueStatus, number>;
      for (const row of issueRows.byStatus) byStatus[row.key] = row.n;
      const byLevel = zeroLevels();
      for (const row of issueRows.byLevel) byLevel[row.key] = row.n;
      return {
        bucket: q.bucket,
        from: range.from.toISOString(),
        to: range.to.toISOString(),
        buckets: out,
        byStatus,
        byLevel,
      };
    },

    /** Events per hour of each issue named (the org's; others are left out), every hour present. */
    async trends(p: Principal, q: IssueTrendsQuery) {
      const hourMs = 3_600_000;
      const end = Math.floor(now().getTime() / hourMs) * hourMs + hourMs;
      const range = { from: new Date(end - q.hours * hourMs), to: new Date(end) };
      let known: string[];
      if (q.ids?.length) {
        const ofOrg = await store.shortIdsOf(db, p.orgId, q.ids);
        known = q.ids.filter((id) => ofOrg.has(id));
      } else known = await store.issueIdsSeenSince(db, p.orgId, range.from, MAX_TREND_ISSUES);
      const counts = new Map(known.map((id) => [id, Array.from({ length: q.hours }, () => 0)]));
      for (const row of await store.issueHourlyCounts(db, p.orgId, known, range)) {
        const hour = Math.floor((row.start.getTime() - range.from.getTime()) / hourMs);
        const series = counts.get(row.issueId);
        if (series && hour >= 0 && hour < q.hours) series[hour]! += row.n;
      }
      return {
        from: range.from.toISOString(),
        to: range.to.toISOString(),
        items: [...counts].map(([issueId, events]) => ({ issueId, events })),
      };
    },

    /** Short ids and titles of the org's issues by id (the activity feed names them). */
    namesOf: (orgId: string, ids: string[]) => store.shortIdsOf(db, orgId, ids),
  };
  return service;
}

export type ErrorsService = ReturnType<typeof createErrorsService>;
