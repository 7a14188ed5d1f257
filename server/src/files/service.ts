import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import type { RequestMeta } from '../platform/http.ts';
import { createCallers, type MemberOf } from './callers.ts';
import { createPermissions, type SubjectNames } from './permissions.ts';
import { createReads } from './reads.ts';
import type { PutPermissionsInput } from './schema.ts';
import { createWrites, type WriteBody } from './writes.ts';

export interface FilesDeps {
  db: Db;
  bus: Bus;
  /** FILES_MAX_BYTES: the largest file kept. */
  maxBytes: number;
  /** The caller's membership and role (identity answers), for rules naming members and roles. */
  memberOf: MemberOf;
  /** Names of roles, members and agents (identity and agents answer), to show rules and check subjects. */
  names: SubjectNames;
}

/**
 * The org's file tree for people and API keys over HTTP. Each call first works out what the caller may
 * do (their membership, and the org's rules from memory), then reads or changes; a path the caller may
 * not read answers 404 everywhere. Agents reach the same operations through their tools (tools.ts).
 */
export function createFilesService(deps: FilesDeps) {
  const callers = createCallers(deps);
  const reads = createReads(deps.db);
  const writes = createWrites({ ...deps, callers });
  const permissions = createPermissions({ ...deps, callers });
  const as = (p: Principal, meta: RequestMeta | null = null) => callers.ofPrincipal(p, meta);

  return {
    maxBytes: deps.maxBytes,
    tree: async (p: Principal, q: { path: string; depth: number }) =>
      reads.tree(await as(p), q.path, q.depth),
    metadata: async (p: Principal, path: string) => reads.metadata(await as(p), path),
    content: async (p: Principal, path: string) => reads.content(await as(p), path),
    search: async (p: Principal, q: { q: string; limit: number; cursor?: string | undefined }) =>
      reads.search(await as(p), q.q, q),
    versions: async (p: Principal, q: { path: string; limit: number; cursor?: string | undefined }) =>
      reads.versions(await as(p), q.path, q),
    versionContent: async (p: Principal, path: string, version: number) =>
      reads.versionContent(await as(p), path, version),

    write: async (p: Principal, path: string, body: WriteBody, meta: RequestMeta) =>
      writes.write(await as(p, meta), path, body),
    makeFolder: async (p: Principal, path: string, meta: RequestMeta) =>
      writes.makeFolder(await as(p, meta), path),
    remove: async (
      p: Principal,
      path: string,
      options: { recursive: boolean; ifMatch?: string | undefined },
      meta: RequestMeta,
    ) => writes.remove(await as(p, meta), path, options),
    move: async (p: Principal, body: { from: string; to: string }, meta: RequestMeta) =>
      writes.move(await as(p, meta), body.from, body.to),
    restore: async (
      p: Principal,
      body: { path: string; version: number },
      ifMatch: string | undefined,
      meta: RequestMeta,
    ) => writes.restore(await as(p, meta), body.path, body.version, ifMatch),

    permissions: async (p: Principal, path: string) => permissions.get(await as(p), path),
    setPermissions: async (p: Principal, path: string, input: PutPermissionsInput, meta: RequestMeta) =>
      permissions.put(await as(p, meta), path, input, () => as(p, meta)),

    /** What the agent tools and the realtime filter build on. */
    callers,
    reads,
    writes,
  };
}

export type FilesService = ReturnType<typeof createFilesService>;
