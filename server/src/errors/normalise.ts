import type { IssueLevel } from './tables.ts';

/**
 * A Sentry event as we keep it: the parts the console and fixes read, in one shape, with every string
 * and list bounded. SDKs send many shapes (exception as a list or `{values}`, tags as an object or
 * pairs, breadcrumbs as a list or `{values}`, timestamps as seconds or ISO text); this is where they
 * become one. Nothing here trusts the input's types.
 */
export interface NormalisedFrame {
  filename: string | null;
  module: string | null;
  function: string | null;
  lineno: number | null;
  colno: number | null;
  absPath: string | null;
  inApp: boolean;
  contextLine: string | null;
  preContext: string[];
  postContext: string[];
}

export interface NormalisedException {
  type: string | null;
  value: string | null;
  module: string | null;
  mechanism: { type: string | null; handled: boolean | null } | null;
  frames: NormalisedFrame[];
}

export interface NormalisedEvent {
  level: IssueLevel;
  title: string;
  message: string | null;
  platform: string | null;
  timestamp: string;
  release: string | null;
  environment: string | null;
  serverName: string | null;
  transaction: string | null;
  exceptions: NormalisedException[];
  tags: Record<string, string>;
  breadcrumbs: Array<{
    timestamp: string | null;
    type: string | null;
    category: string | null;
    level: string | null;
    message: string | null;
    data: Record<string, unknown> | null;
  }>;
  request: {
    url: string | null;
    method: string | null;
    queryString: string | null;
    headers: Record<string, string>;
    data?: unknown;
  } | null;
  user: { id: string | null; email: string | null; username: string | null; ipAddress: string | null } | null;
  contexts: Record<string, unknown>;
  sdk: { name: string | null; version: string | null } | null;
  fingerprint: string[] | null;
}

type Obj = Record<string, unknown>;

const MAX_TEXT = 8_192;
const MAX_SHORT = 512;
const MAX_FRAMES = 250;
const MAX_EXCEPTIONS = 10;
const MAX_BREADCRUMBS = 100;
const MAX_TAGS = 100;
const MAX_JSON_BYTES = 16_384;

const obj = (v: unknown): Obj | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : ((obj(v)?.values as unknown[]) ?? []));
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A string of at most `max` characters, or null; numbers and booleans become text. */
export function str(v: unknown, max = MAX_SHORT): string | null {
  if (typeof v === 'string') return v.length > max ? v.slice(0, max) : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A JSON value kept only when small: big blobs (request bodies, contexts) are cut to a note. */
function bounded(v: unknown): unknown {
  if (v === undefined) return undefined;
  try {
    const text = JSON.stringify(v);
    if (text === undefined) return undefined;
    return text.length > MAX_JSON_BYTES ? `[${text.length} bytes left out]` : v;
  } catch {
    return undefined;
  }
}

const LEVELS: Record<string, IssueLevel> = {
  fatal: 'fatal',
  critical: 'fatal',
  error: 'error',
  warning: 'warning',
  warn: 'warning',
  info: 'info',
  log: 'info',
  debug: 'debug',
};

/** A timestamp in seconds (Sentry's float) or ISO text, else `fallback`. */
function timeOf(v: unknown, fallback: Date): Date {
  if (typeof v === 'number' && Number.isFinite(v)) {
    const d = new Date(v * 1000);
    if (!Number.isNaN(d.getTime())) return d;
  }
  if (typeof v === 'string') {
    const d = new Date(/^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : v);
    if (!Number.isNaN(d.getTime())) return d;
  }
  return fallback;
}

function frameOf(v: unknown): NormalisedFrame | undefined {
  const f = obj(v);
  if (!f) return undefined;
  const lines = (x: unknown) =>
    arr(x)
      .slice(0, 10)
      .map((l) => str(l, 500) ?? '');
  return {
    filename: str(f.filename),
    module: str(f.module),
    function: str(f.function),
    lineno: num(f.lineno),
    colno: num(f.colno),
    absPath: str(f.abs_path),
    inApp: f.in_app === true,
    contextLine: str(f.context_line, 500),
    preContext: lines(f.pre_context),
    postContext: lines(f.post_context),
  };
}

function exceptionOf(v: unknown): NormalisedException | undefined {
  const e = obj(v);
  if (!e) return undefined;
  const frames = arr(obj(e.stacktrace)?.frames)
    .slice(-MAX_FRAMES)
    .map(frameOf)
    .filter((f): f is NormalisedFrame => f !== undefined);
  const mechanism = obj(e.mechanism);
  return {
    type: str(e.type),
    value: str(e.value, MAX_TEXT),
    module: str(e.module),
    mechanism: mechanism
      ? {
          type: str(mechanism.type),
          handled: typeof mechanism.handled === 'boolean' ? mechanism.handled : null,
        }
      : null,
    frames,
  };
}

function tagsOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const pairs: Array<[unknown, unknown]> = Array.isArray(v)
    ? v.map((p) => (Array.isArray(p) ? [p[0], p[1]] : [obj(p)?.key, obj(p)?.value]))
    : Object.entries(obj(v) ?? {});
  for (const [k, val] of pairs.slice(0, MAX_TAGS)) {
    const key = str(k, 200);
    const value = str(val, 200);
    if (key && value !== null) out[key] = value;
  }
  return out;
}

function messageOf(e: Obj): string | null {
  const logentry = obj(e.logentry) ?? obj(e.message);
  if (logentry) return str(logentry.formatted, MAX_TEXT) ?? str(logentry.message, MAX_TEXT);
  return str(e.message, MAX_TEXT);
}

function headersOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const pairs: Array<[unknown, unknown]> = Array.isArray(v)
    ? v.map((p) => (Array.isArray(p) ? [p[0], p[1]] : [undefined, undefined]))
    : Object.entries(obj(v) ?? {});
  for (const [k, val] of pairs.slice(0, 100)) {
    const key = str(k, 200);
    const value = str(val, 2000);
    // Credentials never get stored, whatever an SDK was told to send.
    if (key && value !== null)
      out[key] = /^(authorization|cookie|x-sentry-auth|proxy-authorization)$/i.test(key)
        ? '[filtered]'
        : value;
  }
  return out;
}

/** The title Sentry would show: `Type: value` for an exception, else the message's first line. */
function titleOf(exceptions: NormalisedException[], message: string | null): string {
  const last = exceptions.at(-1);
  if (last && (last.type || last.value)) {
    const text = last.type && last.value ? `${last.type}: ${last.value}` : (last.type ?? last.value ?? '');
    return (text.split('\n')[0] ?? '').slice(0, 200);
  }
  if (message) return (message.split('\n')[0] ?? '').slice(0, 200) || '<no message>';
  return '<unlabeled event>';
}

export function normaliseEvent(raw: Obj, receivedAt: Date): NormalisedEvent {
  const exceptions = list(raw.exception)
    .slice(-MAX_EXCEPTIONS)
    .map(exceptionOf)
    .filter((e): e is NormalisedException => e !== undefined);
  // Old SDKs put a stack trace on the event itself (a message with a trace).
  const topFrames = arr(obj(raw.stacktrace)?.frames);
  if (exceptions.length === 0 && topFrames.length > 0) {
    exceptions.push({
      type: null,
      value: null,
      module: null,
      mechanism: null,
      frames: topFrames
        .slice(-MAX_FRAMES)
        .map(frameOf)
        .filter((f): f is NormalisedFrame => f !== undefined),
    });
  }
  const message = messageOf(raw);
  const request = obj(raw.request);
  const user = obj(raw.user);
  const sdk = obj(raw.sdk);
  const fingerprint = Array.isArray(raw.fingerprint)
    ? raw.fingerprint.slice(0, 20).map((p) => str(p, 200) ?? '')
    : null;
  const contexts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj(raw.contexts) ?? {}).slice(0, 30))
    contexts[k.slice(0, 100)] = bounded(v);
  const levelText = typeof raw.level === 'string' ? raw.level.toLowerCase() : 'error';
  return {
    level: LEVELS[levelText] ?? 'error',
    title: titleOf(exceptions, message),
    message,
    platform: str(raw.platform, 40),
    timestamp: timeOf(raw.timestamp, receivedAt).toISOString(),
    release: str(raw.release, 200),
    environment: str(raw.environment, 200),
    serverName: str(raw.server_name, 200),
    transaction: str(raw.transaction, 500),
    exceptions,
    tags: tagsOf(raw.tags),
    breadcrumbs: list(raw.breadcrumbs)
      .slice(-MAX_BREADCRUMBS)
      .map((b) => obj(b))
      .filter((b): b is Obj => b !== undefined)
      .map((b) => ({
        timestamp: b.timestamp === undefined ? null : timeOf(b.timestamp, receivedAt).toISOString(),
        type: str(b.type, 100),
        category: str(b.category, 200),
        level: str(b.level, 20),
        message: str(b.message, 2000),
        data: (obj(bounded(b.data)) ?? null) as Record<string, unknown> | null,
      })),
    request: request
      ? {
          url: str(request.url, 2000),
          method: str(request.method, 20),
          queryString: str(
            typeof request.query_string === 'string'
              ? request.query_string
              : request.query_string === undefined
                ? undefined
                : JSON.stringify(request.query_string),
            2000,
          ),
          headers: headersOf(request.headers),
          ...(request.data === undefined ? {} : { data: bounded(request.data) }),
        }
      : null,
    user: user
      ? {
          id: str(user.id, 200),
          email: str(user.email, 200),
          username: str(user.username, 200),
          ipAddress: str(user.ip_address, 100),
        }
      : null,
    contexts,
    sdk: sdk ? { name: str(sdk.name, 100), version: str(sdk.version, 50) } : null,
    fingerprint,
  };
}

/** Who an event reached, for the issue's user count: the user's id, else email, name or IP. */
export function userKeyOf(e: NormalisedEvent): string | null {
  const u = e.user;
  if (!u) return null;
  if (u.id) return `id:${u.id}`;
  if (u.email) return `email:${u.email.toLowerCase()}`;
  if (u.username) return `username:${u.username}`;
  if (u.ipAddress) return `ip:${u.ipAddress}`;
  return null;
}
