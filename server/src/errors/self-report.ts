import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import type { Ingest } from './ingest.ts';
import type { ErrorsService } from './service.ts';

/** What the server tells about a failed request; never its body, query string or credentials. */
export interface FailedRequest {
  method: string;
  /** The route pattern (`/api/v1/tasks/:id`) or the path without its query. */
  route: string;
  requestId: string;
  orgId: string | null;
}

/** At most this many reports a minute per process: a failing database must not be hammered by its own failures. */
const MAX_PER_MINUTE = 60;

const V8_FRAME = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?$/;

/** V8's stack lines as Sentry frames, oldest call first; ours are in-app, node_modules and node: are not. */
export function framesOf(stack: string | undefined) {
  const frames = [];
  for (const line of (stack ?? '').split('\n').slice(1, 51)) {
    const m = V8_FRAME.exec(line);
    if (!m) continue;
    const file = m[2]!.replace(/^file:\/\//, '');
    frames.push({
      function: m[1] ?? '<anonymous>',
      filename: file.replace(/^.*\/(server|web)\/src\//, '$1/src/'),
      abs_path: file,
      lineno: Number(m[3]),
      colno: Number(m[4]),
      in_app: !file.includes('node_modules') && !file.startsWith('node:'),
    });
  }
  return frames.reverse();
}

/**
 * The server reports its own unexpected failures (5xx) to the built-in "Switchboard" project of the
 * operator's org, through the ingest service directly: no HTTP, so a failure here cannot make another
 * request fail, and nothing here is reported again. Reports go out after the answer; none ever throws.
 */
export function createSelfReporter(deps: {
  service: Pick<ErrorsService, 'builtinProject'>;
  ingest: Pick<Ingest, 'capture'>;
  operatorOrg(): Promise<string | undefined>;
  environment: string;
  log: FastifyBaseLogger;
}) {
  let windowStart = 0;
  let sent = 0;
  let busy = 0;

  async function send(err: unknown, request: FailedRequest): Promise<void> {
    const orgId = await deps.operatorOrg();
    if (!orgId) return;
    const project = await deps.service.builtinProject(orgId);
    const error = err instanceof Error ? err : new Error(String(err));
    await deps.ingest.capture(project, {
      platform: 'node',
      level: 'error',
      logger: 'switchboard',
      server_name: hostname(),
      environment: deps.environment,
      timestamp: Date.now() / 1000,
      transaction: `${request.method} ${request.route}`,
      exception: {
        values: [
          {
            type: error.name || 'Error',
            value: error.message.slice(0, 2000),
            mechanism: { type: 'fastify.errorHandler', handled: false },
            stacktrace: { frames: framesOf(error.stack) },
          },
        ],
      },
      request: { method: request.method, url: request.route },
      tags: { requestId: request.requestId, ...(request.orgId ? { orgId: request.orgId } : {}) },
      sdk: { name: 'switchboard.server', version: '1' },
    });
  }

  return {
    /** Reports one failure in the background; drops it past the per-minute cap or while a report is stuck. */
    report(err: unknown, request: FailedRequest): void {
      const now = Date.now();
      if (now - windowStart >= 60_000) {
        windowStart = now;
        sent = 0;
      }
      if (sent >= MAX_PER_MINUTE || busy >= 4) return;
      sent++;
      busy++;
      void send(err, request)
        .catch((failure: unknown) =>
          deps.log.warn({ err: failure }, 'errors: could not report a server failure'),
        )
        .finally(() => {
          busy--;
        });
    },
  };
}

export type SelfReporter = ReturnType<typeof createSelfReporter>;
