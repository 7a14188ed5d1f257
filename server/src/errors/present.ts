import type { z } from 'zod';
import type { errorProjectSchema, issueEventSchema, issueSchema } from './schema.ts';
import type { EventRecord, IssueRecord, ProjectRecord } from './store.ts';

export type ErrorProject = z.infer<typeof errorProjectSchema>;
export type Issue = z.infer<typeof issueSchema>;
export type IssueEvent = z.infer<typeof issueEventSchema>;

/**
 * The DSN of a project: the public URL's scheme, host and path, the key as user name, the ingest id as
 * the last path segment. Sentry SDKs send to `<scheme>://<host><path>/api/<ingestId>/envelope/`.
 */
export function dsnOf(publicUrl: string, p: { publicKey: string; ingestId: number }): string {
  const url = new URL(publicUrl);
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${p.publicKey}@${url.host}${path}/${p.ingestId}`;
}

export function presentProject(p: ProjectRecord, publicUrl: string, defaultRate: number): ErrorProject {
  return {
    id: p.id,
    name: p.name,
    slug: p.slug,
    platform: p.platform,
    dsn: dsnOf(publicUrl, p),
    publicKey: p.publicKey,
    ingestId: String(p.ingestId),
    repository:
      p.repositoryPath && p.repositoryBranch ? { path: p.repositoryPath, branch: p.repositoryBranch } : null,
    verifyCommand: p.verifyCommand,
    rateLimitPerMinute: p.rateLimitPerMinute,
    effectiveRateLimitPerMinute: p.rateLimitPerMinute ?? defaultRate,
    builtin: p.builtin,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export function presentIssue(i: IssueRecord): Issue {
  return {
    id: i.id,
    shortId: i.shortId,
    projectId: i.projectId,
    title: i.title,
    culprit: i.culprit,
    level: i.level,
    status: i.status,
    count: i.count,
    userCount: i.userCount,
    firstSeen: i.firstSeen.toISOString(),
    lastSeen: i.lastSeen.toISOString(),
    assignee: i.assigneeId,
  };
}

/** An event as stored (`data` holds the normalised event) with its ids. */
export function presentEvent(e: EventRecord): IssueEvent {
  const data = e.data as Omit<
    IssueEvent,
    'id' | 'eventId' | 'issueId' | 'projectId' | 'receivedAt' | 'level'
  >;
  return {
    ...data,
    id: e.id,
    eventId: e.eventId,
    issueId: e.issueId,
    projectId: e.projectId,
    level: e.level,
    receivedAt: e.receivedAt.toISOString(),
  };
}
