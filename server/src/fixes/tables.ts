import { sql } from 'drizzle-orm';
import { boolean, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { orgs } from '../identity/tables.ts';
import { createdAt, ts } from '../platform/db/columns.ts';
import type { Edit } from './patch.ts';

export type FixStatus =
  | 'queued'
  | 'analyzing'
  | 'proposed'
  | 'rejected'
  | 'applying'
  | 'applied'
  | 'verifying'
  | 'verified'
  | 'verification_failed'
  | 'failed';

/** What the verify command did: its arguments, exit code (null: it did not start or was stopped) and output's tail. */
export interface FixVerify {
  command: string[];
  exitCode: number | null;
  outputTail: string;
}

/**
 * Fixes of error issues: a run of the fixer agent that proposes exact-text edits to the issue's
 * project repository, a person's decision, and the commit and verification an approval makes. The
 * repository (path, branch) and the branch's commit are copied when the fix is requested, so the
 * fixer reads one snapshot and a project changed later does not move a fix under way.
 */
export const fixes = pgTable(
  'fixes',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    issueId: text('issue_id').notNull(),
    /** The issue's short id (`SHOP-12`) when the fix was requested: its branch is named after it. */
    issueShortId: text('issue_short_id').notNull(),
    projectId: text('project_id').notNull(),
    agentId: text('agent_id').notNull(),
    runId: text('run_id'),
    status: text('status').$type<FixStatus>().notNull().default('queued'),
    instructions: text('instructions').notNull().default(''),
    repositoryPath: text('repository_path').notNull(),
    repositoryBranch: text('repository_branch').notNull(),
    /** The branch's commit when the fix was requested: what the fixer reads and edits. */
    baseCommit: text('base_commit').notNull(),
    /** The release of the issue's latest event when the fix was requested (regression compares to it). */
    release: text('release'),
    rootCause: text('root_cause'),
    edits: jsonb('edits').$type<Edit[]>().notNull().default([]),
    diff: text('diff'),
    files: text('files').array().notNull().default(sql`'{}'::text[]`),
    branch: text('branch'),
    commit: text('commit'),
    committedAt: ts('committed_at'),
    /** The verify command taken from the project when the fix was approved (null: none). */
    verifyCommand: text('verify_command').array(),
    verify: jsonb('verify').$type<FixVerify>(),
    error: jsonb('error').$type<{ code: string; message: string }>(),
    requestedBy: text('requested_by').notNull(),
    decidedBy: text('decided_by'),
    decidedAt: ts('decided_at'),
    rejectReason: text('reject_reason'),
    inboxItemId: text('inbox_item_id'),
    /** Null until it is applied; false once its issue's error came back in a later release. */
    holding: boolean('holding'),
    regressedAt: ts('regressed_at'),
    regressedRelease: text('regressed_release'),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('fixes_org_issue_idx').on(t.orgId, t.issueId, t.id), index('fixes_run_idx').on(t.runId)],
);
