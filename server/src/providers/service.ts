import { recordAudit } from '../audit/service.ts';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import type { Config } from '../platform/config.ts';
import { decrypt, deriveKey, encrypt } from '../platform/crypto.ts';
import type { Db, Tx } from '../platform/db/index.ts';
import type { RequestMeta } from '../platform/http.ts';
import { createOrgCache } from '../platform/org-cache.ts';
import { ProviderErrors } from './errors.ts';
import { ANTHROPIC_OPENAI_BASE_URL, BUILTIN_PROVIDERS, type OrgProvider } from './models/resolver.ts';
import * as settings from './store.ts';

type Kind = settings.ProviderKind;

/** The org's agents and the model each runs on; the agents domain answers it. */
export type ModelUsers = (orgId: string) => Promise<Array<{ id: string; slug: string; model: string }>>;

/** An org's model providers: keys stored encrypted, never returned, only whether one is set. */
export function createProvidersService({
  db,
  bus,
  config,
  modelUsers,
}: {
  db: Db;
  bus: Bus;
  config: Config;
  modelUsers: ModelUsers;
}) {
  const key = deriveKey(config.secret, 'model-provider-keys');
  // Every turn resolves its agents' providers; most orgs have no row, which is cached as well.
  const cache = createOrgCache<{ provider: OrgProvider | undefined }>({
    name: 'model-providers',
    bus,
    orgIdOf: (_value, cacheKey) => cacheKey.split(':')[0]!,
  });

  const serverKey = (name: string): boolean =>
    name === 'openai'
      ? !!config.providers.openai
      : name === 'anthropic'
        ? !!config.providers.anthropic
        : false;

  function present(name: string, row: settings.ProviderRecord | undefined) {
    if (name === 'builtin') {
      return {
        name,
        kind: 'builtin' as const,
        baseUrl: null,
        apiKeySet: false,
        source: 'builtin' as const,
        configured: true,
        updatedAt: null,
      };
    }
    const kind: Kind = row?.kind ?? (name as Kind);
    const defaultBaseUrl =
      name === 'openai'
        ? (config.providers.openai?.baseUrl ?? null)
        : name === 'anthropic'
          ? ANTHROPIC_OPENAI_BASE_URL
          : null;
    // Mirrors the resolver: the server's key is used only while the org has not set its own endpoint.
    const usesServerKey = !row?.apiKeyEnc && !row?.baseUrl && serverKey(name);
    return {
      name,
      kind,
      baseUrl: row?.baseUrl ?? defaultBaseUrl,
      apiKeySet: !!row?.apiKeyEnc || usesServerKey,
      source: row ? ('org' as const) : ('server' as const),
      configured: kind === 'openai_compatible' ? !!row?.baseUrl : !!row?.apiKeyEnc || usesServerKey,
      updatedAt: row?.updatedAt.toISOString() ?? null,
    };
  }

  async function audit(
    tx: Tx,
    p: Principal,
    action: string,
    name: string,
    meta: RequestMeta,
    details: object,
  ) {
    await recordAudit(tx, {
      action,
      orgId: p.orgId,
      actor: { kind: p.kind, id: p.id },
      resource: { type: 'model_provider', id: name },
      outcome: 'success',
      meta,
      details: details as Record<string, unknown>,
    });
  }

  const service = {
    async list(p: Principal) {
      const rows = await settings.listProviders(db, p.orgId);
      const byName = new Map(rows.map((r) => [r.name, r]));
      const custom = rows.filter((r) => r.kind === 'openai_compatible').map((r) => r.name);
      return {
        items: ['builtin', 'openai', 'anthropic', ...custom].map((name) => present(name, byName.get(name))),
      };
    },

    /** Whether the org can use a model provider besides the built-in one (its own or the server's key). */
    async hasModelProvider(orgId: string): Promise<boolean> {
      const rows = await settings.listProviders(db, orgId);
      const byName = new Map(rows.map((r) => [r.name, r]));
      const custom = rows.filter((r) => r.kind === 'openai_compatible').map((r) => r.name);
      return ['openai', 'anthropic', ...custom].some((name) => present(name, byName.get(name)).configured);
    },

    async put(
      p: Principal,
      name: string,
      input: { baseUrl?: string | null | undefined; apiKey?: string | null | undefined },
      meta: RequestMeta,
    ) {
      if (name === 'builtin') throw ProviderErrors.builtin();
      return cache.changing(
        p.orgId,
        db.transaction(async (tx) => {
          const current = await settings.findProvider(tx, p.orgId, name);
          const kind: Kind = name === 'openai' || name === 'anthropic' ? name : 'openai_compatible';
          const baseUrl = input.baseUrl === undefined ? (current?.baseUrl ?? null) : input.baseUrl;
          if (kind === 'openai_compatible' && !baseUrl) throw ProviderErrors.needsBaseUrl(name);
          const apiKeyEnc =
            input.apiKey === undefined
              ? (current?.apiKeyEnc ?? null)
              : input.apiKey === null
                ? null
                : encrypt(key, input.apiKey);
          await settings.upsertProvider(tx, p.orgId, { name, kind, baseUrl, apiKeyEnc, updatedBy: p.id });
          await audit(tx, p, 'model_provider.update', name, meta, {
            baseUrl,
            apiKey: input.apiKey === undefined ? 'kept' : input.apiKey === null ? 'removed' : 'set',
          });
          return present(name, await settings.findProvider(tx, p.orgId, name));
        }),
      );
    },

    /** Removes the org's settings; refused for a custom provider that agents still use. */
    async remove(p: Principal, name: string, meta: RequestMeta) {
      // Read before the transaction: another domain's read inside it would wait on it (PGlite has
      // one connection).
      const users = (await modelUsers(p.orgId)).filter((a) => a.model.startsWith(`${name}:`));
      await cache.changing(
        p.orgId,
        db.transaction(async (tx) => {
          const current = await settings.findProvider(tx, p.orgId, name);
          if (!current) throw ProviderErrors.notFound(name);
          if (current.kind === 'openai_compatible' && users.length) throw ProviderErrors.inUse(name, users);
          await settings.deleteProvider(tx, p.orgId, name);
          await audit(tx, p, 'model_provider.delete', name, meta, {});
        }),
      );
    },

    /** Whether the org may name this provider in a model: a built-in one, or one it has set. */
    async exists(orgId: string, name: string): Promise<boolean> {
      return (
        (BUILTIN_PROVIDERS as readonly string[]).includes(name) ||
        (await service.orgProvider(orgId, name)) !== undefined
      );
    },

    /** The org's settings for a provider with the key decrypted; for the model resolver only. */
    async orgProvider(orgId: string, name: string): Promise<OrgProvider | undefined> {
      const cached = await cache.get(`${orgId}:${name}`, async () => {
        const row = await settings.findProvider(db, orgId, name);
        if (!row) return { provider: undefined };
        const provider: OrgProvider = {
          name: row.name,
          kind: row.kind,
          baseUrl: row.baseUrl,
          apiKey: row.apiKeyEnc ? decrypt(key, row.apiKeyEnc) : null,
        };
        return { provider };
      });
      return cached?.provider;
    },
  };
  return service;
}

export type ProvidersService = ReturnType<typeof createProvidersService>;
