import { describe, expect, it } from 'vitest';
import { type Access, accessResolver, indexRules, type Rule, scopeAccess, type Viewer } from './access.ts';

const role = (id: string) => ({ type: 'role' as const, id });
const member = (id: string) => ({ type: 'member' as const, id });
const agent = (id: string) => ({ type: 'agent' as const, id });

/** A member `m1` with the role `r_member`, whose role lets them write where no rule speaks. */
const person: Viewer = {
  all: false,
  subjects: [member('m1'), role('r_member')],
  fallback: 'write',
  ceiling: 'write',
};
const viewerRole: Viewer = {
  all: false,
  subjects: [member('m2'), role('r_viewer')],
  fallback: 'read',
  ceiling: 'read',
};
const admin: Viewer = {
  all: true,
  subjects: [member('m0'), role('r_admin')],
  fallback: 'write',
  ceiling: 'write',
};
const bot: Viewer = { all: false, subjects: [agent('agt_1')], fallback: 'none', ceiling: 'write' };
const key: Viewer = { all: false, subjects: [], fallback: 'read', ceiling: 'read' };

const rules: Rule[] = [
  { path: '/team', subject: role('r_member'), access: 'read' },
  { path: '/team/notes', subject: role('r_member'), access: 'write' },
  { path: '/team/secret', subject: role('r_member'), access: 'none' },
  { path: '/team/secret', subject: member('m1'), access: 'read' },
  { path: '/team/secret/deeper', subject: role('r_member'), access: 'write' },
  { path: '/team', subject: role('r_viewer'), access: 'none' },
  { path: '/team/public', subject: role('r_viewer'), access: 'write' },
  { path: '/team', subject: agent('agt_1'), access: 'read' },
  { path: '/team/notes', subject: agent('agt_1'), access: 'write' },
  { path: '/team/secret', subject: agent('agt_1'), access: 'none' },
];

function matrix(viewer: Viewer, paths: string[]): Record<string, Access> {
  const at = accessResolver(viewer, indexRules(rules));
  return Object.fromEntries(paths.map((p) => [p, at(p)]));
}

const PATHS = [
  '/',
  '/elsewhere.md',
  '/team',
  '/team/plan.md',
  '/team/notes/a.md',
  '/team/secret',
  '/team/secret/x.md',
  '/team/secret/deeper/y.md',
  '/team/public/z.md',
];

describe('accessResolver', () => {
  it('a member: role rules inherited down the tree and overridden deeper; a member rule beats the role rule beside it', () => {
    expect(matrix(person, PATHS)).toEqual({
      '/': 'write',
      '/elsewhere.md': 'write',
      '/team': 'read',
      '/team/plan.md': 'read',
      '/team/notes/a.md': 'write',
      // The role says none, but the member's own rule at the same path says read.
      '/team/secret': 'read',
      '/team/secret/x.md': 'read',
      // A deeper role rule overrides the shallower member rule: depth decides first.
      '/team/secret/deeper/y.md': 'write',
      '/team/public/z.md': 'read',
    });
  });

  it('a viewer: none hides a folder and all in it, and no rule lifts a viewer past its scopes', () => {
    expect(matrix(viewerRole, PATHS)).toEqual({
      '/': 'read',
      '/elsewhere.md': 'read',
      '/team': 'none',
      '/team/plan.md': 'none',
      '/team/notes/a.md': 'none',
      '/team/secret': 'none',
      '/team/secret/x.md': 'none',
      '/team/secret/deeper/y.md': 'none',
      // The rule says write; the viewer role holds files:read only.
      '/team/public/z.md': 'read',
    });
  });

  it('an agent sees only what rules naming it give, and nothing without one', () => {
    expect(matrix(bot, PATHS)).toEqual({
      '/': 'none',
      '/elsewhere.md': 'none',
      '/team': 'read',
      '/team/plan.md': 'read',
      '/team/notes/a.md': 'write',
      '/team/secret': 'none',
      '/team/secret/x.md': 'none',
      '/team/secret/deeper/y.md': 'none',
      '/team/public/z.md': 'read',
    });
    const other: Viewer = { ...bot, subjects: [agent('agt_2')] };
    expect(Object.values(matrix(other, PATHS))).toEqual(PATHS.map(() => 'none'));
  });

  it('owners and admins write everywhere, and an API key is held to its scopes alone', () => {
    expect(Object.values(matrix(admin, PATHS))).toEqual(PATHS.map(() => 'write'));
    expect(Object.values(matrix(key, PATHS))).toEqual(PATHS.map(() => 'read'));
  });

  it('a rule on the root applies everywhere no deeper rule speaks', () => {
    const at = accessResolver(person, indexRules([{ path: '/', subject: role('r_member'), access: 'none' }]));
    expect([at('/'), at('/a/b/c.md')]).toEqual(['none', 'none']);
  });
});

describe('scopeAccess', () => {
  it('files:write writes, files:read reads, neither sees nothing', () => {
    expect(scopeAccess(new Set(['files:read', 'files:write']))).toBe('write');
    expect(scopeAccess(new Set(['files:read']))).toBe('read');
    expect(scopeAccess(new Set(['agents:read']))).toBe('none');
  });
});
