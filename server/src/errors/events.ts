import { type AuditEvent, recordAudit } from '../audit/service.ts';
import type { Bus } from '../platform/bus.ts';
import type { Tx } from '../platform/db/index.ts';
import type { Work } from '../platform/db/work.ts';
import type { RequestMeta } from '../platform/http.ts';
import { presentIssue } from './present.ts';
import type { IssueRecord, ProjectRecord } from './store.ts';

export type IssueEventType = 'issue.created' | 'issue.updated' | 'issue.regressed';

/**
 * Tells the org's `issues` subscribers once the change has committed, with the issue as it is now.
 * Issue events ride the org topic; readers need `errors:read`.
 */
export function publishIssueEvent(work: Work, bus: Bus, type: IssueEventType, issue: IssueRecord): void {
  work.afterCommit(() =>
    bus.publish({
      topic: `org:${issue.orgId}`,
      type,
      orgId: issue.orgId,
      data: { issue: presentIssue(issue) },
    }),
  );
}

/** Who changed it: a person or key through the API, or the platform (grouping events, a regression). */
export type ErrorsActor = { kind: 'user' | 'api_key'; id: string } | { kind: 'system'; id: null };

/**
 * The audit row of a change to an issue, in the change's transaction; the activity feed reads these
 * (`issue.*` in workspace/updates-kinds.ts). The short id and title are kept so the row reads by name.
 */
export function auditIssue(
  tx: Tx,
  actor: ErrorsActor,
  action: string,
  issue: IssueRecord,
  meta: RequestMeta | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  const event: AuditEvent = {
    action,
    orgId: issue.orgId,
    actor,
    resource: { type: 'issue', id: issue.id },
    outcome: 'success',
    meta,
    details: { shortId: issue.shortId, title: issue.title, ...details },
  };
  return recordAudit(tx, event);
}

/** The audit row of a change to an error project (never its key). */
export function auditProject(
  tx: Tx,
  actor: ErrorsActor,
  action: string,
  project: ProjectRecord,
  meta: RequestMeta | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  return recordAudit(tx, {
    action,
    orgId: project.orgId,
    actor,
    resource: { type: 'error_project', id: project.id },
    outcome: 'success',
    meta,
    details: { name: project.name, ...details },
  });
}
