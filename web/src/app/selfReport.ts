import type { ErrorEvent } from '@sentry/browser';
import { ReportGate, reportKey } from './reportGate.ts';

/** Where the console's own reports go, as the server tells it; no DSN means self-reporting is off. */
export interface SelfReportConfig {
  dsn: string | null;
  environment?: string | null | undefined;
  release?: string | null | undefined;
}

type Sentry = typeof import('./sentryClient.ts');

let sdk: Sentry | undefined;
let started = false;
const gate = new ReportGate();
/** Render failures caught before the SDK has loaded, sent once it has (at most a few). */
const early: Array<{ error: unknown; componentStack: string | undefined }> = [];

/**
 * The envelope address in this page's own origin when the DSN names another host: the console's
 * Content-Security-Policy lets it talk to its own origin only, and the server behind both is the same.
 * The SDK then sends to that address (Sentry's `tunnel`), with the key in the query as ingest accepts it.
 */
export function sameOriginTunnel(dsn: string, origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    return undefined;
  }
  if (url.origin === origin) return undefined;
  const projectId = url.pathname.split('/').filter(Boolean).at(-1);
  if (!projectId || !url.username) return undefined;
  return `${origin}/api/${encodeURIComponent(projectId)}/envelope/?sentry_key=${encodeURIComponent(url.username)}&sentry_version=7`;
}

/** Drops an event the gate refuses: the same error again within a minute, or too many of any kind. */
function gated(event: ErrorEvent): ErrorEvent | null {
  const exception = event.exception?.values?.at(-1);
  const key = reportKey(exception?.type, exception?.value ?? event.message);
  return gate.allow(key) ? event : null;
}

/**
 * Starts reporting the console's uncaught errors and failed renders to the built-in project, when the
 * server gives a DSN (`read` asks it); otherwise nothing is loaded and nothing is sent. The SDK is a chunk
 * of its own, loaded only then. Failing to start is silent: self-reporting must never break the console.
 */
export async function startSelfReporting(read: () => Promise<SelfReportConfig>): Promise<boolean> {
  if (started) return sdk !== undefined;
  started = true;
  let config: SelfReportConfig;
  try {
    config = await read();
  } catch {
    // The server could not be asked (offline, a deploy): the next signed-in page load asks again.
    started = false;
    return false;
  }
  if (!config.dsn) {
    early.length = 0;
    return false;
  }
  const Sentry = await import('./sentryClient.ts');
  const tunnel = sameOriginTunnel(config.dsn, window.location.origin);
  Sentry.init({
    dsn: config.dsn,
    ...(tunnel ? { tunnel } : {}),
    ...(config.environment ? { environment: config.environment } : {}),
    ...(config.release ? { release: config.release } : {}),
    // Errors only: no sessions, no traces, no replays; the server drops those anyway.
    integrations: (defaults) => defaults.filter((i) => i.name !== 'BrowserSession'),
    beforeSend: gated,
  });
  sdk = Sentry;
  for (const e of early.splice(0)) reportRenderError(e.error, e.componentStack);
  return true;
}

/** Whether the console's errors are being reported (a DSN was given and the SDK has started). */
export const selfReporting = (): boolean => sdk !== undefined;

/** A render that failed (from the error boundary), with the components it failed in. */
export function reportRenderError(error: unknown, componentStack: string | undefined): void {
  if (!sdk) {
    if (!started || early.length < 5) early.push({ error, componentStack });
    return;
  }
  sdk.withScope((scope) => {
    scope.setTag('console.failure', 'render');
    if (componentStack) scope.setContext('react', { componentStack });
    sdk?.captureException(error, { mechanism: { type: 'react.errorboundary', handled: false } });
  });
}
