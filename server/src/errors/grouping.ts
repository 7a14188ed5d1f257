import { createHash } from 'node:crypto';
import type { NormalisedEvent, NormalisedException, NormalisedFrame } from './normalise.ts';

/**
 * Which issue an event belongs to. The grouping key is, in order:
 * 1. the SDK's `fingerprint`, where `{{ default }}` stands for the default key below;
 * 2. the exception types with their in-app frames (module, else file; and function), line and
 *    column numbers and hex ids left out, so a changed line or a rebuilt bundle stays one issue;
 * 3. the message with numbers, hex ids and UUIDs masked;
 * 4. else one bucket for events with neither.
 */

const UUID = /\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b/gi;
const PREFIXED_HEX = /\b0x[0-9a-f]+\b/gi;
/** 8 or more hex digits with at least one digit among them (a word like "deadbeef" is not an id). */
const LONG_HEX = /\b[0-9a-f]{8,}\b/gi;
const hexId = (m: string) => (/\d/.test(m) ? '<hex>' : m);
const NUMBER = /\d+(?:\.\d+)?/g;

/** A message with its variable parts masked: UUIDs, hex ids (8+ digits, or mixed), numbers. */
export function maskMessage(message: string): string {
  return message
    .replace(UUID, '<uuid>')
    .replace(PREFIXED_HEX, '<hex>')
    .replace(LONG_HEX, hexId)
    .replace(NUMBER, '<n>')
    .trim()
    .slice(0, 1000);
}

/** A file name without what changes between builds: query strings, hashes, origins of URLs. */
export function maskFilename(filename: string): string {
  let name = filename.replace(/[?#].*$/, '');
  name = name.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  return name
    .replace(/[.-][0-9a-f]{6,}(?=[./-]|$)/gi, (m) => (/\d/.test(m) ? '' : m))
    .replace(LONG_HEX, hexId);
}

const maskFunction = (fn: string) =>
  fn
    .replace(PREFIXED_HEX, '<hex>')
    .replace(LONG_HEX, hexId)
    .replace(/\d{4,}/g, '<n>');

/** The frames that count: the in-app ones; when an SDK marks none, all of them. */
function framesThatCount(frames: NormalisedFrame[]): NormalisedFrame[] {
  const inApp = frames.filter((f) => f.inApp);
  return inApp.length > 0 ? inApp : frames;
}

function exceptionParts(e: NormalisedException): string[] {
  const frames = framesThatCount(e.frames)
    .map((f) => {
      const where =
        f.module ?? (f.filename ? maskFilename(f.filename) : f.absPath ? maskFilename(f.absPath) : '');
      const fn = f.function ? maskFunction(f.function) : '';
      return where || fn ? `${where}:${fn}` : '';
    })
    .filter(Boolean);
  if (frames.length > 0) return [`type:${e.type ?? ''}`, ...frames];
  // No frames to tell it by: the type and its masked value.
  return [`type:${e.type ?? ''}`, `value:${maskMessage(e.value ?? '')}`];
}

/** The default grouping key's parts (what `{{ default }}` means in a fingerprint). */
export function defaultKey(e: NormalisedEvent): string[] {
  const exceptions = e.exceptions.filter((x) => x.type || x.value || x.frames.length > 0);
  if (exceptions.length > 0) return ['exception', ...exceptions.flatMap(exceptionParts)];
  if (e.message) return ['message', maskMessage(e.message)];
  return ['empty', e.title];
}

const DEFAULT_MARKER = /^\{\{\s*default\s*\}\}$/;

/** The grouping key's parts for an event. */
export function groupingKey(e: NormalisedEvent): string[] {
  if (e.fingerprint && e.fingerprint.length > 0) {
    return ['fingerprint', ...e.fingerprint.flatMap((p) => (DEFAULT_MARKER.test(p) ? defaultKey(e) : [p]))];
  }
  return defaultKey(e);
}

/** The stored fingerprint: a hash of the key's parts. */
export function fingerprintOf(e: NormalisedEvent): string {
  return createHash('sha256').update(groupingKey(e).join('\u0000')).digest('hex').slice(0, 40);
}

/** Where it happened: the top (most recent) in-app frame, `module in function`; else the transaction. */
export function culpritOf(e: NormalisedEvent): string | null {
  const last = e.exceptions.at(-1);
  const frame = last ? framesThatCount(last.frames).at(-1) : undefined;
  if (frame) {
    const where = frame.module ?? frame.filename ?? frame.absPath;
    const fn = frame.function;
    if (where && fn) return `${fn} (${where})`.slice(0, 500);
    if (where || fn) return (where ?? fn)!.slice(0, 500);
  }
  return e.transaction;
}
