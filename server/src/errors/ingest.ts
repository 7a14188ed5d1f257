import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Db } from '../platform/db/index.ts';
import { AppError } from '../platform/errors.ts';
import {
  EnvelopeError,
  keyFromAuthHeader,
  normaliseEventId,
  parseDsn,
  parseEnvelope,
  parseStoreBody,
} from './envelope.ts';
import { ErrorTrackerErrors as E } from './errors.ts';
import type { ProjectRecord } from './store.ts';
import * as store from './store.ts';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);
const brotli = promisify(zlib.brotliDecompress);

/** One request to the Sentry-compatible ingest, as values (the route reads them off HTTP). */
export interface IngestRequest {
  kind: 'envelope' | 'store';
  /** The DSN project id from the path. */
  projectId: string;
  body: Buffer;
  contentEncoding: string | undefined;
  /** `X-Sentry-Auth` (or an `Authorization: Sentry …` header). */
  authHeader: string | undefined;
  /** `?sentry_key=` */
  queryKey: string | undefined;
}

export interface IngestDeps {
  db: Db;
  /** The largest body accepted once decompressed. */
  maxBytes: number;
  /** Events per minute of a project without its own limit. */
  defaultRate: number;
  /** Counts one hit against a per-minute window shared by every replica (platform rate limiter). */
  limit(key: string, perMinute: number): Promise<{ ok: true } | { ok: false; retryAfterSeconds: number }>;
  /** Called once events are stored: wakes this process's grouper at once. */
  stored(): void;
}

/** A project as ingest needs it; looked up by key, kept a few seconds. */
type IngestProject = Pick<ProjectRecord, 'id' | 'orgId' | 'ingestId' | 'rateLimitPerMinute'>;

const KEY_CACHE_MS = 5_000;
const KEY_CACHE_MAX = 10_000;
const MAX_DEPTH = 64;

/**
 * Strings PostgreSQL's jsonb refuses (NUL, unpaired surrogates) are replaced, and nesting past
 * MAX_DEPTH is cut, so a hostile event is stored as text that reads the same, never a 500.
 */
function sanitise(value: unknown, depth = 0): unknown {
  if (typeof value === 'string')
    return value.includes('\0') ? value.replaceAll('\0', '\ufffd').toWellFormed() : value.toWellFormed();
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((v) => sanitise(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[sanitise(k) as string] = sanitise(v, depth + 1);
  return out;
}

async function decompress(body: Buffer, encoding: string | undefined, max: number): Promise<Buffer> {
  const name = (encoding ?? '').trim().toLowerCase();
  const options = { maxOutputLength: max };
  try {
    if (name === '' || name === 'identity') {
      if (body.length > max) throw E.tooLarge(max);
      return body;
    }
    if (name === 'gzip' || name === 'x-gzip') return await gunzip(body, options);
    if (name === 'deflate') {
      // RFC 9110 deflate is zlib-wrapped; some clients send raw deflate, which is accepted too.
      try {
        return await inflate(body, options);
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw err;
        return await inflateRaw(body, options);
      }
    }
    if (name === 'br') return await brotli(body, options);
  } catch (err) {
    if (err instanceof AppError) throw err;
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError)
      throw E.tooLarge(max);
    throw E.corrupt(name);
  }
  throw E.badEncoding(name);
}

const isDbError = (err: unknown, codes: string[]): boolean => {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  const code = typeof e?.code === 'string' ? e.code : e?.cause?.code;
  return typeof code === 'string' && codes.includes(code);
};

/**
 * Sentry-compatible ingest: the request path authenticates the key, decompresses and parses, checks the
 * project's rate, and stores the raw events in one insert; grouping happens in the worker.
 */
export function createIngest(deps: IngestDeps) {
  const { db } = deps;
  const cache = new Map<string, { project: IngestProject | undefined; at: number }>();

  async function projectOfKey(key: string): Promise<IngestProject | undefined> {
    const hit = cache.get(key);
    const now = Date.now();
    if (hit && now - hit.at < KEY_CACHE_MS) return hit.project;
    const row = await store.findProjectByKey(db, key);
    if (cache.size >= KEY_CACHE_MAX) cache.clear();
    const project = row
      ? { id: row.id, orgId: row.orgId, ingestId: row.ingestId, rateLimitPerMinute: row.rateLimitPerMinute }
      : undefined;
    cache.set(key, { project, at: now });
    return project;
  }

  async function authenticate(key: string | undefined, pathProjectId: string): Promise<IngestProject> {
    if (!key)
      throw E.invalidKey('missing sentry_key: send X-Sentry-Auth, ?sentry_key= or a DSN in the envelope');
    if (key.length > 100) throw E.invalidKey('the sentry_key is not valid');
    const project = await projectOfKey(key);
    if (!project) throw E.invalidKey('the sentry_key is not valid');
    if (String(project.ingestId) !== pathProjectId) throw E.keyProjectMismatch(pathProjectId);
    return project;
  }

  /** Stores events for a project: the rate check, then one insert. Answers the first event's id. */
  async function accept(project: IngestProject, events: Array<Record<string, unknown>>, fallbackId?: string) {
    const rate = project.rateLimitPerMinute ?? deps.defaultRate;
    const verdict = await deps.limit(`errors:${project.id}`, rate);
    if (!verdict.ok) throw E.rateLimited(String(project.ingestId), verdict.retryAfterSeconds);
    const receivedAt = new Date();
    const rows = events.map((event, i) => {
      const eventId =
        normaliseEventId(event.event_id) ??
        (i === 0 ? fallbackId : undefined) ??
        randomUUID().replaceAll('-', '');
      return {
        orgId: project.orgId,
        projectId: project.id,
        eventId,
        receivedAt,
        payload: sanitise({ ...event, event_id: eventId }) as Record<string, unknown>,
      };
    });
    try {
      await store.insertRawEvents(db, rows);
    } catch (err) {
      // The project was deleted after its key was looked up.
      if (isDbError(err, ['23503'])) {
        cache.clear();
        throw E.invalidKey('the sentry_key is not valid');
      }
      if (isDbError(err, ['22P02', '22P05', '54000', '54001']))
        throw E.invalid('invalid_event', 'the event holds values that cannot be stored');
      throw err;
    }
    deps.stored();
    return rows[0]!.eventId;
  }

  return {
    async receive(req: IngestRequest): Promise<{ id: string | null }> {
      if (!/^\d{1,18}$/.test(req.projectId))
        throw E.invalidKey(`${req.projectId.slice(0, 40)} is not a project id`);
      const given = keyFromAuthHeader(req.authHeader) ?? req.queryKey;
      // A key in the headers or query is checked before any work on the body.
      const early = given ? await authenticate(given, req.projectId) : undefined;
      const body = await decompress(req.body, req.contentEncoding, deps.maxBytes);
      try {
        if (req.kind === 'store') {
          const event = parseStoreBody(body);
          const project = early ?? (await authenticate(undefined, req.projectId));
          return { id: await accept(project, [event]) };
        }
        const envelope = parseEnvelope(body);
        const project = early ?? (await authenticate(parseDsn(envelope.header.dsn)?.key, req.projectId));
        const headerId = normaliseEventId(envelope.header.event_id);
        const events = envelope.items.flatMap((item) => (item.event ? [item.event] : []));
        if (events.length === 0) return { id: headerId ?? null };
        return { id: await accept(project, events, headerId) };
      } catch (err) {
        if (err instanceof EnvelopeError) throw E.invalid(err.code, err.message);
        throw err;
      }
    },

    /** Stores events the platform captured itself (no key, no HTTP): the built-in project's path. */
    async capture(project: IngestProject, event: Record<string, unknown>): Promise<string> {
      return accept(project, [event]);
    },

    /** Forgets cached keys (a project was deleted or changed its limit). */
    forget(): void {
      cache.clear();
    },
  };
}

export type Ingest = ReturnType<typeof createIngest>;
