import path from 'node:path';
import { z } from 'zod';

/** The secret shipped for development; production refuses to start with it. */
export const DEV_SECRET = 'switchboard-dev-secret-change-me';

const boolFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const url = (protocols: string[]) =>
  z.url().refine((v) => protocols.some((p) => v.startsWith(`${p}:`)), {
    message: `must start with ${protocols.map((p) => `${p}://`).join(' or ')}`,
  });

/**
 * Every environment variable the server reads, validated once at start.
 * Nothing else in the code reads `process.env`.
 */
const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    HOST: z.string().min(1).default('127.0.0.1'),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: url(['postgres', 'postgresql']).optional(),
    REDIS_URL: url(['redis', 'rediss']).optional(),
    PUBLIC_URL: url(['http', 'https']).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    CORS_ORIGINS: z.string().default(''),
    BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024),
    SWITCHBOARD_SECRET: z.string().min(16, 'must be at least 16 characters').default(DEV_SECRET),
    SWITCHBOARD_ADMIN_EMAIL: z.email().optional(),
    SWITCHBOARD_ADMIN_PASSWORD: z.string().optional(),
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
    REFRESH_TOKEN_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(300)
      .default(30 * 86_400),
    OPENAI_API_KEY: z.string().optional(),
    OPENAI_BASE_URL: url(['http', 'https']).optional(),
    ANTHROPIC_API_KEY: z.string().optional(),
    TRUST_PROXY: boolFlag.default(false),
    REDIS_PREFIX: z.string().default('sb:'),
    RATE_LIMIT_IP_PER_MINUTE: z.coerce.number().int().min(1).default(60),
    RATE_LIMIT_USER_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
    RATE_LIMIT_ORG_PER_MINUTE: z.coerce.number().int().min(1).default(6000),
    LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
    LOGIN_IP_MAX_FAILURES: z.coerce.number().int().min(1).default(20),
    WORKERS_IN_PROCESS: boolFlag.default(true),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && env.SWITCHBOARD_SECRET === DEV_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['SWITCHBOARD_SECRET'],
        message: 'is missing or the development default; production needs a secret of your own',
      });
    }
    if (!!env.SWITCHBOARD_ADMIN_EMAIL !== !!env.SWITCHBOARD_ADMIN_PASSWORD) {
      ctx.addIssue({
        code: 'custom',
        path: [env.SWITCHBOARD_ADMIN_EMAIL ? 'SWITCHBOARD_ADMIN_PASSWORD' : 'SWITCHBOARD_ADMIN_EMAIL'],
        message:
          'must be set together with its pair (SWITCHBOARD_ADMIN_EMAIL and SWITCHBOARD_ADMIN_PASSWORD)',
      });
    }
  });

export type Env = z.infer<typeof envSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  publicUrl: string;
  logLevel: Env['LOG_LEVEL'];
  corsOrigins: string[];
  bodyLimitBytes: number;
  secret: string;
  admin: { email: string; password: string } | undefined;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  providers: {
    openai: { apiKey: string; baseUrl: string | undefined } | undefined;
    anthropic: { apiKey: string } | undefined;
  };
  /** Honour X-Forwarded-For from a reverse proxy for client IPs (rate limits, audit). */
  trustProxy: boolean;
  redisPrefix: string;
  rateLimits: { ip: number; user: number; org: number };
  /** Consecutive failures that lock an account, and failures from one IP in 15 minutes that block it. */
  lockout: { maxFailures: number; ipMaxFailures: number };
  workersInProcess: boolean;
  shutdownTimeoutMs: number;
}

/** Thrown when the environment is invalid; `problems` holds one line per variable. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Validates the environment and returns the typed configuration, or throws one ConfigError naming every problem. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset" so `FOO=` in a .env file falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.') || '(environment)';
        const value = cleaned[name];
        const shown = value === undefined || /SECRET|PASSWORD|KEY/.test(name) ? '' : ` (got "${value}")`;
        return `${name} ${issue.message}${shown}`;
      }),
    );
  }
  const e = parsed.data;
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    publicUrl: e.PUBLIC_URL ?? `http://${e.HOST}:${e.PORT}`,
    logLevel: e.LOG_LEVEL,
    corsOrigins: e.CORS_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    secret: e.SWITCHBOARD_SECRET,
    admin:
      e.SWITCHBOARD_ADMIN_EMAIL && e.SWITCHBOARD_ADMIN_PASSWORD
        ? { email: e.SWITCHBOARD_ADMIN_EMAIL, password: e.SWITCHBOARD_ADMIN_PASSWORD }
        : undefined,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
    providers: {
      openai: e.OPENAI_API_KEY ? { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL } : undefined,
      anthropic: e.ANTHROPIC_API_KEY ? { apiKey: e.ANTHROPIC_API_KEY } : undefined,
    },
    trustProxy: e.TRUST_PROXY,
    redisPrefix: e.REDIS_PREFIX,
    rateLimits: {
      ip: e.RATE_LIMIT_IP_PER_MINUTE,
      user: e.RATE_LIMIT_USER_PER_MINUTE,
      org: e.RATE_LIMIT_ORG_PER_MINUTE,
    },
    lockout: { maxFailures: e.LOGIN_MAX_FAILURES, ipMaxFailures: e.LOGIN_IP_MAX_FAILURES },
    workersInProcess: e.WORKERS_IN_PROCESS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  };
}
