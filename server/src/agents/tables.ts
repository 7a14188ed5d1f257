import { integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { orgs } from '../identity/tables.ts';
import { createdAt, ts } from '../platform/db/columns.ts';
import type { Guardrail } from './guardrails.ts';

const orgId = () =>
  text('org_id')
    .notNull()
    .references(() => orgs.id, { onDelete: 'cascade' });

/** Model settings an agent may carry; passed to the model on every call. */
export interface AgentModelSettings {
  temperature?: number | undefined;
  topP?: number | undefined;
  maxTokens?: number | undefined;
  toolChoice?: 'auto' | 'required' | 'none' | undefined;
  parallelToolCalls?: boolean | undefined;
}

/** An agent of an org: what it is told, which model it runs on, its tools and who it may hand off to. */
export const agents = pgTable(
  'agents',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    description: text('description').notNull().default(''),
    instructions: text('instructions').notNull().default(''),
    model: text('model').notNull(),
    tools: jsonb('tools').$type<string[]>().notNull(),
    handoffs: jsonb('handoffs').$type<string[]>().notNull(),
    modelSettings: jsonb('model_settings').$type<AgentModelSettings>().notNull(),
    guardrails: jsonb('guardrails').$type<Guardrail[]>().notNull().default([]),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('agents_org_slug_key').on(t.orgId, t.slug)],
);

/** The full state of an agent after each change, so any version can be read back. */
export interface AgentSnapshot {
  name: string;
  slug: string;
  description: string;
  instructions: string;
  model: string;
  tools: string[];
  handoffs: string[];
  modelSettings: AgentModelSettings;
  /** Missing from versions kept before guardrails existed; read as none. */
  guardrails?: Guardrail[];
}

export const agentVersions = pgTable(
  'agent_versions',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    snapshot: jsonb('snapshot').$type<AgentSnapshot>().notNull(),
    /** The user or API key that made the change. */
    changedBy: text('changed_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('agent_versions_agent_version_key').on(t.agentId, t.version)],
);
