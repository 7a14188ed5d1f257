import path from 'node:path';
import { z } from 'zod';

/** The secret shipped for development; production refuses to start with it. */
export const DEV_SECRET = 'switchboard-dev-secret-change-me';

const boolFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

// Only a value that is not a number at all gets this message; range problems keep zod's own.
const num = () =>
  z.coerce.number({ error: (issue) => (issue.code === 'invalid_type' ? 'must be a number' : undefined) });

const url = (protocols: string[]) =>
  z.url().refine((v) => protocols.some((p) => v.startsWith(`${p}:`)), {
    message: `must start with ${protocols.map((p) => `${p}://`).join(' or ')}`,
  });

/**
 * Every environment variable the server reads, validated once at start.
 * Nothing else in the code reads `process.env`.
 */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: num().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: url(['postgres', 'postgresql']).optional(),
  REDIS_URL: url(['redis', 'rediss']).optional(),
  PUBLIC_URL: url(['http', 'https']).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CORS_ORIGINS: z.string().default(''),
  BODY_LIMIT_BYTES: num()
    .int()
    .min(1024)
    .default(1024 * 1024),
  SWITCHBOARD_SECRET: z.string().min(16, 'must be at least 16 characters').default(DEV_SECRET),
  SWITCHBOARD_ADMIN_EMAIL: z.email().optional(),
  SWITCHBOARD_ADMIN_PASSWORD: z.string().optional(),
  ACCESS_TOKEN_TTL_SECONDS: num().int().min(30).max(86_400).default(900),
  REFRESH_TOKEN_TTL_SECONDS: num()
    .int()
    .min(300)
    .default(30 * 86_400),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: url(['http', 'https']).optional(),
  ANTHROPIC_API_KEY: z.string().optional(),
  TRUST_PROXY: boolFlag.default(false),
  REDIS_PREFIX: z.string().default('sb:'),
  RATE_LIMIT_IP_PER_MINUTE: num().int().min(1).default(60),
  RATE_LIMIT_USER_PER_MINUTE: num().int().min(1).default(1200),
  RATE_LIMIT_ORG_PER_MINUTE: num().int().min(1).default(6000),
  LOGIN_MAX_FAILURES: num().int().min(1).default(5),
  LOGIN_IP_MAX_FAILURES: num().int().min(1).default(20),
  WORKERS_IN_PROCESS: boolFlag.default(true),
  QUEUE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .default('pgboss'),
  RUN_CONCURRENCY: num().int().min(1).max(256).default(8),
  RUN_TIMEOUT_SECONDS: num().int().min(1).default(600),
  RUN_RETRY_LIMIT: num().int().min(0).max(20).default(2),
  RUN_IN_PROCESS_START: boolFlag.default(true),
  RUN_LEASE_SECONDS: num().int().min(2).max(3600).default(15),
  SHUTDOWN_TIMEOUT_MS: num().int().min(100).default(10_000),
  WS_AUTH_TIMEOUT_MS: num().int().min(50).default(5_000),
  WS_HEARTBEAT_MS: num().int().min(50).default(30_000),
  WS_MAX_CONNECTIONS_PER_USER: num().int().min(1).default(20),
  WS_MAX_CONNECTIONS_PER_ORG: num().int().min(1).default(2_000),
  WS_MAX_MESSAGE_BYTES: num()
    .int()
    .min(256)
    .default(64 * 1024),
  WS_MAX_BUFFERED_BYTES: num()
    .int()
    .min(1024)
    .default(1024 * 1024),
  DASHBOARD_INTERVAL_MS: num().int().min(50).default(5_000),
  CHAT_MAX_STREAMS_PER_USER: num().int().min(1).default(4),
  CHAT_MAX_STREAMS_PER_ORG: num().int().min(1).default(64),
  CHAT_INLINE_MAX: num().int().min(0).max(10_000).default(64),
  MCP_STDIO_COMMANDS: z.string().default(''),
  MCP_CONNECT_TIMEOUT_MS: num().int().min(100).default(10_000),
  MCP_CALL_TIMEOUT_MS: num().int().min(100).default(60_000),
  AUDIT_RETENTION_DAYS: num().int().min(0).default(90),
  FILES_MAX_BYTES: num()
    .int()
    .min(1)
    .max(256 * 1024 * 1024)
    .default(10 * 1024 * 1024),
  ERRORS_MAX_EVENT_BYTES: num()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  ERRORS_RATE_LIMIT_PER_MINUTE: num().int().min(1).max(1_000_000).default(3_000),
  OPERATOR_ORG_ID: z.string().min(1).max(100).optional(),
  STRIPE_SECRET_KEY: z.string().min(1).max(500).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).max(500).optional(),
  STRIPE_API_BASE: url(['http', 'https']).optional(),
  SMTP_URL: url(['smtp', 'smtps']).optional(),
  MAIL_FROM: z.string().min(3).max(320).optional(),
  RATE_LIMIT_MAIL_PER_HOUR: num().int().min(1).default(5),
  FIX_REPOSITORY_ROOTS: z
    .string()
    .default('')
    .refine(
      (v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .every((s) => path.isAbsolute(s)),
      { message: 'must be absolute folder paths, separated by commas' },
    ),
  FIX_VERIFY_COMMANDS: z.string().default(''),
  FIX_VERIFY_TIMEOUT_SECONDS: num().int().min(1).max(86_400).default(300),
});

/**
 * Rules that span variables. They run on the raw input, so they are reported together with any
 * other invalid variable instead of only after those are fixed.
 */
function crossProblems(raw: Record<string, string>): string[] {
  const problems: string[] = [];
  const secret = raw.SWITCHBOARD_SECRET ?? DEV_SECRET;
  if (raw.NODE_ENV === 'production' && secret === DEV_SECRET) {
    problems.push(
      'SWITCHBOARD_SECRET is missing or the development default; production needs a secret of your own',
    );
  }
  if (!!raw.SWITCHBOARD_ADMIN_EMAIL !== !!raw.SWITCHBOARD_ADMIN_PASSWORD) {
    const missing = raw.SWITCHBOARD_ADMIN_EMAIL ? 'SWITCHBOARD_ADMIN_PASSWORD' : 'SWITCHBOARD_ADMIN_EMAIL';
    problems.push(
      `${missing} must be set together with its pair (SWITCHBOARD_ADMIN_EMAIL and SWITCHBOARD_ADMIN_PASSWORD)`,
    );
  }
  if (raw.MAIL_FROM && !/[^\s@<]+@[^\s@>]+/.test(raw.MAIL_FROM)) {
    problems.push('MAIL_FROM must be an address, e.g. "Switchboard <no-reply@example.com>"');
  }
  return problems;
}

export type Env = z.infer<typeof envSchema>;

/** Every variable the server reads; the docs test holds README.md and .env.example to this list. */
export const ENV_VARIABLES = Object.keys(envSchema.shape).sort();

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
  /**
   * HTTP_PROXY / HTTPS_PROXY / NO_PROXY for calls to model providers, when Node is told to use them
   * (NODE_USE_ENV_PROXY=1 or --use-env-proxy), as it then does for fetch; else undefined.
   */
  proxyEnv: Record<string, string> | undefined;
  /** Honour X-Forwarded-For from a reverse proxy for client IPs (rate limits, audit). */
  trustProxy: boolean;
  redisPrefix: string;
  /** Per minute for ip, user and org; per hour for mail (mails to one address or account). */
  rateLimits: { ip: number; user: number; org: number; mail: number };
  /** Consecutive failures that lock an account, and failures from one IP in 15 minutes that block it. */
  lockout: { maxFailures: number; ipMaxFailures: number };
  workersInProcess: boolean;
  /** The job engine's schema; separate schemas keep separate deployments (or test servers) apart. */
  queueSchema: string;
  runs: {
    concurrency: number;
    timeoutSeconds: number;
    retryLimit: number;
    /** A run submitted on a replica that executes runs starts there at once; the queue is the fallback. */
    inProcessStart: boolean;
    /** How long a run started in-process keeps its queued job back; renewed while it runs. */
    leaseSeconds: number;
  };
  shutdownTimeoutMs: number;
  /** The WebSocket hub: auth deadline, heartbeat, caps (per replica) and the dashboard's stats cadence. */
  realtime: {
    authTimeoutMs: number;
    heartbeatMs: number;
    maxConnectionsPerUser: number;
    maxConnectionsPerOrg: number;
    maxMessageBytes: number;
    /** A socket whose unsent data passes this is a slow consumer and is dropped. */
    maxBufferedBytes: number;
    dashboardIntervalMs: number;
  };
  /** Chat streams (SSE, WebSocket intents) open at once, per user or API key and per org, per replica. */
  chat: { maxStreamsPerUser: number; maxStreamsPerOrg: number; inlineMax: number };
  mcp: {
    /**
     * Commands an org may register as stdio MCP servers; they run on this host, so none are allowed
     * unless the operator lists them (`*` allows any).
     */
    stdioCommands: string[];
    connectTimeoutMs: number;
    callTimeoutMs: number;
  };
  /** Days audit rows are kept; 0 keeps them forever. */
  auditRetentionDays: number;
  /** The largest file the workspace keeps (content lives in the database). */
  files: { maxBytes: number };
  /**
   * Error ingest: the largest envelope or event accepted once decompressed (413 past it), and the events
   * per minute a project accepts unless it sets its own limit (429 past it).
   */
  errors: { maxEventBytes: number; rateLimitPerMinute: number };
  /**
   * The org whose admins run the platform (control room, restart). Unset: the start-up admin's org,
   * else the oldest org.
   */
  operatorOrgId: string | undefined;
  /**
   * Stripe, when the operator takes payments: the secret key turns Checkout on (without it plans start
   * at once), the webhook secret verifies `POST /billing/webhooks/stripe`, the API base points the SDK
   * elsewhere (a local fake in tests).
   */
  stripe: { secretKey: string | undefined; webhookSecret: string | undefined; apiBase: string | undefined };
  /**
   * Outgoing mail (password resets, verification, invitations). Without an SMTP server, development and
   * test write each mail to the log; production logs a warning and the console says mail is off.
   */
  mail: { smtpUrl: string | undefined; from: string; perAddressPerHour: number };
  /** AI fixes: where repositories may live, what a verify command may start, and for how long. */
  fixes: {
    /** Folders under which an error project's repository may live; none: no repository is opened. */
    repositoryRoots: string[];
    /** Programs a project's `verifyCommand` may start (`*`: any); none: verification cannot run. */
    verifyCommands: string[];
    verifyTimeoutSeconds: number;
    /**
     * The environment git and verify commands run in: what they need to find programs and a home
     * (PATH, HOME, TMPDIR, LANG), nothing of the server's own (no secrets, no database address).
     */
    childEnv: Record<string, string>;
  };
}

/** Thrown when the environment is invalid; `problems` holds one line per variable. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    // One line, so a log collector or a terminal shows the whole reason at once.
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];

/** The proxy variables to honour, when Node is told to honour them (as fetch then does). */
function proxyEnvOf(source: Record<string, string>): Record<string, string> | undefined {
  const on = source.NODE_USE_ENV_PROXY === '1' || process.execArgv.includes('--use-env-proxy');
  if (!on) return undefined;
  return Object.fromEntries(PROXY_VARIABLES.flatMap((name) => (source[name] ? [[name, source[name]]] : [])));
}

/** The host of the public address, as the domain of the default sender (an IP or localhost stays as is). */
function mailDomainOf(publicUrl: string): string {
  const host = new URL(publicUrl).hostname;
  return /^[\d.]+$|:|^\[/.test(host) ? 'localhost' : host;
}

/** Validates the environment and returns the typed configuration, or throws one ConfigError naming every problem. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset" so `FOO=` in a .env file falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const name = issue.path.join('.') || '(environment)';
        const value = cleaned[name];
        const shown = value === undefined || /SECRET|PASSWORD|KEY/.test(name) ? '' : ` (got "${value}")`;
        return `${name} ${issue.message}${shown}`;
      });
  problems.push(...crossProblems(cleaned as Record<string, string>));
  if (!parsed.success || problems.length) throw new ConfigError(problems);
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
    proxyEnv: proxyEnvOf(cleaned as Record<string, string>),
    trustProxy: e.TRUST_PROXY,
    redisPrefix: e.REDIS_PREFIX,
    rateLimits: {
      mail: e.RATE_LIMIT_MAIL_PER_HOUR,
      ip: e.RATE_LIMIT_IP_PER_MINUTE,
      user: e.RATE_LIMIT_USER_PER_MINUTE,
      org: e.RATE_LIMIT_ORG_PER_MINUTE,
    },
    lockout: { maxFailures: e.LOGIN_MAX_FAILURES, ipMaxFailures: e.LOGIN_IP_MAX_FAILURES },
    workersInProcess: e.WORKERS_IN_PROCESS,
    queueSchema: e.QUEUE_SCHEMA,
    runs: {
      concurrency: e.RUN_CONCURRENCY,
      timeoutSeconds: e.RUN_TIMEOUT_SECONDS,
      retryLimit: e.RUN_RETRY_LIMIT,
      inProcessStart: e.RUN_IN_PROCESS_START,
      leaseSeconds: e.RUN_LEASE_SECONDS,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    realtime: {
      authTimeoutMs: e.WS_AUTH_TIMEOUT_MS,
      heartbeatMs: e.WS_HEARTBEAT_MS,
      maxConnectionsPerUser: e.WS_MAX_CONNECTIONS_PER_USER,
      maxConnectionsPerOrg: e.WS_MAX_CONNECTIONS_PER_ORG,
      maxMessageBytes: e.WS_MAX_MESSAGE_BYTES,
      maxBufferedBytes: e.WS_MAX_BUFFERED_BYTES,
      dashboardIntervalMs: e.DASHBOARD_INTERVAL_MS,
    },
    chat: {
      maxStreamsPerUser: e.CHAT_MAX_STREAMS_PER_USER,
      maxStreamsPerOrg: e.CHAT_MAX_STREAMS_PER_ORG,
      inlineMax: e.CHAT_INLINE_MAX,
    },
    mcp: {
      stdioCommands: e.MCP_STDIO_COMMANDS.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      connectTimeoutMs: e.MCP_CONNECT_TIMEOUT_MS,
      callTimeoutMs: e.MCP_CALL_TIMEOUT_MS,
    },
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    files: { maxBytes: e.FILES_MAX_BYTES },
    errors: { maxEventBytes: e.ERRORS_MAX_EVENT_BYTES, rateLimitPerMinute: e.ERRORS_RATE_LIMIT_PER_MINUTE },
    operatorOrgId: e.OPERATOR_ORG_ID,
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET,
      apiBase: e.STRIPE_API_BASE,
    },
    mail: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM ?? `Switchboard <no-reply@${mailDomainOf(e.PUBLIC_URL ?? `http://${e.HOST}`)}>`,
      perAddressPerHour: e.RATE_LIMIT_MAIL_PER_HOUR,
    },
    fixes: {
      repositoryRoots: listOf(e.FIX_REPOSITORY_ROOTS).map((root) => path.resolve(root)),
      verifyCommands: listOf(e.FIX_VERIFY_COMMANDS),
      verifyTimeoutSeconds: e.FIX_VERIFY_TIMEOUT_SECONDS,
      childEnv: Object.fromEntries(
        CHILD_VARIABLES.flatMap((name) => (source[name] ? [[name, source[name] as string]] : [])),
      ),
    },
  };
}

/** Variables passed on to git and verify commands (config.fixes.childEnv). */
const CHILD_VARIABLES = ['PATH', 'HOME', 'TMPDIR', 'LANG'];

/** A comma-separated list, trimmed, without empty entries. */
function listOf(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
