import { createHash } from 'node:crypto';
import { Mime } from 'mime';
import otherTypes from 'mime/types/other.js';
import standardTypes from 'mime/types/standard.js';
import type { Caller } from './callers.ts';
import { FileErrors } from './errors.ts';
import type { NodeRecord } from './store.ts';

const types = new Mime(standardTypes, otherTypes);
// A workspace holds source code far more often than MPEG transport streams.
types.define({ 'text/typescript': ['ts', 'mts', 'cts', 'tsx'] }, true);

const OCTETS = 'application/octet-stream';
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** The strong ETag of some bytes: a hash, so equal content has an equal tag. */
export function etagOf(bytes: Buffer): string {
  return `"${createHash('sha256').update(bytes).digest('base64url')}"`;
}

/**
 * The content type to keep for a file: the one sent (lower-cased type, parameters kept), or, when none
 * or only `application/octet-stream` was sent, the one its name suggests.
 */
export function contentTypeFor(sent: string | undefined, name: string): string {
  const [type = '', ...params] = (sent ?? '').split(';').map((s) => s.trim());
  const media = type.toLowerCase();
  if (MEDIA_TYPE.test(media) && media !== OCTETS) {
    const kept = params.filter((p) => /^[\w.+-]+=[\w.+-]+$|^[\w.+-]+="[^"\\]*"$/.test(p));
    return [media, ...kept].join('; ').slice(0, 200);
  }
  return types.getType(name) ?? OCTETS;
}

/**
 * HTTP preconditions of a write. `If-Match` (`*`, or ETags) asks that the file be as the caller last
 * read it; `If-None-Match: *` that it not exist yet. Weak tags never match: the comparison is strong.
 */
export function checkPreconditions(
  path: string,
  current: NodeRecord | undefined,
  conditions: { ifMatch?: string | undefined; ifNoneMatch?: string | undefined },
): void {
  const { ifMatch, ifNoneMatch } = conditions;
  if (ifMatch !== undefined) {
    const wanted = ifMatch.split(',').map((t) => t.trim());
    const matches = current?.etag && (wanted.includes('*') || wanted.includes(current.etag));
    if (!matches) throw FileErrors.versionConflict(path, current?.etag ?? null);
  }
  if (ifNoneMatch?.trim() === '*' && current) throw FileErrors.alreadyThere(path, current.etag ?? '');
}

/** Whether `If-None-Match` on a read names the current tag (the answer is then 304). */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const tags = ifNoneMatch.split(',').map((t) => t.trim().replace(/^W\//, ''));
  return tags.includes('*') || tags.includes(etag);
}

/** Refuses bytes over the limit; the HTTP route refuses them before they are read, tools here. */
export function checkSize(bytes: Buffer, maxBytes: number): void {
  if (bytes.length > maxBytes) throw FileErrors.tooLarge(maxBytes);
}

/** The audit row of a change to the files, in the change's transaction. */
export function auditEvent(c: Caller, action: string, path: string, details: Record<string, unknown>) {
  return {
    action,
    orgId: c.orgId,
    actor: { kind: c.actor.type, id: c.actor.id },
    resource: { type: 'file', id: path },
    outcome: 'success' as const,
    meta: c.meta,
    details,
  };
}
