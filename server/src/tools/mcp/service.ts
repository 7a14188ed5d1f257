import { isDeepStrictEqual } from 'node:util';
import { recordAudit } from '../../audit/service.ts';
import type { Principal } from '../../platform/auth.ts';
import { isUniqueViolation } from '../../platform/db/errors.ts';
import type { Db, Tx } from '../../platform/db/index.ts';
import { Errors } from '../../platform/errors.ts';
import type { RequestMeta } from '../../platform/http.ts';
import { newId } from '../../platform/ids.ts';
import { decodeCursor, type PageQuery, toPage } from '../../platform/pagination.ts';
import { ToolErrors } from '../errors.ts';
import type { ToolHolders } from '../service.ts';
import type { McpToolInfo } from '../tables.ts';
import type { McpConnection, McpConnections } from './connections.ts';
import type { CreateMcpServerInput, McpServerView, McpStatus, UpdateMcpServerInput } from './schema.ts';
import type { McpSecrets } from './secrets.ts';
import { namedTools, toolInfos } from './source.ts';
import * as store from './store.ts';

/** Headers the transport sets itself; an org's value would break the protocol. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'accept',
  'connection',
  'transfer-encoding',
  'mcp-session-id',
  'mcp-protocol-version',
]);

/** `GitHub Tools!` -> `github_tools`. */
export function mcpSlugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[^a-z]+/, '')
    .slice(0, 24)
    .replace(/_+$/, '');
  return slug || 'mcp';
}

export interface McpServiceDeps {
  db: Db;
  connections: McpConnections;
  secrets: McpSecrets;
  /** Commands stdio servers may run (`*`: any); from MCP_STDIO_COMMANDS. */
  stdioCommands: string[];
  /** The org's agents and the tools each holds. */
  holders: ToolHolders;
}

/** An org's MCP servers: their settings (secrets encrypted, never returned) and their connection. */
export function createMcpService(deps: McpServiceDeps) {
  const { db, connections, secrets, stdioCommands } = deps;
  function present(row: store.McpServerRecord, status: McpStatus, live?: McpToolInfo[]): McpServerView {
    return {
      id: row.id,
      name: row.name,
      slug: row.slug,
      description: row.description,
      transport: row.transport,
      command: row.command,
      args: row.args,
      envNames: Object.keys(secrets.open(row.envEnc)).sort(),
      url: row.url,
      headerNames: Object.keys(secrets.open(row.headersEnc)).sort(),
      requiresApproval: row.requiresApproval,
      status,
      tools: namedTools(row.slug, live ?? row.tools).map(({ name, info }) => ({
        name,
        mcpName: info.name,
        description: info.description,
      })),
      toolsUpdatedAt: row.toolsUpdatedAt?.toISOString() ?? null,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }

  const cachedStatus = (row: store.McpServerRecord) =>
    connections.status(row.orgId, row.id, String(row.updatedAt.getTime()));

  const statusOf = (conn: McpConnection): McpStatus => ({
    state: conn.state,
    message: conn.message,
    since: conn.since.toISOString(),
  });

  function assertCommandAllowed(command: string): void {
    if (stdioCommands.includes('*') || stdioCommands.includes(command)) return;
    throw ToolErrors.mcpCommandNotAllowed(command, stdioCommands);
  }

  function assertHeaders(headers: Record<string, string> | undefined): void {
    const reserved = Object.keys(headers ?? {}).filter((h) => RESERVED_HEADERS.has(h.toLowerCase()));
    if (reserved.length) {
      throw ToolErrors.reservedHeaders(reserved);
    }
  }

  async function requireServer(tx: Tx, orgId: string, id: string) {
    const row = await store.findMcpServer(tx, orgId, id);
    if (!row) throw ToolErrors.mcpServerNotFound(id);
    return row;
  }

  async function audit(tx: Tx, p: Principal, action: string, id: string, meta: RequestMeta, details: object) {
    await recordAudit(tx, {
      action,
      orgId: p.orgId,
      actor: { kind: p.kind, id: p.id },
      resource: { type: 'mcp_server', id },
      outcome: 'success',
      meta,
      details: details as Record<string, unknown>,
    });
  }

  async function freeSlug(tx: Tx, orgId: string, base: string): Promise<string> {
    if (!(await store.findMcpServerBySlug(tx, orgId, base))) return base;
    for (let n = 2; ; n++) {
      const suffix = `_${n}`;
      const candidate = `${base.slice(0, 24 - suffix.length)}${suffix}`;
      if (!(await store.findMcpServerBySlug(tx, orgId, candidate))) return candidate;
    }
  }

  return {
    /** The org's servers with what this process knows of their connection; none is opened. */
    async list(p: Principal, page: PageQuery) {
      const rows = await store.listMcpServers(db, p.orgId, {
        limit: page.limit + 1,
        after: decodeCursor(page.cursor),
      });
      const result = toPage(rows, page.limit);
      return { items: result.items.map((r) => present(r, cachedStatus(r))), nextCursor: result.nextCursor };
    },

    /** One server, connecting to it when not yet connected, so its status and tools are current. */
    async get(p: Principal, id: string): Promise<McpServerView> {
      const row = await requireServer(db, p.orgId, id);
      const conn = await connections.connection(secrets.target(row));
      if (conn.state !== 'connected') return present(row, statusOf(conn));
      const live = toolInfos(conn.tools);
      if (!isDeepStrictEqual(live, row.tools)) {
        await store.saveMcpTools(db, p.orgId, id, live);
        row.toolsUpdatedAt = new Date();
      }
      return present(row, statusOf(conn), live);
    },

    async create(p: Principal, input: CreateMcpServerInput, meta: RequestMeta): Promise<McpServerView> {
      if (input.transport === 'stdio') assertCommandAllowed(input.command);
      else assertHeaders(input.headers);
      try {
        const row = await db.transaction(async (tx) => {
          if (input.slug && (await store.findMcpServerBySlug(tx, p.orgId, input.slug))) {
            throw ToolErrors.mcpSlugTaken(input.slug);
          }
          const slug = input.slug ?? (await freeSlug(tx, p.orgId, mcpSlugify(input.name)));
          const stdio = input.transport === 'stdio' ? input : undefined;
          const http = input.transport === 'http' ? input : undefined;
          const id = newId('mcp');
          const created = await store.insertMcpServer(tx, {
            id,
            orgId: p.orgId,
            name: input.name,
            slug,
            description: input.description ?? '',
            transport: input.transport,
            command: stdio?.command ?? null,
            args: stdio?.args ?? [],
            envEnc: secrets.seal(stdio?.env),
            url: http?.url ?? null,
            headersEnc: secrets.seal(http?.headers),
            requiresApproval: input.requiresApproval ?? false,
            createdBy: p.id,
            updatedBy: p.id,
          });
          await audit(tx, p, 'mcp_server.create', id, meta, { slug, transport: input.transport });
          return created;
        });
        return present(row, cachedStatus(row));
      } catch (err) {
        if (isUniqueViolation(err)) throw ToolErrors.mcpSlugTaken(input.slug ?? mcpSlugify(input.name));
        throw err;
      }
    },

    /** Changes settings; the open connection is closed, and the next use connects with the new ones. */
    async update(
      p: Principal,
      id: string,
      input: UpdateMcpServerInput,
      meta: RequestMeta,
    ): Promise<McpServerView> {
      let changedAny = false;
      const row = await db.transaction(async (tx) => {
        const current = await requireServer(tx, p.orgId, id);
        const foreign =
          current.transport === 'stdio'
            ? (['url', 'headers'] as const).filter((k) => input[k] !== undefined)
            : (['command', 'args', 'env'] as const).filter((k) => input[k] !== undefined);
        if (foreign.length) {
          throw Errors.validation(
            `${foreign.join(', ')} ${foreign.length > 1 ? 'do' : 'does'} not apply to MCP server ${current.slug}, which uses ${current.transport}`,
          );
        }
        if (input.command !== undefined) assertCommandAllowed(input.command);
        assertHeaders(input.headers);
        const changes: store.McpServerChanges = {};
        if (input.name !== undefined && input.name !== current.name) changes.name = input.name;
        if (input.description !== undefined && input.description !== current.description)
          changes.description = input.description;
        if (input.requiresApproval !== undefined && input.requiresApproval !== current.requiresApproval)
          changes.requiresApproval = input.requiresApproval;
        if (input.command !== undefined && input.command !== current.command) changes.command = input.command;
        if (input.args !== undefined && !isDeepStrictEqual(input.args, current.args))
          changes.args = input.args;
        if (input.env !== undefined && !isDeepStrictEqual(input.env, secrets.open(current.envEnc)))
          changes.envEnc = secrets.seal(input.env);
        if (input.url !== undefined && input.url !== current.url) changes.url = input.url;
        if (
          input.headers !== undefined &&
          !isDeepStrictEqual(input.headers, secrets.open(current.headersEnc))
        )
          changes.headersEnc = secrets.seal(input.headers);
        const changed = Object.keys(changes).map((k) => k.replace(/Enc$/, ''));
        if (changed.length === 0) return current;
        changedAny = true;
        const updated = await store.updateMcpServer(tx, p.orgId, id, { ...changes, updatedBy: p.id });
        await audit(tx, p, 'mcp_server.update', id, meta, { slug: current.slug, changed });
        return updated!;
      });
      if (changedAny) await connections.close(p.orgId, id);
      return present(row, cachedStatus(row));
    },

    /** Deletes a server; refused (409 mcp_server_in_use) while agents have its tools. */
    async remove(p: Principal, id: string, meta: RequestMeta): Promise<void> {
      // Who holds which tools is the agents domain's to say, asked before the transaction (a read of
      // another domain inside it would wait on it: PGlite has one connection).
      const holders = await deps.holders(p.orgId);
      await db.transaction(async (tx) => {
        const current = await requireServer(tx, p.orgId, id);
        const prefix = `mcp.${current.slug}.`;
        const users = holders.filter((a) => a.tools.some((t) => t.startsWith(prefix)));
        if (users.length) {
          throw ToolErrors.mcpServerInUse(current.slug, users);
        }
        await store.deleteMcpServer(tx, p.orgId, id);
        await audit(tx, p, 'mcp_server.delete', id, meta, { slug: current.slug });
      });
      await connections.close(p.orgId, id);
    },
  };
}

export type McpService = ReturnType<typeof createMcpService>;
