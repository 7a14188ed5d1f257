import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import { AppError } from '../platform/errors.ts';
import { createGroupCommit } from '../platform/group-commit.ts';
import { createOrgCache } from '../platform/org-cache.ts';
import {
  EnvelopeError,
  type EventPayload,
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
  /** Carries key-cache invalidations to every replica. */
  bus: Bus;
  /** The largest body accepted once decompressed. */
  maxBytes: number;
  /** Events per minute of a project without its own limit. */
  defaultRate: number;
  /**
   * Counts `count` hits at once against a per-minute window shared by every replica (the platform
   * rate limiter): how many of them (the first) are within `perMinute`, and when the window ends.
   */
  limit(
    key: string,
    perMinute: number,
    count: number,
  ): Promise<{ allowed: number; retryAfterSeconds: number }>;
  /** Called once `count` events are stored: wakes a grouper. */
  stored(count: number): void;
}

/** A project as ingest needs it; looked up by key and cached until it changes. */
type IngestProject = Pick<ProjectRecord, 'id' | 'orgId' | 'ingestId' | 'rateLimitPerMinute'>;

const MAX_DEPTH = 64;

/** Requests in one group commit, and the bytes of their events (the statement's size). */
const COMMIT_MAX_REQUESTS = 256;
const COMMIT_MAX_BYTES = 4 * 1024 * 1024;
/**
 * Group commits under way at once: one being written while the next gathers and is sent keeps the
 * database busy without many small commits. Measured with the ingest bench's burst (grouper off, on a
 * loaded machine): 1 and 2 took in events alike, and 2 cost PostgreSQL less CPU per event (0.06-0.08 ms
 * against 0.10-0.11 with 1).
 */
const COMMIT_CONCURRENCY = 2;

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

/**
 * Whether a parsed value needs `sanitise` before it can be stored: nesting past MAX_DEPTH, or a number
 * JSON.parse could not hold (the text's `1e999`, which jsonb refuses too). Reads without copying.
 */
function needsSanitising(value: unknown, depth = 0): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (value === null || typeof value !== 'object') return false;
  if (depth >= MAX_DEPTH) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (needsSanitising(v, depth + 1)) return true;
    return false;
  }
  for (const k in value) if (needsSanitising((value as Record<string, unknown>)[k], depth + 1)) return true;
  return false;
}

/**
 * Text jsonb may refuse: the escapes `\u0000` and of surrogates (which may be unpaired), and numbers
 * with exponents of four digits. Strings that merely look so take the safe way too.
 */
const SUSPECT_TEXT = /\\u(?:0000|[dD][89abcdefABCDEF])|[:,[]\s*-?\d+(?:\.\d+)?[eE][+-]?\d{4}/;

/**
 * The JSON text an event is stored as: the text the SDK sent when jsonb takes it as it is (nearly
 * always: parsing is the whole check, no copy is made and nothing is written again), else the event
 * sanitised and written anew. The check is cautious: text it doubts takes the slower, safe way.
 */
function storedJson(payload: EventPayload): string {
  if (!SUSPECT_TEXT.test(payload.json) && !needsSanitising(payload.event)) return payload.json;
  return rewritten(payload.event);
}

const rewritten = (event: Record<string, unknown>): string => JSON.stringify(sanitise(event));

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

const dbCode = (err: unknown): string | undefined => {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  const code = typeof e?.code === 'string' ? e.code : e?.cause?.code;
  return typeof code === 'string' ? code : undefined;
};

/** What jsonb and text columns refuse in a value (bad text, too deep, too large). */
const isDataError = (code: string | undefined) =>
  code !== undefined && (code.startsWith('22') || code === '54000' || code === '54001');

/** One request's events, waiting for the group commit that stores them. */
interface Pending {
  project: IngestProject;
  receivedAt: Date;
  events: Array<{ eventId: string; json: string; event: Record<string, unknown> }>;
  bytes: number;
}

/**
 * Sentry-compatible ingest: the request path authenticates the key (cached; replicas drop a project's
 * entries when it changes), decompresses and parses, then waits for the group commit that checks the
 * project's rate and stores its raw events; grouping happens in the worker. A request is answered
 * once its events are committed, never before.
 */
export function createIngest(deps: IngestDeps) {
  const { db } = deps;
  // Unknown keys are cached too (as null), so a client sending a wrong key costs no query each time.
  const keys = createOrgCache<{ project: IngestProject | null }>({
    name: 'error-project-keys',
    bus: deps.bus,
    orgIdOf: (entry) => entry.project?.orgId ?? '',
  });

  async function projectOfKey(key: string): Promise<IngestProject | undefined> {
    const entry = await keys.get(key, async () => {
      const row = await store.findProjectByKey(db, key);
      return {
        project: row
          ? {
              id: row.id,
              orgId: row.orgId,
              ingestId: row.ingestId,
              rateLimitPerMinute: row.rateLimitPerMinute,
            }
          : null,
      };
    });
    return entry?.project ?? undefined;
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

  const rowsOf = (p: Pending, json: (e: Pending['events'][number]) => string): store.RawEventText[] =>
    p.events.map((e) => ({
      orgId: p.project.orgId,
      projectId: p.project.id,
      eventId: e.eventId,
      receivedAt: p.receivedAt,
      json: json(e),
    }));

  /**
   * Stores one request's events alone, after the group it was in failed: a text the database refused
   * is tried once more sanitised and written anew, and what still fails is this request's error only.
   */
  async function insertAlone(p: Pending): Promise<Error | undefined> {
    let err: unknown;
    try {
      await store.insertRawEvents(
        db,
        rowsOf(p, (e) => e.json),
      );
      return undefined;
    } catch (first) {
      err = first;
    }
    if (isDataError(dbCode(err))) {
      try {
        await store.insertRawEvents(
          db,
          rowsOf(p, (e) => rewritten(e.event)),
        );
        return undefined;
      } catch (second) {
        err = second;
      }
    }
    const code = dbCode(err);
    // The project was deleted after its key was looked up.
    if (code === '23503') {
      void keys.invalidate(p.project.orgId);
      return E.invalidKey('the sentry_key is not valid');
    }
    if (isDataError(code)) return E.invalid('invalid_event', 'the event holds values that cannot be stored');
    return err instanceof Error ? err : new Error(String(err));
  }

  /**
   * One group commit: each project's requests are counted against its rate in one round trip (in the
   * order they came; those past the limit are refused), then every admitted request's events are
   * stored in one statement. If that fails, each request is stored alone, so a bad one fails only
   * its own caller.
   */
  async function commit(batch: Pending[]): Promise<Array<Error | undefined>> {
    const results: Array<Error | undefined> = batch.map(() => undefined);
    const byProject = new Map<string, number[]>();
    for (const [i, p] of batch.entries()) {
      const list = byProject.get(p.project.id);
      if (list) list.push(i);
      else byProject.set(p.project.id, [i]);
    }
    await Promise.all(
      [...byProject.values()].map(async (indexes) => {
        const project = batch[indexes.at(-1)!]!.project;
        const rate = project.rateLimitPerMinute ?? deps.defaultRate;
        const verdict = await deps.limit(`errors:${project.id}`, rate, indexes.length);
        for (const i of indexes.slice(verdict.allowed))
          results[i] = E.rateLimited(String(project.ingestId), verdict.retryAfterSeconds);
      }),
    );
    const admitted = batch.filter((_, i) => !results[i]);
    if (admitted.length === 0) return results;
    try {
      await store.insertRawEvents(
        db,
        admitted.flatMap((p) => rowsOf(p, (e) => e.json)),
      );
    } catch {
      for (const [i, p] of batch.entries()) if (!results[i]) results[i] = await insertAlone(p);
    }
    const stored = batch.reduce((n, p, i) => n + (results[i] ? 0 : p.events.length), 0);
    if (stored > 0) deps.stored(stored);
    return results;
  }

  const commits = createGroupCommit<Pending, Error | undefined>({
    run: commit,
    maxItems: COMMIT_MAX_REQUESTS,
    maxSize: COMMIT_MAX_BYTES,
    sizeOf: (p) => p.bytes,
    concurrency: COMMIT_CONCURRENCY,
  });

  /** Stores a request's events (rate permitting) and answers the first one's id once committed. */
  async function accept(project: IngestProject, payloads: EventPayload[], fallbackId?: string) {
    let bytes = 0;
    const events = payloads.map((payload, i) => {
      const eventId =
        normaliseEventId(payload.event.event_id) ??
        (i === 0 ? fallbackId : undefined) ??
        randomUUID().replaceAll('-', '');
      const json = storedJson(payload);
      bytes += json.length;
      return { eventId, json, event: payload.event };
    });
    await commits.add({ project, receivedAt: new Date(), events, bytes });
    return events[0]!.eventId;
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
          const payload = parseStoreBody(body);
          const project = early ?? (await authenticate(undefined, req.projectId));
          return { id: await accept(project, [payload]) };
        }
        const envelope = parseEnvelope(body);
        const project = early ?? (await authenticate(parseDsn(envelope.header.dsn)?.key, req.projectId));
        const headerId = normaliseEventId(envelope.header.event_id);
        const payloads = envelope.items.flatMap((item) => (item.payload ? [item.payload] : []));
        if (payloads.length === 0) return { id: headerId ?? null };
        return { id: await accept(project, payloads, headerId) };
      } catch (err) {
        if (err instanceof EnvelopeError) throw E.invalid(err.code, err.message);
        throw err;
      }
    },

    /** Stores events the platform captured itself (no key, no HTTP): the built-in project's path. */
    async capture(project: IngestProject, event: Record<string, unknown>): Promise<string> {
      return accept(project, [{ event, json: rewritten(event) }]);
    },

    /**
     * Forgets the org's cached keys here and on every replica: call once a change to one of its
     * projects (deleted, its limit changed) has committed.
     */
    forget(orgId: string): Promise<void> {
      return keys.invalidate(orgId);
    },

    close(): void {
      keys.close();
    },
  };
}

export type Ingest = ReturnType<typeof createIngest>;
