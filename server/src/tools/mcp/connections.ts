import type { CallToolResult, Client, Tool, Transport } from '@modelcontextprotocol/client';
import type { FastifyBaseLogger } from 'fastify';
import { ToolError } from '../registry.ts';
import type { McpStatus } from './schema.ts';

/** An MCP server as a connection needs it: where it is, with its secrets decrypted. */
export interface McpTarget {
  orgId: string;
  id: string;
  slug: string;
  /** Changes whenever the server's settings change, so a connection opened before is replaced. */
  version: string;
  transport: 'stdio' | 'http';
  command: string | null;
  args: string[];
  env: Record<string, string>;
  url: string | null;
  headers: Record<string, string>;
}

export interface McpConnectionOptions {
  connectTimeoutMs: number;
  callTimeoutMs: number;
  /** A server that failed is not tried again before this long (each use would otherwise wait on it). */
  retryAfterMs?: number;
  log: FastifyBaseLogger;
}

/** A connection as far as it got: connected with its tools, or failed with why. */
export interface McpConnection {
  state: 'connecting' | 'connected' | 'error';
  message: string | null;
  since: Date;
  tools: Tool[];
}

interface Entry extends McpConnection {
  version: string;
  client: Client | undefined;
  ready: Promise<void>;
  closing: boolean;
  /** The end of the command's stderr, to say why it failed. */
  stderr: string;
}

const STDERR_TAIL = 2_000;
const DEFAULT_RETRY_AFTER_MS = 15_000;

/** The last non-empty stderr lines, short enough for a status message. */
function stderrTail(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(-3).join(' | ').slice(-500);
}

type McpSdk = typeof import('@modelcontextprotocol/client') &
  Pick<typeof import('@modelcontextprotocol/client/stdio'), 'StdioClientTransport'>;
/** The MCP SDK, once an MCP server was first used: a server whose orgs have none never loads it. */
let sdk: McpSdk | undefined;
async function loadSdk(): Promise<McpSdk> {
  if (!sdk) {
    const [client, stdio] = await Promise.all([
      import('@modelcontextprotocol/client'),
      import('@modelcontextprotocol/client/stdio'),
    ]);
    sdk = { ...client, StdioClientTransport: stdio.StdioClientTransport };
  }
  return sdk;
}

/** Whether `err` is the SDK's request timeout (only an SDK already loaded can have thrown one). */
function timedOut(err: unknown): boolean {
  return !!sdk && err instanceof sdk.SdkError && err.code === sdk.SdkErrorCode.RequestTimeout;
}

function reason(err: unknown, timeoutMs: number): string {
  if (timedOut(err)) {
    return `it did not answer within ${timeoutMs} ms`;
  }
  if (!(err instanceof Error)) return String(err);
  const cause =
    err.cause instanceof Error && err.cause.message !== err.message ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

/**
 * Open MCP connections, one per org and server, opened when first needed and kept for later calls.
 * A failed server is remembered (and its message reported) for a while instead of retried on every
 * use; a server whose settings changed is reconnected.
 */
export function createMcpConnections(options: McpConnectionOptions) {
  const entries = new Map<string, Entry>();
  const retryAfterMs = options.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
  const keyOf = (orgId: string, id: string) => `${orgId}\n${id}`;
  let shutDown = false;

  function transportFor(mcp: McpSdk, target: McpTarget, entry: Entry): Transport {
    if (target.transport === 'stdio') {
      const transport = new mcp.StdioClientTransport({
        command: target.command ?? '',
        args: target.args,
        // Added to a minimal inherited environment (PATH, HOME, ...): the server's own secrets never reach it.
        env: target.env,
        stderr: 'pipe',
      });
      transport.stderr?.on('data', (chunk: Buffer) => {
        entry.stderr = (entry.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
      });
      return transport;
    }
    return new mcp.StreamableHTTPClientTransport(new URL(target.url ?? ''), {
      requestInit: { headers: target.headers },
    });
  }

  function failure(target: McpTarget, entry: Entry, err: unknown): string {
    const why = reason(err, options.connectTimeoutMs);
    if (target.transport === 'http') return `could not connect to ${target.url}: ${why}`;
    const tail = stderrTail(entry.stderr);
    return `could not start ${target.command}: ${why}${tail ? ` (stderr: ${tail})` : ''}`;
  }

  function open(target: McpTarget): Entry {
    const entry: Entry = {
      version: target.version,
      state: 'connecting',
      message: null,
      since: new Date(),
      tools: [],
      client: undefined,
      ready: Promise.resolve(),
      closing: false,
      stderr: '',
    };
    entry.ready = (async () => {
      const mcp = await loadSdk();
      const client = new mcp.Client({ name: 'switchboard', version: '1.0.0' });
      entry.client = client;
      try {
        await client.connect(transportFor(mcp, target, entry), { timeout: options.connectTimeoutMs });
        const { tools } = await client.listTools(undefined, { timeout: options.connectTimeoutMs });
        if (entry.closing) {
          await client.close();
          return;
        }
        Object.assign(entry, { state: 'connected', since: new Date(), tools });
        client.onclose = () => {
          if (entry.closing || entry.state !== 'connected') return;
          const tail = stderrTail(entry.stderr);
          Object.assign(entry, {
            state: 'error',
            since: new Date(),
            message: `the server closed the connection${tail ? ` (stderr: ${tail})` : ''}`,
          });
        };
      } catch (err) {
        Object.assign(entry, { state: 'error', since: new Date(), message: failure(target, entry, err) });
        options.log.warn(
          { orgId: target.orgId, mcpServer: target.slug, reason: entry.message },
          'MCP server unavailable',
        );
        await client.close().catch(() => {});
      }
    })();
    return entry;
  }

  /** Forgets the entry at once (so no caller picks it up again) and closes its client. */
  async function closeEntry(key: string): Promise<void> {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    entry.closing = true;
    await entry.client?.close().catch(() => {});
  }

  /** The entry for `target`, opened (or reopened) when needed; undefined once shut down. */
  async function ensure(target: McpTarget): Promise<Entry | undefined> {
    const key = keyOf(target.orgId, target.id);
    let entry = entries.get(key);
    const stale =
      entry &&
      (entry.version !== target.version ||
        (entry.state === 'error' && Date.now() - entry.since.getTime() >= retryAfterMs));
    if (stale) {
      void closeEntry(key);
      entry = undefined;
    }
    if (!entry) {
      if (shutDown) return undefined;
      entry = open(target);
      entries.set(key, entry);
    }
    await entry.ready;
    return entry;
  }

  return {
    /** The connection to `target`, opening it when needed; a failure is in the result, never thrown. */
    async connection(target: McpTarget): Promise<McpConnection> {
      const entry = await ensure(target);
      if (entry) return entry;
      return { state: 'error', message: 'the server is shutting down', since: new Date(), tools: [] };
    },

    /** What is known without connecting: `idle` when this process has not opened it. */
    status(orgId: string, id: string, version: string): McpStatus {
      const entry = entries.get(keyOf(orgId, id));
      if (!entry || entry.version !== version) return { state: 'idle', message: null, since: null };
      return { state: entry.state, message: entry.message, since: entry.since.toISOString() };
    },

    /**
     * Calls a tool. Anything that goes wrong (server down, refused call, time-out, the tool's own
     * error) becomes a ToolError the model reads; an abort is passed on as it is.
     */
    async callTool(
      target: McpTarget,
      tool: string,
      args: Record<string, unknown>,
      signal: AbortSignal | undefined,
    ): Promise<CallToolResult> {
      const entry = await ensure(target);
      if (entry?.state !== 'connected' || !entry.client) {
        const why = entry ? (entry.message ?? 'not connected') : 'the server is shutting down';
        throw new ToolError(`MCP server ${target.slug} is unavailable: ${why}`);
      }
      let result: CallToolResult;
      try {
        result = await entry.client.callTool(
          { name: tool, arguments: args },
          { timeout: options.callTimeoutMs, ...(signal ? { signal } : {}) },
        );
      } catch (err) {
        if (signal?.aborted) throw err;
        if (timedOut(err)) {
          throw new ToolError(
            `${tool} on MCP server ${target.slug} did not answer within ${options.callTimeoutMs} ms`,
          );
        }
        throw new ToolError(
          `MCP server ${target.slug} failed to run ${tool}: ${reason(err, options.callTimeoutMs)}`,
        );
      }
      if (result.isError) {
        const text = result.content
          .flatMap((c) => (c.type === 'text' ? [c.text] : []))
          .join('\n')
          .trim();
        throw new ToolError(`${tool} on MCP server ${target.slug} failed: ${text || 'it reported an error'}`);
      }
      return result;
    },

    /** Closes the connection to one server (its settings changed, or it was deleted). */
    close(orgId: string, id: string): Promise<void> {
      return closeEntry(keyOf(orgId, id));
    },

    /** Closes the org's connections to servers it no longer has (deleted through another replica). */
    async closeOthers(orgId: string, keep: Set<string>): Promise<void> {
      const prefix = keyOf(orgId, '');
      const gone = [...entries.keys()].filter(
        (k) => k.startsWith(prefix) && !keep.has(k.slice(prefix.length)),
      );
      await Promise.all(gone.map(closeEntry));
    },

    /** Closes every connection (stdio servers exit); later uses are refused. */
    async closeAll(): Promise<void> {
      shutDown = true;
      await Promise.all([...entries.keys()].map(closeEntry));
    },
  };
}

export type McpConnections = ReturnType<typeof createMcpConnections>;
