import type { Tx } from '../platform/db/index.ts';
import { DEFAULT_MODEL, parseModelRef } from '../providers/models/resolver.ts';
import { AgentErrors } from './errors.ts';
import * as store from './store.ts';
import type { AgentSnapshot } from './tables.ts';

export const SLUG_MAX = 60;

/** A slug from a name: `Billing Support!` -> `billing-support`. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, SLUG_MAX)
    .replace(/^-+|-+$/g, '');
  return slug || 'agent';
}

/** `base`, or `base-2`, `base-3`... whichever is free in the org. */
export async function freeSlug(tx: Tx, orgId: string, base: string): Promise<string> {
  const taken = new Set(await store.slugsLike(tx, orgId, base));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = `${base.slice(0, SLUG_MAX - suffix.length).replace(/-+$/, '')}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** What an agent may name, read before its transaction: tools (listing them may connect to MCP
 * servers) and model providers (another domain's, read through its service). */
export interface KnownNames {
  tools: ReadonlySet<string>;
  providers: ReadonlySet<string>;
}

/** Checks tools, hand-offs and model against the org; throws a 400 naming what is wrong. */
export async function validateAgent(
  tx: Tx,
  known: KnownNames,
  orgId: string,
  agentId: string,
  a: AgentSnapshot,
): Promise<void> {
  const unknownTools = a.tools.filter((t) => !known.tools.has(t));
  if (unknownTools.length) {
    throw AgentErrors.unknownTools(unknownTools);
  }
  if (a.handoffs.includes(agentId)) {
    throw AgentErrors.handoffToSelf(agentId);
  }
  const found = new Set((await store.findAgentsByIds(tx, orgId, a.handoffs)).map((r) => r.id));
  const missing = a.handoffs.find((h) => !found.has(h));
  if (missing) {
    throw AgentErrors.handoffOutsideOrg(agentId, missing);
  }
  const ref = parseModelRef(a.model);
  if (!ref) {
    throw AgentErrors.invalidModel(
      `model "${a.model}" must be provider:model, e.g. ${DEFAULT_MODEL} or openai:gpt-4.1`,
    );
  }
  if (ref.provider === 'builtin' && ref.model !== 'scripted') {
    throw AgentErrors.invalidModel(`the builtin provider has no model "${ref.model}"; use ${DEFAULT_MODEL}`);
  }
  if (!known.providers.has(ref.provider)) {
    throw AgentErrors.unknownProvider(ref.provider, a.model);
  }
}
