import { pgTable, text } from 'drizzle-orm/pg-core';
import { ts } from '../platform/db/columns.ts';

/**
 * The operator's maintenance notice, shown by every console of every org. Platform-wide like billing
 * plans (it belongs to no tenant, so it has no org_id); at most one row, id `current`.
 */
export const maintenanceNotices = pgTable('maintenance_notices', {
  id: text('id').primaryKey(),
  message: text('message').notNull(),
  level: text('level').$type<'info' | 'warning'>().notNull(),
  /** The operator admin who posted it (a user id). */
  postedBy: text('posted_by').notNull(),
  postedAt: ts('posted_at').notNull(),
});
