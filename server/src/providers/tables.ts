import { pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { orgs } from '../identity/tables.ts';
import { createdAt, ts } from '../platform/db/columns.ts';

const orgId = () =>
  text('org_id')
    .notNull()
    .references(() => orgs.id, { onDelete: 'cascade' });

/** An org's own model provider settings; the API key is stored encrypted, never returned. */
export const modelProviders = pgTable(
  'model_providers',
  {
    orgId: orgId(),
    name: text('name').notNull(),
    kind: text('kind').$type<'openai' | 'anthropic' | 'openai_compatible'>().notNull(),
    baseUrl: text('base_url'),
    apiKeyEnc: text('api_key_enc'),
    updatedBy: text('updated_by').notNull(),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.name] })],
);
