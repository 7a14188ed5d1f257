import { recordAudit } from '../audit/service.ts';
import type { Principal } from '../platform/auth.ts';
import type { Db } from '../platform/db/index.ts';
import type { RequestMeta } from '../platform/http.ts';
import { ToolErrors } from './errors.ts';
import { normaliseHostPattern } from './http-get.ts';
import { parametersJsonSchema, type ToolRegistry } from './registry.ts';
import * as settings from './store.ts';

/** The org's agents and the tools each holds; the agents domain answers it. */
export type ToolHolders = (
  orgId: string,
) => Promise<Array<{ id: string; slug: string; name: string; tools: string[] }>>;

/** The tool registry as the API shows it, and the org's `http.get` allow-list. */
export function createToolsService({
  db,
  tools,
  holders,
}: {
  db: Db;
  tools: ToolRegistry;
  holders: ToolHolders;
}) {
  return {
    /** Every tool with its schema and the agents of the org that may use it. */
    async list(p: Principal) {
      const [all, agents] = await Promise.all([tools.list(p.orgId), holders(p.orgId)]);
      return {
        items: all.map((tool) => ({
          name: tool.name,
          description: tool.description,
          parameters: parametersJsonSchema(tool),
          requiresApproval: tool.requiresApproval,
          source: tool.source,
          agents: agents
            .filter((a) => a.tools.includes(tool.name))
            .map((a) => ({ id: a.id, slug: a.slug, name: a.name })),
        })),
      };
    },

    async getAllowlist(p: Principal) {
      const row = await settings.findAllowlist(db, p.orgId);
      return { hosts: row?.hosts ?? [], updatedAt: row?.updatedAt.toISOString() ?? null };
    },

    /** Replaces the allow-list; every entry is checked and normalised, duplicates dropped. */
    async putAllowlist(p: Principal, hosts: string[], meta: RequestMeta) {
      const normalised: string[] = [];
      const invalid: string[] = [];
      for (const entry of hosts) {
        const host = normaliseHostPattern(entry);
        if (host) normalised.push(host);
        else invalid.push(entry);
      }
      if (invalid.length) {
        throw ToolErrors.invalidHosts(invalid);
      }
      const unique = [...new Set(normalised)].sort();
      await db.transaction(async (tx) => {
        await settings.upsertAllowlist(tx, p.orgId, unique, p.id);
        await recordAudit(tx, {
          action: 'tools.http_allowlist.update',
          orgId: p.orgId,
          actor: { kind: p.kind, id: p.id },
          resource: { type: 'http_allowlist', id: p.orgId },
          outcome: 'success',
          meta,
          details: { hosts: unique },
        });
      });
      return this.getAllowlist(p);
    },
  };
}

export type ToolsService = ReturnType<typeof createToolsService>;

/** What `http.get` asks for each call: the org's current allow-list. */
export function allowlistLookup(db: Db) {
  return async (orgId: string): Promise<string[]> => (await settings.findAllowlist(db, orgId))?.hosts ?? [];
}
