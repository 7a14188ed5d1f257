import type { SwitchboardClient } from '@switchboard/client';
import { expect } from 'vitest';

/** Kept for tests that take them from here; they belong to the typed-client helpers. */
export { clientAs, failure } from './api-client.ts';

export interface PutOptions {
  /** Null sends none. */
  contentType?: string | null;
  ifMatch?: string;
  ifNoneMatch?: string;
}

/** `PUT /files/content` with raw bytes (a string is sent as UTF-8). */
export function putFile(
  api: SwitchboardClient,
  path: string,
  content: string | Uint8Array<ArrayBuffer>,
  options: PutOptions = {},
) {
  const type = options.contentType === undefined ? 'text/plain; charset=utf-8' : options.contentType;
  const headers: Record<string, string | null> = { 'content-type': type };
  if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch;
  if (options.ifNoneMatch !== undefined) headers['if-none-match'] = options.ifNoneMatch;
  return api.PUT('/api/v1/files/content', {
    params: { query: { path } },
    body: new Blob([content]),
    bodySerializer: (body) => body,
    headers,
  });
}

/** Puts a file and fails the test unless it was stored; answers its metadata. */
export async function makeFile(
  api: SwitchboardClient,
  path: string,
  content: string | Uint8Array<ArrayBuffer> = `content of ${path}`,
  options?: PutOptions,
) {
  const res = await putFile(api, path, content, options);
  expect(res.response.status, JSON.stringify(res.error)).toBeLessThan(300);
  return res.data!;
}

/** `GET /files/content` as text, with the answer's status and headers. */
export async function readFile(api: SwitchboardClient, path: string, headers: Record<string, string> = {}) {
  const res = await api.GET('/api/v1/files/content', {
    params: { query: { path } },
    parseAs: 'text',
    headers,
  });
  return {
    status: res.response.status,
    text: res.data as string | undefined,
    headers: res.response.headers,
    error: res.error,
  };
}

/** Every path of a tree listing, depth first. */
export function pathsOf(entries: Array<{ path: string; children?: unknown }>): string[] {
  return entries.flatMap((e) => [e.path, ...pathsOf((e.children as typeof entries | undefined) ?? [])]);
}
