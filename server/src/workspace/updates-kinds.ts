import type { Permission } from '../identity/permissions.ts';

/**
 * What the activity feed (`GET /updates`) shows, in one place: which audit actions become items, which
 * run states do, the words each one reads as, and the permission a reader needs to see it.
 */

export const UPDATE_KINDS = [
  'agent.created',
  'agent.updated',
  'agent.deleted',
  'member.added',
  'member.role_changed',
  'member.removed',
  'role.created',
  'role.updated',
  'role.deleted',
  'api_key.created',
  'api_key.revoked',
  'approval.approved',
  'approval.rejected',
  'run.submitted',
  'run.cancel_requested',
  'run.succeeded',
  'run.failed',
  'run.cancelled',
  'run.waiting_approval',
  'webhook.set',
  'webhook.removed',
  'model_provider.set',
  'model_provider.removed',
  'mcp_server.added',
  'mcp_server.updated',
  'mcp_server.removed',
  'tools.allowlist_changed',
  'subscription.changed',
  'invoice.payment_failed',
  'task.created',
  'task.updated',
  'task.deleted',
  'task.started',
  'task.done',
  'task.blocked',
  'task.resumed',
  'task.reset',
  'error_project.created',
  'error_project.updated',
  'error_project.deleted',
  'issue.created',
  'issue.regressed',
  'issue.updated',
  'fix.requested',
  'fix.proposed',
  'fix.approved',
  'fix.rejected',
  'fix.applied',
  'fix.verified',
  'fix.verification_failed',
  'fix.failed',
  'fix.regressed',
] as const;
export type UpdateKind = (typeof UPDATE_KINDS)[number];

export const SUBJECT_TYPES = [
  'agent',
  'run',
  'inbox_item',
  'member',
  'role',
  'api_key',
  'model_provider',
  'mcp_server',
  'task',
  'error_project',
  'issue',
  'fix',
] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

/** What a summary can use: the subject's current name when it still exists, and the audit row's details. */
export interface SummaryFacts {
  id: string | null;
  name: string | undefined;
  details: Record<string, unknown>;
}

interface AuditUpdate {
  kind: UpdateKind;
  /** A reader without it does not see the item, so the feed never shows more than the reader's pages. */
  permission: Permission;
  /** The feed subject's type; the audit row's resource id is its id. Null: nothing to point at. */
  subject: SubjectType | null;
  /** A verb phrase, read after the actor: "created agent Triage". */
  summary(facts: SummaryFacts): string;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
/** The subject's name now, else a name the audit row kept, else its id. */
const called = (f: SummaryFacts, detail?: string): string =>
  f.name ?? (detail ? text(f.details[detail]) : undefined) ?? f.id ?? 'unknown';

/** "+audit:read, -runs:write" between two permission lists, at most three named. */
function permissionChange(from: unknown, to: unknown): string {
  if (!Array.isArray(from) || !Array.isArray(to)) return '';
  const added = to.filter((p) => !from.includes(p)).map((p) => `+${String(p)}`);
  const removed = from.filter((p) => !to.includes(p)).map((p) => `-${String(p)}`);
  const all = [...added, ...removed];
  if (all.length === 0) return '';
  const shown = all.slice(0, 3).join(', ');
  return ` (${all.length > 3 ? `${shown} and ${all.length - 3} more` : shown})`;
}

const MAX_ERROR = 120;

const STATUS_WORDS: Record<string, string> = {
  todo: 'to do',
  in_progress: 'in progress',
  blocked: 'blocked',
  done: 'done',
  cancelled: 'cancelled',
};

/** "moved task Plan to done" from a `task.update` row's `{status: {from, to}}`, else "updated task Plan". */
function taskChange(f: SummaryFacts): string {
  const status = f.details.status as { to?: unknown } | undefined;
  const to = typeof status?.to === 'string' ? STATUS_WORDS[status.to] : undefined;
  const name = called(f, 'title');
  return to ? `moved task ${name} to ${to}` : `updated task ${name}`;
}

/**
 * What tasks add: people's changes (the service's rows, with the title kept in the details), and the
 * moves a task's run makes, which the platform records with no actor, so they read as sentences.
 */
const TASK_UPDATES: Readonly<Record<string, AuditUpdate>> = {
  'task.create': {
    kind: 'task.created',
    permission: 'tasks:read',
    subject: 'task',
    summary: (f) => `created task ${called(f, 'title')}`,
  },
  'task.update': { kind: 'task.updated', permission: 'tasks:read', subject: 'task', summary: taskChange },
  'task.delete': {
    kind: 'task.deleted',
    permission: 'tasks:read',
    subject: 'task',
    summary: (f) => `deleted task ${called(f, 'title')}`,
  },
  'task.start': {
    kind: 'task.started',
    permission: 'tasks:read',
    subject: 'task',
    summary: (f) => `started task ${called(f, 'title')}`,
  },
  'task.done': {
    kind: 'task.done',
    permission: 'tasks:read',
    subject: 'task',
    summary: (f) => `task ${called(f, 'title')} is done`,
  },
  'task.blocked': {
    kind: 'task.blocked',
    permission: 'tasks:read',
    subject: 'task',
    summary: (f) => {
      const reason = text(f.details.reason);
      const short = reason && reason.length > MAX_ERROR ? `${reason.slice(0, MAX_ERROR - 1)}…` : reason;
      return `task ${called(f, 'title')} is blocked${short ? `: ${short}` : ''}`;
    },
  },
  'task.resumed': {
    kind: 'task.resumed',
    permission: 'tasks:read',
    subject: 'task',
    summary: (f) => `task ${called(f, 'title')} is in progress again`,
  },
  'task.reset': {
    kind: 'task.reset',
    permission: 'tasks:read',
    subject: 'task',
    summary: (f) => `task ${called(f, 'title')} is back to do: its run was cancelled`,
  },
};

const ISSUE_STATUS_WORDS: Record<string, string> = {
  unresolved: 'unresolved',
  resolved: 'resolved',
  ignored: 'ignored',
  regressed: 'regressed',
};

/** `SHOP-12 TypeError: x` from the row's details (the issue's short id and title, kept when it changed). */
const issueName = (f: SummaryFacts): string => {
  const shortId = text(f.details.shortId);
  const title = text(f.details.title);
  return shortId && title ? `${shortId} ${title}` : (shortId ?? title ?? f.id ?? 'unknown');
};

/**
 * What error tracking adds: project changes by people, issues the platform opened or saw regress, and
 * people's changes to an issue's status or assignee. Names come from the rows' details.
 */
const ERROR_UPDATES: Readonly<Record<string, AuditUpdate>> = {
  'error_project.create': {
    kind: 'error_project.created',
    permission: 'errors:read',
    subject: 'error_project',
    summary: (f) => `created error project ${called(f, 'name')}`,
  },
  'error_project.update': {
    kind: 'error_project.updated',
    permission: 'errors:read',
    subject: 'error_project',
    summary: (f) => `updated error project ${called(f, 'name')}`,
  },
  'error_project.delete': {
    kind: 'error_project.deleted',
    permission: 'errors:read',
    subject: 'error_project',
    summary: (f) => `deleted error project ${called(f, 'name')}`,
  },
  'issue.create': {
    kind: 'issue.created',
    permission: 'errors:read',
    subject: 'issue',
    summary: (f) => `new issue ${issueName(f)}`,
  },
  'issue.regress': {
    kind: 'issue.regressed',
    permission: 'errors:read',
    subject: 'issue',
    summary: (f) =>
      text(f.details.fixId)
        ? `issue ${issueName(f)} came back in ${text(f.details.release) ?? 'a later release'} after its fix`
        : `issue ${issueName(f)} happened again after it was resolved`,
  },
  'issue.update': {
    kind: 'issue.updated',
    permission: 'errors:read',
    subject: 'issue',
    summary: (f) => {
      const status = f.details.status as { to?: unknown } | undefined;
      const to = typeof status?.to === 'string' ? ISSUE_STATUS_WORDS[status.to] : undefined;
      if (to) return `marked issue ${issueName(f)} ${to}`;
      if ('assignee' in f.details)
        return f.details.assignee ? `assigned issue ${issueName(f)}` : `unassigned issue ${issueName(f)}`;
      return `updated issue ${issueName(f)}`;
    },
  },
};

/** `SHOP-12` from a fix's audit row (the issue's short id, kept when the fix changed). */
const fixOf = (f: SummaryFacts): string =>
  text(f.details.issueShortId) ?? text(f.details.issueId) ?? 'an issue';

/** A fix's audit row as a feed item: every one reads `errors:read` and points at the fix. */
const fixUpdate = (kind: UpdateKind, summary: (f: SummaryFacts) => string): AuditUpdate => ({
  kind,
  permission: 'errors:read',
  subject: 'fix',
  summary,
});

/**
 * What AI fixes add: a person asking for, approving or rejecting a fix, and the platform moving it as its
 * run and its job go (proposed, committed, verified or not, failed, no longer holding).
 */
const FIX_UPDATES: Readonly<Record<string, AuditUpdate>> = {
  'fix.request': fixUpdate('fix.requested', (f) => `asked for a fix of ${fixOf(f)}`),
  'fix.proposed': fixUpdate('fix.proposed', (f) => `a fix of ${fixOf(f)} is proposed and waits for review`),
  'fix.approve': fixUpdate('fix.approved', (f) => `approved the fix of ${fixOf(f)}`),
  'fix.reject': fixUpdate('fix.rejected', (f) => `rejected the fix of ${fixOf(f)}`),
  'fix.applied': fixUpdate(
    'fix.applied',
    (f) => `the fix of ${fixOf(f)} was committed on ${text(f.details.branch) ?? 'its branch'}`,
  ),
  'fix.verified': fixUpdate('fix.verified', (f) => `the fix of ${fixOf(f)} passed its verify command`),
  'fix.verification_failed': fixUpdate(
    'fix.verification_failed',
    (f) => `the fix of ${fixOf(f)} failed its verify command`,
  ),
  'fix.failed': fixUpdate('fix.failed', (f) => {
    const code = text((f.details.error as { code?: unknown } | undefined)?.code);
    return `the fix of ${fixOf(f)} failed${code ? ` (${code})` : ''}`;
  }),
  'fix.regressed': fixUpdate(
    'fix.regressed',
    (f) =>
      `the fix of ${fixOf(f)} no longer holds: the error came back in ${text(f.details.release) ?? 'a later release'}`,
  ),
};

/**
 * Audit actions that become feed items. Where a service records its own row with details (`agent.create`)
 * that row is used, not the request hook's (`createAgent`), so each change shows once. `submitRun` is
 * left out: its hook row names no run (the route has no id), so submissions come from the runs
 * themselves (see RUN_KINDS).
 */
export const AUDIT_UPDATES: Readonly<Record<string, AuditUpdate>> = {
  'agent.create': {
    kind: 'agent.created',
    permission: 'agents:read',
    subject: 'agent',
    summary: (f) => `created agent ${called(f, 'slug')}`,
  },
  'agent.update': {
    kind: 'agent.updated',
    permission: 'agents:read',
    subject: 'agent',
    summary: (f) =>
      `updated agent ${called(f)}${typeof f.details.version === 'number' ? ` (version ${f.details.version})` : ''}`,
  },
  'agent.delete': {
    kind: 'agent.deleted',
    permission: 'agents:read',
    subject: 'agent',
    summary: (f) => `deleted agent ${called(f, 'slug')}`,
  },
  'member.add': {
    kind: 'member.added',
    permission: 'members:read',
    subject: 'member',
    summary: (f) => {
      const role = text(f.details.role);
      return `added ${text(f.details.email) ?? called(f)}${role ? ` as ${role}` : ''}`;
    },
  },
  'member.role_change': {
    kind: 'member.role_changed',
    permission: 'members:read',
    subject: 'member',
    summary: (f) => {
      const who = f.name ? `${f.name}'s role` : 'the role of a member';
      const from = text(f.details.from);
      const to = text(f.details.to);
      return from && to ? `changed ${who} from ${from} to ${to}` : `changed ${who}`;
    },
  },
  'member.remove': {
    kind: 'member.removed',
    permission: 'members:read',
    subject: 'member',
    summary: (f) => `removed ${text(f.details.email) ?? 'a member'} from the organisation`,
  },
  'role.create': {
    kind: 'role.created',
    permission: 'roles:read',
    subject: 'role',
    summary: (f) => `created role ${called(f)}`,
  },
  'role.update': {
    kind: 'role.updated',
    permission: 'roles:read',
    subject: 'role',
    summary: (f) => `changed role ${called(f)}${permissionChange(f.details.from, f.details.to)}`,
  },
  'role.delete': {
    kind: 'role.deleted',
    permission: 'roles:read',
    subject: 'role',
    summary: (f) => `deleted role ${called(f, 'name')}`,
  },
  'api_key.create': {
    kind: 'api_key.created',
    permission: 'api_keys:read',
    subject: 'api_key',
    summary: (f) => `created API key ${called(f)}`,
  },
  'api_key.revoke': {
    kind: 'api_key.revoked',
    permission: 'api_keys:read',
    subject: 'api_key',
    summary: (f) => `revoked API key ${called(f)}`,
  },
  approveInboxItem: {
    kind: 'approval.approved',
    permission: 'inbox:read',
    subject: 'inbox_item',
    summary: (f) => (f.name ? `approved a call to ${f.name}` : 'approved a tool call'),
  },
  rejectInboxItem: {
    kind: 'approval.rejected',
    permission: 'inbox:read',
    subject: 'inbox_item',
    summary: (f) => (f.name ? `rejected a call to ${f.name}` : 'rejected a tool call'),
  },
  cancelRun: {
    kind: 'run.cancel_requested',
    permission: 'runs:read',
    subject: 'run',
    summary: (f) => (f.name ? `asked to cancel a run of ${f.name}` : 'asked to cancel a run'),
  },
  putWebhook: {
    kind: 'webhook.set',
    permission: 'runs:read',
    subject: null,
    summary: () => 'set the webhook called when runs finish',
  },
  deleteWebhook: {
    kind: 'webhook.removed',
    permission: 'runs:read',
    subject: null,
    summary: () => 'removed the run webhook',
  },
  'model_provider.update': {
    kind: 'model_provider.set',
    permission: 'agents:read',
    subject: 'model_provider',
    summary: (f) => `configured model provider ${called(f)}`,
  },
  'model_provider.delete': {
    kind: 'model_provider.removed',
    permission: 'agents:read',
    subject: 'model_provider',
    summary: (f) => `removed the settings of model provider ${called(f)}`,
  },
  'mcp_server.create': {
    kind: 'mcp_server.added',
    permission: 'tools:read',
    subject: 'mcp_server',
    summary: (f) => `added MCP server ${called(f, 'slug')}`,
  },
  'mcp_server.update': {
    kind: 'mcp_server.updated',
    permission: 'tools:read',
    subject: 'mcp_server',
    summary: (f) => `updated MCP server ${called(f, 'slug')}`,
  },
  'mcp_server.delete': {
    kind: 'mcp_server.removed',
    permission: 'tools:read',
    subject: 'mcp_server',
    summary: (f) => `removed MCP server ${called(f, 'slug')}`,
  },
  'billing.subscription_change': {
    kind: 'subscription.changed',
    permission: 'billing:read',
    subject: null,
    summary: (f) => {
      const to = text(f.details.to);
      const from = text(f.details.from);
      const status = text(f.details.status);
      if (status === 'requested') return `asked Stripe to move the plan to ${to ?? 'another plan'}`;
      if (status === 'cancel_at_period_end') return 'cancelled the subscription at the end of its period';
      if (!to) return from ? `ended the ${from} plan` : 'ended the subscription';
      if (from === to) return `subscription on ${to} is now ${status ?? 'changed'}`;
      return from ? `changed the plan from ${from} to ${to}` : `started the ${to} plan`;
    },
  },
  'billing.payment_failed': {
    kind: 'invoice.payment_failed',
    permission: 'billing:read',
    subject: null,
    summary: (f) =>
      `could not collect a payment${text(f.details.invoiceId) ? ` for invoice ${text(f.details.invoiceId)}` : ''}`,
  },
  'tools.http_allowlist.update': {
    kind: 'tools.allowlist_changed',
    permission: 'tools:read',
    subject: null,
    summary: (f) => {
      const hosts = Array.isArray(f.details.hosts) ? f.details.hosts.length : undefined;
      return `changed the HTTP allow-list${hosts === undefined ? '' : ` (${hosts} host${hosts === 1 ? '' : 's'})`}`;
    },
  },
  ...TASK_UPDATES,
  ...ERROR_UPDATES,
  ...FIX_UPDATES,
};

/** The audit actions a reader with these scopes may see as feed items. */
export function auditActionsFor(scopes: ReadonlySet<string>): string[] {
  return Object.entries(AUDIT_UPDATES)
    .filter(([, u]) => scopes.has(u.permission))
    .map(([action]) => action);
}

/** Runs appear in the feed to readers who may see runs. */
export const RUN_UPDATES_PERMISSION: Permission = 'runs:read';

/** The run states the feed reports, each with how it reads. */
export type RunUpdateState = 'submitted' | 'succeeded' | 'failed' | 'cancelled' | 'waiting_approval';

export interface RunFacts {
  agent: string;
  source: 'api' | 'chat' | 'openai';
  error: { message: string } | null;
}

/** Chat turns are runs too; they read as such, so the feed does not call a chat reply "a run". */
const runNoun = (source: RunFacts['source']) => (source === 'api' ? 'run' : 'chat turn');

export const RUN_KINDS: Readonly<
  Record<RunUpdateState, { kind: UpdateKind; summary(facts: RunFacts): string }>
> = {
  submitted: { kind: 'run.submitted', summary: (f) => `submitted a run of ${f.agent}` },
  succeeded: { kind: 'run.succeeded', summary: (f) => `${runNoun(f.source)} of ${f.agent} succeeded` },
  failed: {
    kind: 'run.failed',
    summary: (f) => {
      const why = f.error?.message;
      if (!why) return `${runNoun(f.source)} of ${f.agent} failed`;
      const short = why.length > MAX_ERROR ? `${why.slice(0, MAX_ERROR - 1)}…` : why;
      return `${runNoun(f.source)} of ${f.agent} failed: ${short}`;
    },
  },
  cancelled: { kind: 'run.cancelled', summary: (f) => `${runNoun(f.source)} of ${f.agent} was cancelled` },
  waiting_approval: {
    kind: 'run.waiting_approval',
    summary: (f) => `${runNoun(f.source)} of ${f.agent} is waiting for approval`,
  },
};
