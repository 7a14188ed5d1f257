import { parentOf, ROOT } from './path.ts';

/** What a rule gives: nothing (the path is absent to its subject), reading, or reading and writing. */
export type Access = 'none' | 'read' | 'write';
export const ACCESS_LEVELS: readonly Access[] = ['none', 'read', 'write'];

export type SubjectType = 'role' | 'member' | 'agent';
export interface Subject {
  type: SubjectType;
  id: string;
}

/** One rule: `subject` has `access` at `path` and under it, until a deeper rule says otherwise. */
export interface Rule {
  path: string;
  subject: Subject;
  access: Access;
}

/** The org's rules by path, as the resolver reads them. */
export type RuleIndex = ReadonlyMap<string, readonly Rule[]>;

export function indexRules(rules: readonly Rule[]): RuleIndex {
  const index = new Map<string, Rule[]>();
  for (const rule of rules) index.set(rule.path, [...(index.get(rule.path) ?? []), rule]);
  return index;
}

/**
 * Who asks, as rules see them. People are named by their membership and their role; an agent by its
 * id; an API key by nothing (its scopes alone decide).
 */
export interface Viewer {
  /** Owners and admins: write everywhere, whatever the rules say. */
  all: boolean;
  /** The subjects a rule may name this viewer by, most specific first (member before role). */
  subjects: readonly Subject[];
  /** Access where no rule names the viewer: a person's scopes; nothing for an agent. */
  fallback: Access;
  /** The most the viewer's scopes allow; a rule cannot lift a viewer role to write. */
  ceiling: Access;
}

export const atLeast = (access: Access, wanted: Access) =>
  ACCESS_LEVELS.indexOf(access) >= ACCESS_LEVELS.indexOf(wanted);

const lower = (a: Access, b: Access): Access => (atLeast(a, b) ? b : a);

/** The rule at exactly `path` that names the viewer, the most specific subject first. */
function ownRule(viewer: Viewer, rules: RuleIndex, path: string): Rule | undefined {
  const here = rules.get(path);
  if (!here) return undefined;
  for (const subject of viewer.subjects) {
    const rule = here.find((r) => r.subject.type === subject.type && r.subject.id === subject.id);
    if (rule) return rule;
  }
  return undefined;
}

/**
 * What `viewer` may do, path by path. The deepest rule naming the viewer on the way from the path up
 * to the root decides (a member rule before a role rule at the same path); with none, the fallback.
 * Owners and admins always write. Answers are remembered per path, so a listing walks each folder once.
 */
export function accessResolver(viewer: Viewer, rules: RuleIndex): (path: string) => Access {
  const known = new Map<string, Access>();
  const resolve = (path: string): Access => {
    if (viewer.all) return 'write';
    const cached = known.get(path);
    if (cached) return cached;
    const rule = ownRule(viewer, rules, path);
    const inherited = rule ? rule.access : path === ROOT ? viewer.fallback : resolve(parentOf(path));
    const access = lower(inherited, viewer.ceiling);
    known.set(path, access);
    return access;
  };
  return resolve;
}

/** The access a person's or key's scopes allow where no rule speaks. */
export function scopeAccess(scopes: ReadonlySet<string>): Access {
  if (scopes.has('files:write')) return 'write';
  return scopes.has('files:read') ? 'read' : 'none';
}
