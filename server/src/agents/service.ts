import { isDeepStrictEqual } from 'node:util';
import { auditChange, recordAudit } from '../audit/service.ts';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import { isUniqueViolation } from '../platform/db/errors.ts';
import type { Db, Tx } from '../platform/db/index.ts';
import { AppError, Errors } from '../platform/errors.ts';
import type { RequestMeta } from '../platform/http.ts';
import { newId } from '../platform/ids.ts';
import { createOrgCache } from '../platform/org-cache.ts';
import { decodeCursor, type PageQuery, toPage } from '../platform/pagination.ts';
import { DEFAULT_MODEL, parseModelRef } from '../providers/models/resolver.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import { AgentErrors } from './errors.ts';
import { type Agent, presentAgent, presentVersion, snapshotOf } from './present.ts';
import type { CreateAgentInput, UpdateAgentInput } from './schema.ts';
import * as store from './store.ts';
import type { AgentSnapshot } from './tables.ts';
import { freeSlug, slugify, validateAgent } from './validation.ts';

export interface AgentServiceDeps {
  db: Db;
  bus: Bus;
  tools: ToolRegistry;
  /** Whether the org may name a model provider (the providers domain answers). */
  providerExists(orgId: string, name: string): Promise<boolean>;
  /** Refuses (throws) when one more agent would pass a limit, such as the org's plan (billing answers). */
  agentGuard?: ((tx: Tx, orgId: string, count: () => Promise<number>) => Promise<void>) | undefined;
}

/** Agents of an org: create, change (each change a new version), delete, and their rules. */
export function createAgentService({ db, bus, tools, providerExists, agentGuard }: AgentServiceDeps) {
  // What every chat turn reads (by id, or by slug on the OpenAI surface); dropped on any change.
  const cache = createOrgCache<Agent>({ name: 'agents', bus, orgIdOf: (_agent, key) => key.split(':')[0]! });
  const changing = <T>(orgId: string, work: Promise<T>) => cache.changing(orgId, work);
  const audit = (tx: Tx, p: Principal, action: string, id: string, meta: RequestMeta, details?: object) =>
    auditChange(tx, p, action, { type: 'agent', id }, meta, details);

  /**
   * Tool names that `wanted` may hold: those already held, and the registry's when something else is
   * asked for. Read outside any transaction: listing the registry may connect to MCP servers.
   */
  async function knownTools(orgId: string, wanted: string[], held: string[] = []): Promise<Set<string>> {
    const known = new Set(held);
    if (wanted.every((t) => known.has(t))) return known;
    for (const tool of await tools.list(orgId)) known.add(tool.name);
    return known;
  }

  /** The provider of `model` when the org may use it (none for a model that names no provider). */
  async function knownProviders(orgId: string, model: string): Promise<Set<string>> {
    const provider = parseModelRef(model)?.provider;
    return provider && (await providerExists(orgId, provider)) ? new Set([provider]) : new Set();
  }

  async function requireAgent(tx: Tx, orgId: string, id: string) {
    const agent = await store.findAgent(tx, orgId, id);
    if (!agent) throw AgentErrors.notFound(id);
    return agent;
  }

  return {
    async list(p: Principal, page: PageQuery) {
      const rows = await store.listAgents(db, p.orgId, {
        limit: page.limit + 1,
        after: decodeCursor(page.cursor),
      });
      const result = toPage(rows, page.limit);
      return { items: result.items.map(presentAgent), nextCursor: result.nextCursor };
    },

    async get(p: Principal, id: string): Promise<Agent> {
      return presentAgent(await requireAgent(db, p.orgId, id));
    },

    /** For other domains (chat, conversations): an org's agent by id, or a 404. */
    async getForOrg(orgId: string, id: string): Promise<Agent> {
      const agent = await cache.get(`${orgId}:id:${id}`, async () => {
        const row = await store.findAgent(db, orgId, id);
        return row ? presentAgent(row) : undefined;
      });
      if (!agent) throw AgentErrors.notFound(id);
      return agent;
    },

    /** For the OpenAI-compatible surface, where `model` is the slug. */
    /** Agents of the org by id; ids of other orgs or of no agent are left out. */
    async findMany(orgId: string, ids: string[]): Promise<Agent[]> {
      return (await store.findAgentsByIds(db, orgId, ids)).map(presentAgent);
    },

    /** Names of agents of the org by id (the activity feed), others left out. */
    async namesOf(orgId: string, ids: string[]): Promise<Map<string, string>> {
      const rows = ids.length ? await store.findAgentsByIds(db, orgId, [...new Set(ids)]) : [];
      return new Map(rows.map((a) => [a.id, a.name]));
    },

    /** Name and slug of agents by id across orgs, keyed `orgId:id` (the operator's control room). */
    async labelsAcrossOrgs(ids: string[]): Promise<Map<string, { name: string; slug: string }>> {
      const rows = await store.findAgentLabels(db, ids);
      return new Map(rows.map((a) => [`${a.orgId}:${a.id}`, { name: a.name, slug: a.slug }]));
    },

    /** Every agent of the org with the model and tools it holds (tools and providers ask who uses them). */
    async roster(orgId: string) {
      const rows = await store.listAllAgents(db, orgId);
      return rows.map((a) => ({ id: a.id, slug: a.slug, name: a.name, model: a.model, tools: a.tools }));
    },

    async findBySlug(orgId: string, slug: string): Promise<Agent | undefined> {
      return cache.get(`${orgId}:slug:${slug}`, async () => {
        const row = await store.findAgentBySlug(db, orgId, slug);
        return row ? presentAgent(row) : undefined;
      });
    },

    async create(p: Principal, input: CreateAgentInput, meta: RequestMeta): Promise<Agent> {
      const id = newId('agt');
      const known = {
        tools: await knownTools(p.orgId, input.tools ?? []),
        providers: await knownProviders(p.orgId, input.model ?? DEFAULT_MODEL),
      };
      try {
        return await changing(
          p.orgId,
          db.transaction(async (tx) => {
            if (input.slug && (await store.findAgentBySlug(tx, p.orgId, input.slug)))
              throw AgentErrors.slugTaken(input.slug);
            const snapshot: Required<AgentSnapshot> = {
              name: input.name,
              slug: input.slug ?? (await freeSlug(tx, p.orgId, slugify(input.name))),
              description: input.description ?? '',
              instructions: input.instructions ?? '',
              model: input.model ?? DEFAULT_MODEL,
              tools: [...new Set(input.tools ?? [])],
              handoffs: [...new Set(input.handoffs ?? [])],
              modelSettings: input.modelSettings ?? {},
              guardrails: input.guardrails ?? [],
            };
            await validateAgent(tx, known, p.orgId, id, snapshot);
            await agentGuard?.(tx, p.orgId, () => store.countAgents(tx, p.orgId));
            const agent = await store.insertAgent(tx, { id, orgId: p.orgId, ...snapshot, version: 1 });
            await store.insertVersion(tx, {
              id: newId('agv'),
              orgId: p.orgId,
              agentId: id,
              version: 1,
              snapshot,
              changedBy: p.id,
            });
            await audit(tx, p, 'agent.create', id, meta, { slug: snapshot.slug, model: snapshot.model });
            return presentAgent(agent);
          }),
        );
      } catch (err) {
        // Two creates racing for the same derived slug: the loser hears it plainly.
        if (isUniqueViolation(err)) throw AgentErrors.slugTaken(input.slug ?? slugify(input.name));
        throw err;
      }
    },

    /**
     * Gives a new org its first agent, "Assistant", on `model`: made by the system, counted against the
     * org's plan like any other (a plan with no room for it gets none; false is returned then).
     */
    async createStarter(orgId: string, model: string): Promise<boolean> {
      const id = newId('agt');
      const snapshot: Required<AgentSnapshot> = {
        name: 'Assistant',
        slug: 'assistant',
        description: 'A general assistant to start with; change its model and instructions as you like.',
        instructions: 'You are a helpful assistant for this team. Answer clearly and briefly.',
        model,
        tools: [],
        handoffs: [],
        modelSettings: {},
        guardrails: [],
      };
      return changing(
        orgId,
        db.transaction(async (tx) => {
          if ((await store.countAgents(tx, orgId)) > 0) return false;
          try {
            await agentGuard?.(tx, orgId, () => store.countAgents(tx, orgId));
          } catch (err) {
            if (err instanceof AppError && err.code === 'plan_limit') return false;
            throw err;
          }
          await store.insertAgent(tx, { id, orgId, ...snapshot, version: 1 });
          await store.insertVersion(tx, {
            id: newId('agv'),
            orgId,
            agentId: id,
            version: 1,
            snapshot,
            changedBy: 'system',
          });
          await recordAudit(tx, {
            action: 'agent.create',
            orgId,
            actor: { kind: 'system', id: null },
            resource: { type: 'agent', id },
            outcome: 'success',
            details: { slug: snapshot.slug, model, starter: true },
            meta: null,
          });
          return true;
        }),
      );
    },

    async update(p: Principal, id: string, input: UpdateAgentInput, meta: RequestMeta): Promise<Agent> {
      const stored = await store.findAgent(db, p.orgId, id);
      const tools = await knownTools(p.orgId, input.tools ?? [], stored?.tools ?? []);
      const providers = await knownProviders(p.orgId, input.model ?? stored?.model ?? DEFAULT_MODEL);
      try {
        return await changing(
          p.orgId,
          db.transaction(async (tx) => {
            const current = await store.findAgentForUpdate(tx, p.orgId, id);
            if (!current) throw AgentErrors.notFound(id);
            if (input.expectedVersion !== undefined && input.expectedVersion !== current.version) {
              throw AgentErrors.versionConflict(id, current.version, input.expectedVersion);
            }
            const before = snapshotOf(current);
            const { expectedVersion: _expected, ...patch } = input;
            const next: AgentSnapshot = snapshotOf({
              ...before,
              ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
            } as AgentSnapshot);
            next.tools = [...new Set(next.tools)];
            next.handoffs = [...new Set(next.handoffs)];
            if (isDeepStrictEqual(before, next)) return presentAgent(current);
            if (next.slug !== before.slug && (await store.findAgentBySlug(tx, p.orgId, next.slug))) {
              throw AgentErrors.slugTaken(next.slug);
            }
            // Tools it already had stay allowed, even if their source is unreachable now.
            await validateAgent(
              tx,
              { tools: new Set([...tools, ...before.tools]), providers },
              p.orgId,
              id,
              next,
            );
            const version = current.version + 1;
            const updated = await store.updateAgent(tx, p.orgId, id, { ...next, version });
            await store.insertVersion(tx, {
              id: newId('agv'),
              orgId: p.orgId,
              agentId: id,
              version,
              snapshot: next,
              changedBy: p.id,
            });
            const changed = Object.keys(next).filter(
              (k) => !isDeepStrictEqual(before[k as keyof AgentSnapshot], next[k as keyof AgentSnapshot]),
            );
            await audit(tx, p, 'agent.update', id, meta, { version, changed });
            return presentAgent(updated!);
          }),
        );
      } catch (err) {
        if (isUniqueViolation(err) && input.slug) throw AgentErrors.slugTaken(input.slug);
        throw err;
      }
    },

    /**
     * Deletes an agent. Refused (409 agent_in_use) while other agents hand off to it, so no agent
     * silently loses a hand-off; its conversations keep their messages.
     */
    async remove(p: Principal, id: string, meta: RequestMeta): Promise<void> {
      await changing(
        p.orgId,
        db.transaction(async (tx) => {
          const agent = await store.findAgentForUpdate(tx, p.orgId, id);
          if (!agent) throw AgentErrors.notFound(id);
          const referrers = await store.agentsHandingOffTo(tx, p.orgId, id);
          if (referrers.length) {
            throw AgentErrors.inUse(id, referrers);
          }
          await store.deleteAgent(tx, p.orgId, id);
          await audit(tx, p, 'agent.delete', id, meta, { slug: agent.slug });
        }),
      );
    },

    async versions(p: Principal, id: string, page: PageQuery) {
      await requireAgent(db, p.orgId, id);
      const cursor = decodeCursor(page.cursor);
      const before = cursor === undefined ? undefined : Number(cursor);
      if (before !== undefined && !Number.isInteger(before)) throw Errors.validation('cursor is not valid');
      const rows = await store.listVersions(db, p.orgId, id, { limit: page.limit + 1, before });
      const items = rows.slice(0, page.limit);
      const last = items.at(-1);
      return {
        items: items.map((v) => presentVersion(id, v)),
        nextCursor:
          rows.length > page.limit && last ? Buffer.from(String(last.version)).toString('base64url') : null,
      };
    },
  };
}

export type AgentService = ReturnType<typeof createAgentService>;
