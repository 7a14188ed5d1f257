import type { Server } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';

/**
 * Runs `close` while closing keep-alive connections as soon as they fall idle. Node closes only the
 * connections idle when closing starts; one whose response finishes later would hold the drain until
 * the client hangs up or its keep-alive timeout passes.
 */
export async function closeSweepingIdle(server: Server, close: () => Promise<void>): Promise<void> {
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  try {
    await close();
  } finally {
    clearInterval(sweep);
  }
}

export interface RestartHooks {
  /** Stops accepting, lets in-flight work finish, closes sockets (1012) and storage. */
  drain: () => Promise<void>;
  /**
   * Ends the process; the supervisor starts a new one on exit code 0. Only the process owner (the CLI's
   * `serve`, or a test observing it) sets this: an app embedded elsewhere cannot restart itself.
   */
  exit: ((code: number) => void) | undefined;
}

/**
 * `POST /admin/restart`: drain, then exit 0 so the supervisor (`switchboard start`) starts the server
 * again. Whoever owns the process decides what draining means and how to exit (`configure`).
 */
export function createRestartControl(opts: {
  hooks: RestartHooks;
  timeoutMs: number;
  log: FastifyBaseLogger;
}) {
  const hooks: RestartHooks = { ...opts.hooks };
  let restarting: Promise<void> | undefined;

  async function run(reason: string): Promise<void> {
    opts.log.warn({ reason }, 'restart requested: draining');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), opts.timeoutMs);
    });
    try {
      const result = await Promise.race([hooks.drain().then(() => 'drained' as const), timedOut]);
      if (result === 'timeout') opts.log.error({ timeoutMs: opts.timeoutMs }, 'restart: drain timed out');
    } catch (err) {
      opts.log.error({ err }, 'restart: drain failed');
    } finally {
      clearTimeout(timer);
    }
    // Exit 0 even after a slow drain: a restart was asked for, and the supervisor only restarts on 0.
    hooks.exit?.(0);
  }

  return {
    configure(next: Partial<RestartHooks>): void {
      Object.assign(hooks, next);
    },
    /** Whether something owns the process and can bring it back after the exit. */
    get available(): boolean {
      return hooks.exit !== undefined;
    },
    get requested(): boolean {
      return restarting !== undefined;
    },
    /** Starts the restart once; later calls return the same promise. */
    restart(reason: string): Promise<void> {
      restarting ??= run(reason);
      return restarting;
    },
  };
}

export type RestartControl = ReturnType<typeof createRestartControl>;
