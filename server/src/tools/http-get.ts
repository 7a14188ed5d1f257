import { z } from 'zod';
import { defineTool, type ToolDefinition, ToolError } from './registry.ts';

export interface HttpGetOptions {
  /** The org's allow-list: exact host names, or `*.example.com` for its sub-domains. */
  allowedHosts(orgId: string): Promise<string[]>;
  timeoutMs?: number;
  maxBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BYTES = 256 * 1024;
const MAX_REDIRECTS = 3;
const TEXTUAL = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

/**
 * Normalises an allow-list entry (`Example.COM`, `*.example.com`, `127.0.0.1`, `[::1]`); undefined
 * when it is not a plain host name (a path, a port, credentials).
 */
export function normaliseHostPattern(entry: string): string | undefined {
  const trimmed = entry.trim().toLowerCase();
  const wildcard = trimmed.startsWith('*.');
  const host = wildcard ? trimmed.slice(2) : trimmed;
  if (!host || /[/?#@\s*\\]/.test(host)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(`http://${host}/`);
  } catch {
    return undefined;
  }
  if (parsed.port || !parsed.hostname) return undefined;
  return wildcard ? `*.${parsed.hostname}` : parsed.hostname;
}

/** Whether `host` (a URL's hostname) is covered by the allow-list. */
export function hostAllowed(host: string, patterns: string[]): boolean {
  const h = host.toLowerCase();
  return patterns.some((p) => (p.startsWith('*.') ? h.endsWith(p.slice(1)) : h === p));
}

async function readCapped(
  response: Response,
  maxBytes: number,
): Promise<{ text: string; bytes: number; truncated: boolean }> {
  if (!response.body) return { text: '', bytes: 0, truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = maxBytes - bytes;
    if (value.byteLength > room) {
      chunks.push(value.subarray(0, room));
      bytes += room;
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    bytes += value.byteLength;
  }
  return { text: new TextDecoder().decode(Buffer.concat(chunks)), bytes, truncated };
}

/** `http.get`: fetches a URL on one of the org's allowed hosts, with a timeout and a size cap. */
export function httpGetTool(options: HttpGetOptions): ToolDefinition {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  return defineTool({
    name: 'http.get',
    description:
      `Fetch a URL with HTTP GET and return its status, content type and body (text, at most ${maxBytes} bytes). ` +
      "Only hosts on the organisation's allow-list can be reached.",
    parameters: z.object({
      url: z.string().describe('An absolute http:// or https:// URL'),
    }),
    async execute({ url }, ctx) {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        throw new ToolError(`"${url}" is not an absolute URL`);
      }
      const allowed = await options.allowedHosts(ctx.orgId);
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
      for (let hop = 0; ; hop++) {
        if (target.protocol !== 'http:' && target.protocol !== 'https:') {
          throw new ToolError(`only http and https URLs can be fetched, not ${target.protocol}`);
        }
        if (!hostAllowed(target.hostname, allowed)) {
          throw new ToolError(
            `host ${target.hostname} is not on this organisation's allow-list for http.get` +
              (allowed.length ? '' : ' (the list is empty)'),
          );
        }
        let response: Response;
        try {
          response = await fetch(target, {
            redirect: 'manual',
            signal,
            headers: { 'user-agent': 'Switchboard http.get tool', accept: '*/*' },
          });
        } catch (err) {
          if (ctx.signal?.aborted) throw err;
          if (timeout.aborted) throw new ToolError(`GET ${target.href} timed out after ${timeoutMs} ms`);
          const cause = (err as Error).cause;
          const detail = cause instanceof Error ? cause.message : (err as Error).message;
          throw new ToolError(`GET ${target.href} failed: ${detail}`);
        }
        const location = response.headers.get('location');
        if (response.status >= 300 && response.status < 400 && location) {
          await response.body?.cancel();
          if (hop >= MAX_REDIRECTS)
            throw new ToolError(`GET ${url} redirected more than ${MAX_REDIRECTS} times`);
          target = new URL(location, target);
          continue;
        }
        const contentType = response.headers.get('content-type') ?? '';
        if (contentType && !TEXTUAL.test(contentType)) {
          await response.body?.cancel();
          return {
            url: target.href,
            status: response.status,
            contentType,
            body: `(${contentType} content is not shown)`,
            truncated: false,
          };
        }
        try {
          const { text, truncated } = await readCapped(response, maxBytes);
          return { url: target.href, status: response.status, contentType, body: text, truncated };
        } catch (err) {
          if (ctx.signal?.aborted) throw err;
          if (timeout.aborted) throw new ToolError(`GET ${target.href} timed out after ${timeoutMs} ms`);
          throw new ToolError(`reading the response of GET ${target.href} failed: ${(err as Error).message}`);
        }
      }
    },
  });
}
