import { pgTable, text } from 'drizzle-orm/pg-core';
import { ts } from '../platform/db/columns.ts';

/** An org's outbound webhook, called (signed) when something it subscribes to happens: a run ends, a budget alert, a billing event. */
export const webhooks = pgTable('webhooks', {
  orgId: text('org_id').primaryKey(),
  url: text('url').notNull(),
  secretEnc: text('secret_enc').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});
