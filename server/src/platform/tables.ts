import { integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { createdAt, ts } from './db/columns.ts';

/** The first answer to each Idempotency-Key, per caller, for 24 hours (platform/idempotency.ts). */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    orgId: text('org_id').notNull(),
    /** The user or API key: one caller's keys never answer another's requests. */
    principalId: text('principal_id').notNull(),
    key: text('key').notNull(),
    /** Method, path and body, hashed: the same key for a different request is refused. */
    requestHash: text('request_hash').notNull(),
    /** Null while the first request is still running. */
    status: integer('status'),
    contentType: text('content_type'),
    body: text('body'),
    createdAt: createdAt(),
    completedAt: ts('completed_at'),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.principalId, t.key] })],
);
