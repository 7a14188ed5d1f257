/**
 * Sentry's envelope format, parsed by our own code: newline-delimited, an envelope header (JSON), then
 * items, each an item header (JSON, with `type` and an optional `length` in bytes) and a payload. With
 * `length` the payload is exactly that many bytes (it may hold newlines); without it, the payload runs
 * to the next newline or the end. Everything a client can get wrong is an `EnvelopeError` with a code
 * the route answers as a 4xx; nothing here throws anything else.
 */

export class EnvelopeError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'EnvelopeError';
    this.code = code;
  }
}

/** Item types an SDK sends that are accepted and dropped (only events and errors are kept). */
export const DROPPED_ITEM_TYPES = new Set([
  'session',
  'sessions',
  'transaction',
  'client_report',
  'attachment',
  'user_report',
  'feedback',
  'profile',
  'profile_chunk',
  'replay_event',
  'replay_recording',
  'replay_video',
  'check_in',
  'statsd',
  'metric_buckets',
  'span',
  'otel_span',
  'log',
  'otel_log',
  'trace_metric',
  'raw_security',
  'security',
  'nel',
]);

/** Item types that carry an event to keep. */
export const EVENT_ITEM_TYPES = new Set(['event', 'error']);

/** A header line longer than this is refused (a payload may be longer, up to the body's limit). */
export const MAX_HEADER_BYTES = 16 * 1024;
export const MAX_ITEMS = 100;

/** An event as it came: parsed, and its JSON text (decoded as UTF-8), which is what gets stored. */
export interface EventPayload {
  event: Record<string, unknown>;
  json: string;
}

export interface EnvelopeItem {
  type: string;
  /** The payload of event items; undefined for dropped items. */
  payload?: EventPayload;
}

export interface Envelope {
  header: Record<string, unknown>;
  items: EnvelopeItem[];
}

const NEWLINE = 0x0a;

function parseJsonObject(bytes: Buffer, what: string, code = 'invalid_json'): EventPayload {
  const json = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new EnvelopeError(code, `the ${what} is not valid JSON`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new EnvelopeError(code, `the ${what} is not a JSON object`);
  return { event: value as Record<string, unknown>, json };
}

/** The next line from `start` (without its newline), refusing one longer than `max`. */
function lineAt(body: Buffer, start: number, max: number, what: string): { line: Buffer; next: number } {
  const end = body.indexOf(NEWLINE, start);
  const stop = end === -1 ? body.length : end;
  if (stop - start > max)
    throw new EnvelopeError('header_too_large', `the ${what} is longer than ${max} bytes`);
  return { line: body.subarray(start, stop), next: end === -1 ? body.length : end + 1 };
}

/** Parses a whole (decompressed) envelope. */
export function parseEnvelope(body: Buffer): Envelope {
  if (body.length === 0) throw new EnvelopeError('invalid_envelope', 'the envelope is empty');
  const first = lineAt(body, 0, MAX_HEADER_BYTES, 'envelope header');
  const header = parseJsonObject(first.line, 'envelope header', 'invalid_envelope').event;
  const items: EnvelopeItem[] = [];
  let at = first.next;
  while (at < body.length) {
    // Blank lines between items (a trailing newline, \r\n line ends) are tolerated.
    if (body[at] === NEWLINE || (body[at] === 0x0d && body[at + 1] === NEWLINE)) {
      at += body[at] === NEWLINE ? 1 : 2;
      continue;
    }
    if (items.length >= MAX_ITEMS)
      throw new EnvelopeError('invalid_envelope', `the envelope holds more than ${MAX_ITEMS} items`);
    const head = lineAt(body, at, MAX_HEADER_BYTES, 'item header');
    const itemHeader = parseJsonObject(
      head.line,
      `header of item ${items.length + 1}`,
      'invalid_envelope',
    ).event;
    const type = itemHeader.type;
    if (typeof type !== 'string' || !type)
      throw new EnvelopeError('invalid_envelope', `item ${items.length + 1} has no type`);
    const length = itemHeader.length;
    let payload: Buffer;
    if (length === undefined || length === null) {
      const rest = body.indexOf(NEWLINE, head.next);
      const stop = rest === -1 ? body.length : rest;
      payload = body.subarray(head.next, stop);
      at = rest === -1 ? body.length : rest + 1;
    } else {
      if (typeof length !== 'number' || !Number.isInteger(length) || length < 0)
        throw new EnvelopeError('invalid_envelope', `item ${items.length + 1} has an invalid length`);
      if (head.next + length > body.length)
        throw new EnvelopeError(
          'truncated_envelope',
          `item ${items.length + 1} says it is ${length} bytes but only ${body.length - head.next} follow`,
        );
      payload = body.subarray(head.next, head.next + length);
      at = head.next + length;
      if (at < body.length) {
        if (body[at] === NEWLINE) at += 1;
        else if (body[at] === 0x0d && body[at + 1] === NEWLINE) at += 2;
        else
          throw new EnvelopeError(
            'invalid_envelope',
            `item ${items.length + 1} is longer than its length of ${length} bytes`,
          );
      }
    }
    if (EVENT_ITEM_TYPES.has(type)) {
      items.push({
        type,
        payload: parseJsonObject(payload, `payload of item ${items.length + 1} (${type})`),
      });
    } else if (DROPPED_ITEM_TYPES.has(type)) {
      items.push({ type });
    } else {
      throw new EnvelopeError(
        'unknown_item_type',
        `item ${items.length + 1} has the unknown type "${type.slice(0, 40)}"`,
      );
    }
  }
  return { header, items };
}

/** A `store` request's body: one event as a JSON object. */
export function parseStoreBody(body: Buffer): EventPayload {
  if (body.length === 0) throw new EnvelopeError('invalid_json', 'the event is empty');
  return parseJsonObject(body, 'event');
}

/** Sentry event ids: 32 hex digits; a UUID with dashes is accepted and written without them. */
export function normaliseEventId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const id = value.replaceAll('-', '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(id) ? id : undefined;
}

/** `Sentry sentry_key=abc, sentry_version=7` -> the key, else undefined. */
export function keyFromAuthHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /(?:^|[\s,])sentry_key\s*=\s*([^,\s]+)/i.exec(header);
  return match?.[1];
}

/** The key and project id of a DSN (`https://key@host/path/42`), else undefined. */
export function parseDsn(dsn: unknown): { key: string; projectId: string } | undefined {
  if (typeof dsn !== 'string' || dsn.length > 500) return undefined;
  try {
    const url = new URL(dsn);
    const projectId = url.pathname.split('/').filter(Boolean).at(-1);
    if (!url.username || !projectId) return undefined;
    return { key: decodeURIComponent(url.username), projectId };
  } catch {
    return undefined;
  }
}
