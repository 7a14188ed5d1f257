import type { FastifyServerOptions } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Config } from './config.ts';
import { safeErrorView } from './errors.ts';

/**
 * Paths whose values never reach a log line. Request bodies and authorization headers are not logged at
 * all; these cover objects a handler may log by mistake.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["sec-websocket-protocol"]',
  'req.headers["x-api-key"]',
  '*.password',
  '*.accessToken',
  '*.refreshToken',
  '*.token',
  '*.secret',
  '*.apiKey',
  '*.key',
  'password',
  'token',
];

export function loggerOptions(
  config: Pick<Config, 'logLevel'>,
  stream?: DestinationStream,
): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(stream ? { stream } : {}),
    serializers: {
      err: safeErrorView,
      req: (req: { method: string; url: string; ip?: string; headers?: Record<string, unknown> }) => ({
        method: req.method,
        // The query string can carry a token (e.g. EventSource auth); log the path only.
        url: req.url.split('?')[0],
        ip: req.ip,
        userAgent: req.headers?.['user-agent'],
      }),
    },
  };
}
