import type { Membership } from '../identity/directory.ts';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import type { RequestMeta } from '../platform/http.ts';
import { createOrgCache } from '../platform/org-cache.ts';
import {
  type Access,
  accessResolver,
  indexRules,
  type RuleIndex,
  scopeAccess,
  type Viewer,
} from './access.ts';
import * as store from './store.ts';
import type { FileActor } from './tables.ts';

/** Who is working with the files: their org, who they are, and what they may do where. */
export interface Caller {
  orgId: string;
  actor: FileActor;
  /** What the caller may do at a path (remembered per path for this caller). */
  at(path: string): Access;
  /** The request, when it came over HTTP; tools have none. */
  meta: RequestMeta | null;
}

/** The caller's membership and role in an org; the identity domain answers. */
export type MemberOf = (orgId: string, userId: string) => Promise<Membership | undefined>;

const NOTHING: Viewer = { all: false, subjects: [], fallback: 'none', ceiling: 'none' };

/**
 * Turns principals and agents into callers. Rules are read from a per-org cache that every replica
 * drops when rules change (`rulesChanged`); memberships are read on each call, so a changed role
 * counts from the next request on.
 */
export function createCallers(deps: { db: Db; bus: Bus; memberOf: MemberOf }) {
  const cache = createOrgCache<RuleIndex>({
    name: 'file-rules',
    bus: deps.bus,
    orgIdOf: (_rules, key) => key,
  });

  const rules = async (orgId: string): Promise<RuleIndex> =>
    (await cache.get(orgId, async () => indexRules(await store.listRules(deps.db, orgId)))) ?? new Map();

  /** People by membership and role; owners and admins write everywhere; API keys by scopes alone. */
  async function viewerOf(p: Principal): Promise<Viewer> {
    const scoped = scopeAccess(p.scopes);
    if (p.kind === 'api_key' || !p.userId)
      return { all: false, subjects: [], fallback: scoped, ceiling: scoped };
    const member = await deps.memberOf(p.orgId, p.userId);
    if (!member) return NOTHING;
    const { role } = member;
    return {
      all: role.builtin && (role.name === 'owner' || role.name === 'admin'),
      subjects: [
        { type: 'member', id: member.id },
        { type: 'role', id: role.id },
      ],
      fallback: scoped,
      ceiling: scoped,
    };
  }

  async function callerOf(orgId: string, actor: FileActor, viewer: Viewer, meta: RequestMeta | null) {
    const at = accessResolver(viewer, await rules(orgId));
    return { orgId, actor, at, meta } satisfies Caller;
  }

  return {
    viewerOf,
    /** A person or API key, over HTTP. */
    async ofPrincipal(p: Principal, meta: RequestMeta | null = null): Promise<Caller> {
      return callerOf(p.orgId, { type: p.kind, id: p.id }, await viewerOf(p), meta);
    },
    /** An agent through its tools: only rules naming it give it anything. */
    ofAgent(orgId: string, agentId: string): Promise<Caller> {
      const viewer: Viewer = {
        all: false,
        subjects: [{ type: 'agent', id: agentId }],
        fallback: 'none',
        ceiling: 'write',
      };
      return callerOf(orgId, { type: 'agent', id: agentId }, viewer, null);
    },
    /** A viewer worked out earlier (the realtime filter keeps them per socket), with today's rules. */
    async resolverFor(orgId: string, viewer: Viewer) {
      return accessResolver(viewer, await rules(orgId));
    },
    rules,
    /** Call after rules changed (set, moved, deleted) and committed: every replica reads them again. */
    rulesChanged: (orgId: string) => cache.invalidate(orgId),
    close: () => cache.close(),
  };
}

export type Callers = ReturnType<typeof createCallers>;
