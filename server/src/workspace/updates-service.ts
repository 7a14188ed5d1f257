import type { AuditService } from '../audit/service.ts';
import type { Principal } from '../platform/auth.ts';
import type { FeedPosition } from '../platform/db/feed.ts';
import type { RunsService } from '../runs/service.ts';
import {
  AUDIT_UPDATES,
  auditActionsFor,
  RUN_KINDS,
  RUN_UPDATES_PERMISSION,
  type SubjectType,
  type UpdateKind,
} from './updates-kinds.ts';

/** One item of the feed as the API answers it. */
export interface Update {
  id: string;
  kind: UpdateKind;
  summary: string;
  actor: { kind: 'user' | 'api_key'; id: string; name: string | null } | null;
  subject: { type: SubjectType; id: string } | null;
  at: string;
}

type Actor = { kind: 'user' | 'api_key'; id: string };

/** Ids to name, by what they are; `user` and `api_key` double as actors. */
export interface NameRefs {
  agent?: string[];
  role?: string[];
  api_key?: string[];
  member?: string[];
  user?: string[];
  inbox_item?: string[];
  run?: string[];
  task?: string[];
}

type AuditFeedRow = Awaited<ReturnType<AuditService['feed']>>[number];
type RunFeedRow = Awaited<ReturnType<RunsService['feed']['outcomes']>>[number];

/**
 * Where the feed's items and names come from, through the owning domains' services: each source
 * answers its rows in feed order from a position on.
 */
export interface UpdatesDeps {
  audit: Pick<AuditService, 'feed'>;
  runs: RunsService['feed'];
  names: {
    agents(orgId: string, ids: string[]): Promise<Map<string, string>>;
    people(
      orgId: string,
      kind: 'role' | 'api_key' | 'member' | 'user',
      ids: string[],
    ): Promise<Map<string, string>>;
    inboxItems(orgId: string, ids: string[]): Promise<Map<string, string>>;
    /** Titles of the org's tasks. */
    tasks(orgId: string, ids: string[]): Promise<Map<string, string>>;
  };
}

/** An item before names are known: where it sits, what it is, and which names its words need. */
interface Draft {
  position: FeedPosition;
  kind: UpdateKind;
  actor: Actor | null;
  subject: Update['subject'];
  /** Names to look up for the summary (the subject's, or for runs the agent's). */
  refs: Array<[keyof NameRefs, string]>;
  summary(names: ReadonlyMap<string, string>): string;
}

const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([\w.-]{1,120})$/;

/** The opaque cursor after an item: its exact time and id. */
export function encodeFeedCursor(position: FeedPosition): string {
  return Buffer.from(`${position.at}|${position.id}`, 'utf8').toString('base64url');
}

/** The position a cursor names, or undefined when it is not one this feed gave out. */
export function decodeFeedCursor(cursor: string): FeedPosition | undefined {
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) return undefined;
  const [, at, id] = match as unknown as [string, string, string];
  // A well-formed but impossible date (Feb 30) must not reach the database as a 500.
  const ms = `${at.slice(0, 23)}Z`;
  const date = new Date(ms);
  if (Number.isNaN(date.getTime()) || date.toISOString() !== ms) return undefined;
  return { at, id };
}

const byFeedOrder = (a: Draft, b: Draft): number => {
  if (a.position.at !== b.position.at) return a.position.at < b.position.at ? 1 : -1;
  if (a.position.id === b.position.id) return 0;
  return a.position.id < b.position.id ? 1 : -1;
};

const actorOf = (kind: string, id: string | null): Actor | null =>
  id && (kind === 'user' || kind === 'api_key') ? { kind, id } : null;

/** Runs record who submitted them by principal id; API keys' ids carry the `key_` prefix. */
const submitterOf = (id: string): Actor => ({ kind: id.startsWith('key_') ? 'api_key' : 'user', id });

const UNNAMED_SUBJECTS = new Set<SubjectType>([
  'model_provider',
  'mcp_server',
  'error_project',
  'issue',
  'fix',
]);

function fromAudit(row: AuditFeedRow): Draft | undefined {
  const mapping = AUDIT_UPDATES[row.action];
  if (!mapping) return undefined;
  const subject = mapping.subject && row.resourceId ? { type: mapping.subject, id: row.resourceId } : null;
  const refs: Draft['refs'] = [];
  // Subjects named by their audit rows' details have no names to look up.
  if (subject && !UNNAMED_SUBJECTS.has(subject.type)) refs.push([subject.type as keyof NameRefs, subject.id]);
  return {
    position: { at: row.at, id: row.id },
    kind: mapping.kind,
    actor: actorOf(row.actorType, row.actorId),
    subject,
    refs,
    summary: (names) =>
      mapping.summary({
        id: row.resourceId,
        name: subject ? names.get(`${subject.type}:${subject.id}`) : undefined,
        details: row.details ?? {},
      }),
  };
}

function fromRun(row: RunFeedRow): Draft {
  const { kind, summary } = RUN_KINDS[row.state];
  return {
    position: { at: row.at, id: row.id },
    kind,
    actor: row.state === 'submitted' ? submitterOf(row.createdBy) : null,
    subject: { type: 'run', id: row.runId },
    refs: [['agent', row.agentId]],
    summary: (names) =>
      summary({
        agent: names.get(`agent:${row.agentId}`) ?? row.agentId,
        source: row.source,
        error: row.error,
      }),
  };
}

/** The name of an actor, when the reader may see who the org's people and keys are. */
function actorRef(actor: Actor, scopes: ReadonlySet<string>): [keyof NameRefs, string] | undefined {
  if (actor.kind === 'user' && scopes.has('members:read')) return ['user', actor.id];
  if (actor.kind === 'api_key' && scopes.has('api_keys:read')) return ['api_key', actor.id];
  return undefined;
}

/**
 * The org's activity feed: meaningful changes from the audit log and runs that finished or wait for a
 * person, merged newest first. Each source is read up to one item past the page from the cursor on,
 * so the merge is exact; the reader sees only kinds its permissions cover.
 */
export function createUpdatesService(deps: UpdatesDeps) {
  /** The current display name of each id that still exists in the org, keyed `type:id`. */
  async function namesOf(orgId: string, refs: NameRefs): Promise<Map<string, string>> {
    const runAgents = await deps.runs.agentsOf(orgId, refs.run ?? []);
    const people = (['role', 'api_key', 'member', 'user'] as const).map(
      async (kind) => [kind, await deps.names.people(orgId, kind, refs[kind] ?? [])] as const,
    );
    const [agents, inbox, tasks, ...found] = await Promise.all([
      deps.names.agents(orgId, [...(refs.agent ?? []), ...runAgents.values()]),
      deps.names.inboxItems(orgId, refs.inbox_item ?? []),
      deps.names.tasks(orgId, refs.task ?? []),
      ...people,
    ]);
    const names = new Map<string, string>();
    for (const [id, title] of tasks) names.set(`task:${id}`, title);
    for (const [id, name] of agents) names.set(`agent:${id}`, name);
    for (const [id, name] of inbox) names.set(`inbox_item:${id}`, name);
    for (const [kind, map] of found) for (const [id, name] of map) names.set(`${kind}:${id}`, name);
    for (const [runId, agentId] of runAgents) {
      const name = agents.get(agentId);
      if (name) names.set(`run:${runId}`, name);
    }
    return names;
  }

  return {
    async list(p: Principal, q: { limit: number; cursor?: string | undefined }) {
      const page = { limit: q.limit + 1, before: q.cursor ? decodeFeedCursor(q.cursor) : undefined };
      const actions = auditActionsFor(p.scopes);
      const seesRuns = p.scopes.has(RUN_UPDATES_PERMISSION);
      const [audit, outcomes, submissions] = await Promise.all([
        actions.length ? deps.audit.feed(p.orgId, actions, page) : [],
        seesRuns ? deps.runs.outcomes(p.orgId, page) : [],
        seesRuns ? deps.runs.submissions(p.orgId, page) : [],
      ]);
      const drafts = [
        ...audit.flatMap((row) => fromAudit(row) ?? []),
        ...outcomes.map(fromRun),
        ...submissions.map(fromRun),
      ].sort(byFeedOrder);
      const items = drafts.slice(0, q.limit);
      const last = items.at(-1);

      const refs: NameRefs = {};
      for (const d of items) {
        const wanted = [...d.refs, ...(d.actor ? [actorRef(d.actor, p.scopes)] : [])];
        for (const ref of wanted) if (ref) refs[ref[0]] = [...(refs[ref[0]] ?? []), ref[1]];
      }
      const names = await namesOf(p.orgId, refs);

      return {
        items: items.map(
          (d): Update => ({
            id: d.position.id,
            kind: d.kind,
            summary: d.summary(names),
            actor: d.actor ? { ...d.actor, name: names.get(`${d.actor.kind}:${d.actor.id}`) ?? null } : null,
            subject: d.subject,
            // Shown to the millisecond like every time in the API; the cursor keeps the microseconds.
            at: `${d.position.at.slice(0, 23)}Z`,
          }),
        ),
        nextCursor: drafts.length > q.limit && last ? encodeFeedCursor(last.position) : null,
      };
    },
  };
}

export type UpdatesService = ReturnType<typeof createUpdatesService>;
