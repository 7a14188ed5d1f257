import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { orgs } from '../identity/tables.ts';
import { createdAt, ts } from '../platform/db/columns.ts';

/** Every row belongs to an org and goes with it. */
const orgColumn = () =>
  text('org_id')
    .notNull()
    .references(() => orgs.id, { onDelete: 'cascade' });
/** Raw events, issues and events belong to a project and go with it. */
const projectColumn = () =>
  text('project_id')
    .notNull()
    .references(() => errorProjects.id, { onDelete: 'cascade' });

export type IssueStatus = 'unresolved' | 'resolved' | 'ignored' | 'regressed';
export type IssueLevel = 'fatal' | 'error' | 'warning' | 'info' | 'debug';

/**
 * An org's error project: where Sentry SDKs send events. The API names it by `id`; the DSN names it by
 * `ingest_id`, a number, because Sentry SDKs refuse a DSN whose project id is not all digits.
 */
export const errorProjects = pgTable(
  'error_projects',
  {
    id: text('id').primaryKey(),
    orgId: orgColumn(),
    /** The DSN's project id: a number from a sequence, unique across the platform. */
    ingestId: bigint('ingest_id', { mode: 'number' }).notNull().generatedAlwaysAsIdentity().unique(),
    name: text('name').notNull(),
    /** Upper-case letters and digits; issues are `<SLUG>-<n>`. */
    slug: text('slug').notNull(),
    platform: text('platform').notNull(),
    /** The DSN's key (Sentry's "public key"): who holds it may send events to this project only. */
    publicKey: text('public_key').notNull().unique(),
    repositoryPath: text('repository_path'),
    repositoryBranch: text('repository_branch'),
    verifyCommand: text('verify_command').array(),
    /** Events accepted per minute; null: the server default (ERRORS_RATE_LIMIT_PER_MINUTE). */
    rateLimitPerMinute: integer('rate_limit_per_minute'),
    /** The platform's own project ("Switchboard"), one per org at most, made on first use. */
    builtin: boolean('builtin').notNull().default(false),
    /** The last issue number given out (`<SLUG>-<n>`). */
    issueCounter: integer('issue_counter').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('error_projects_org_idx').on(t.orgId, t.id),
    uniqueIndex('error_projects_builtin_idx').on(t.orgId).where(sql`${t.builtin}`),
  ],
);

/**
 * Events as they arrived, waiting to be grouped: the request path validates and inserts one row per
 * event; the grouping worker claims them in batches (FOR UPDATE SKIP LOCKED) and deletes them once
 * they are events of an issue.
 */
export const errorRawEvents = pgTable(
  'error_raw_events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    orgId: orgColumn(),
    projectId: projectColumn(),
    /** Sentry's event id, 32 hex digits. */
    eventId: text('event_id').notNull(),
    receivedAt: ts('received_at').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [index('error_raw_events_project_idx').on(t.projectId)],
);

/** Events grouped by the same key: one issue. Its figures change in the same transaction as its events. */
export const issues = pgTable(
  'issues',
  {
    id: text('id').primaryKey(),
    orgId: orgColumn(),
    projectId: projectColumn(),
    /** `<PROJECT SLUG>-<n>`, n counting the project's issues from 1. */
    shortId: text('short_id').notNull(),
    /** A hash of the grouping key (fingerprint, exception and in-app frames, or masked message). */
    fingerprint: text('fingerprint').notNull(),
    title: text('title').notNull(),
    culprit: text('culprit'),
    /** The message or exception value of the first event (searched by `q`). */
    message: text('message').notNull().default(''),
    level: text('level').$type<IssueLevel>().notNull(),
    status: text('status').$type<IssueStatus>().notNull().default('unresolved'),
    count: integer('count').notNull().default(0),
    userCount: integer('user_count').notNull().default(0),
    firstSeen: ts('first_seen').notNull(),
    lastSeen: ts('last_seen').notNull(),
    /** A member of the org (`GET /members` id), or null. */
    assigneeId: text('assignee_id'),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('issues_project_fingerprint_idx').on(t.projectId, t.fingerprint),
    index('issues_org_last_seen_idx').on(t.orgId, t.lastSeen, t.id),
    index('issues_org_first_seen_idx').on(t.orgId, t.firstSeen, t.id),
    index('issues_org_count_idx').on(t.orgId, t.count, t.id),
    index('issues_org_status_idx').on(t.orgId, t.status),
  ],
);

/** Which users an issue has reached (its `user_count`), by the event's user id, email, name or IP. */
export const issueUsers = pgTable(
  'issue_users',
  {
    orgId: orgColumn(),
    issueId: text('issue_id')
      .notNull()
      .references(() => issues.id, { onDelete: 'cascade' }),
    userKey: text('user_key').notNull(),
  },
  (t) => [primaryKey({ columns: [t.issueId, t.userKey] })],
);

/** One event of an issue, normalised (frames, tags, breadcrumbs, request, user, contexts). */
export const errorEvents = pgTable(
  'error_events',
  {
    id: text('id').primaryKey(),
    orgId: orgColumn(),
    projectId: projectColumn(),
    issueId: text('issue_id')
      .notNull()
      .references(() => issues.id, { onDelete: 'cascade' }),
    eventId: text('event_id').notNull(),
    level: text('level').$type<IssueLevel>().notNull(),
    /** When the SDK says it happened. */
    occurredAt: ts('occurred_at').notNull(),
    receivedAt: ts('received_at').notNull(),
    userKey: text('user_key'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    index('error_events_issue_idx').on(t.orgId, t.issueId, t.id),
    index('error_events_org_received_idx').on(t.orgId, t.receivedAt),
  ],
);
