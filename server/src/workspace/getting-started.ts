import type { Principal } from '../platform/auth.ts';
import { Errors } from '../platform/errors.ts';

/** The first things a new org does, each ticked off from what the org has really done. */
export const GETTING_STARTED_STEPS = ['chat', 'provider', 'member', 'api_key'] as const;
export type GettingStartedStep = (typeof GETTING_STARTED_STEPS)[number];

/** What the list reads from the domains that own each fact (answered through their services). */
export interface GettingStartedDeps {
  /** Anyone in the org has run an agent (a chat turn or a run). */
  hasRuns(orgId: string): Promise<boolean>;
  /** A model provider other than the built-in one is usable by the org (its own key or the server's). */
  hasProvider(orgId: string): Promise<boolean>;
  countMembers(orgId: string): Promise<number>;
  /** API keys the org ever created (revoked ones too: the step was done). */
  countApiKeys(orgId: string): Promise<number>;
  /** Whether this person put the list away in this org, and remembering it. */
  dismissed(orgId: string, userId: string): Promise<boolean>;
  setDismissed(orgId: string, userId: string, dismissed: boolean): Promise<void>;
}

/** The dashboard's getting-started list of a person in an org. */
export function createGettingStarted(deps: GettingStartedDeps) {
  async function get(p: Principal) {
    if (!p.userId) throw Errors.badRequest('the getting-started list belongs to people; API keys have none');
    const [runs, provider, members, keys, dismissed] = await Promise.all([
      deps.hasRuns(p.orgId),
      deps.hasProvider(p.orgId),
      deps.countMembers(p.orgId),
      deps.countApiKeys(p.orgId),
      deps.dismissed(p.orgId, p.userId),
    ]);
    const done: Record<GettingStartedStep, boolean> = {
      chat: runs,
      provider,
      member: members > 1,
      api_key: keys > 0,
    };
    const steps = GETTING_STARTED_STEPS.map((id) => ({ id, done: done[id] }));
    return { dismissed, complete: steps.every((s) => s.done), steps };
  }
  return {
    get,
    async setDismissed(p: Principal, dismissed: boolean) {
      if (!p.userId)
        throw Errors.badRequest('the getting-started list belongs to people; API keys have none');
      await deps.setDismissed(p.orgId, p.userId, dismissed);
      return get(p);
    },
  };
}

export type GettingStarted = ReturnType<typeof createGettingStarted>;
