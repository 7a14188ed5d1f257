import { recordAudit } from '../audit/service.ts';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import { inTransaction } from '../platform/db/work.ts';
import { newId } from '../platform/ids.ts';
import type { Rule, RuleIndex, Subject, SubjectType } from './access.ts';
import type { Caller, Callers } from './callers.ts';
import { auditEvent } from './content.ts';
import { FileErrors } from './errors.ts';
import { publishFileEvent } from './events.ts';
import { ancestorsOf, normalisePath, ROOT } from './path.ts';
import { readableNode } from './reads.ts';
import type { PutPermissionsInput } from './schema.ts';
import * as store from './store.ts';

/** Current names of rule subjects by id, from the domains that own them; ids that no longer exist are left out. */
export type SubjectNames = (orgId: string, type: SubjectType, ids: string[]) => Promise<Map<string, string>>;

/** Reading and setting the rules of a path. */
export function createPermissions(deps: { db: Db; bus: Bus; callers: Callers; names: SubjectNames }) {
  const { db } = deps;

  async function namesOf(orgId: string, subjects: Subject[]): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (const type of ['role', 'member', 'agent'] as const) {
      const ids = [...new Set(subjects.filter((s) => s.type === type).map((s) => s.id))];
      if (ids.length === 0) continue;
      for (const [id, name] of await deps.names(orgId, type, ids)) names.set(`${type}:${id}`, name);
    }
    return names;
  }

  /** The path when the caller may read it (the root always exists); else 404. */
  async function existing(c: Caller, raw: string): Promise<string> {
    const path = normalisePath(raw);
    if (path === ROOT) {
      if (c.at(ROOT) === 'none') throw FileErrors.notFound(ROOT);
      return path;
    }
    await readableNode(db, c, path);
    return path;
  }

  async function present(c: Caller, path: string, rules: RuleIndex) {
    const own = rules.get(path) ?? [];
    const inherited = ancestorsOf(path)
      .reverse()
      .flatMap((p) => rules.get(p) ?? []);
    const names = await namesOf(
      c.orgId,
      [...own, ...inherited].map((r) => r.subject),
    );
    const shown = (r: Rule) => ({
      subject: { ...r.subject, name: names.get(`${r.subject.type}:${r.subject.id}`) ?? null },
      access: r.access,
    });
    return {
      path,
      rules: own.map(shown),
      inherited: inherited.map((r) => ({ ...shown(r), path: r.path })),
      access: c.at(path),
    };
  }

  return {
    async get(c: Caller, raw: string) {
      const path = await existing(c, raw);
      return present(c, path, await deps.callers.rules(c.orgId));
    },

    /**
     * Replaces the rules set at a path (those above and below stay). Needs write there; each subject
     * must exist in the org. A subject named twice keeps its last rule.
     */
    async put(c: Caller, raw: string, input: PutPermissionsInput, refresh: () => Promise<Caller>) {
      const path = await existing(c, raw);
      if (c.at(path) !== 'write') throw FileErrors.forbidden(path, 'change the permissions of');
      const bySubject = new Map(input.rules.map((r) => [`${r.subject.type}:${r.subject.id}`, r]));
      const rules = [...bySubject.values()];
      const names = await namesOf(
        c.orgId,
        rules.map((r) => r.subject),
      );
      const unknown = rules
        .filter((r) => !names.has(`${r.subject.type}:${r.subject.id}`))
        .map((r) => r.subject);
      if (unknown.length) throw FileErrors.unknownSubjects(unknown);
      await inTransaction(db, async (work) => {
        const stored = rules.map((r) => ({ id: newId('frl'), subject: r.subject, access: r.access }));
        await store.replaceRules(work.tx, c.orgId, path, stored, c.actor);
        await recordAudit(work.tx, auditEvent(c, 'file.permissions.update', path, { rules }));
        work.afterCommit(() => deps.callers.rulesChanged(c.orgId));
        work.afterCommit(() => publishFileEvent(deps.bus, c.orgId, 'file.changed', path));
      });
      // The caller's own access may have changed with the rules it set.
      const after = await refresh();
      return present(after, path, await deps.callers.rules(c.orgId));
    },
  };
}

export type Permissions = ReturnType<typeof createPermissions>;
