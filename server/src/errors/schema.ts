import { z } from 'zod';
import { idListQuery } from '../platform/http.ts';
import { pageQuerySchema } from '../platform/pagination.ts';

export const ISSUE_STATUSES = ['unresolved', 'resolved', 'ignored', 'regressed'] as const;
export const ISSUE_LEVELS = ['fatal', 'error', 'warning', 'info', 'debug'] as const;

export const issueStatusSchema = z.enum(ISSUE_STATUSES).meta({ id: 'IssueStatus' });
export const issueLevelSchema = z.enum(ISSUE_LEVELS).meta({ id: 'IssueLevel' });

// ---------------------------------------------------------------------------------------------------
// Error projects

const repositorySchema = z
  .object({
    path: z
      .string()
      .min(2)
      .max(1024)
      .regex(/^\/[^\0]*$/, 'is an absolute path')
      .meta({ description: 'Absolute path of the git repository on the server' }),
    branch: z
      .string()
      .min(1)
      .max(200)
      .regex(/^(?!-)(?!.*\.\.)[\w./-]+$/, 'is a branch name (letters, digits, ., _, -, /)')
      .meta({ description: 'The branch fixes start from' }),
  })
  .meta({ id: 'ErrorProjectRepository', description: 'Where the code lives, for AI fixes' });

const verifyCommandSchema = z
  .array(z.string().min(1).max(1000))
  .min(1)
  .max(50)
  .meta({ description: 'A program and its arguments that verify a fix (run without a shell)' });

const platformSchema = z
  .string()
  .trim()
  .regex(/^[a-z0-9._-]{1,40}$/, 'is a lower-case platform name such as node, javascript or python')
  .meta({ description: 'The SDK platform: node, javascript, python, …' });

export const MAX_PROJECT_RATE = 1_000_000;

export const errorProjectSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    slug: z.string().meta({ description: "Upper-case prefix of the project's issues (`SLUG-12`)" }),
    platform: z.string(),
    dsn: z.string().meta({
      description: 'Give this to a Sentry SDK: `<scheme>://<publicKey>@<host>/<ingestId>`',
      example: 'http://0123456789abcdef0123456789abcdef@127.0.0.1:8080/42',
    }),
    publicKey: z.string().meta({ description: "The DSN's key" }),
    ingestId: z.string().meta({ description: "The DSN's project id (digits, as Sentry SDKs require)" }),
    repository: repositorySchema.nullable(),
    verifyCommand: z.array(z.string()).nullable(),
    rateLimitPerMinute: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'Events accepted per minute; null: the server default' }),
    effectiveRateLimitPerMinute: z.number().int().meta({ description: 'The limit in force' }),
    builtin: z
      .boolean()
      .meta({ description: "The platform's own project (Switchboard's server and console report to it)" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ErrorProject' });

export const createErrorProjectBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    platform: platformSchema.default('other'),
    repository: repositorySchema.nullable().default(null),
    verifyCommand: verifyCommandSchema.nullable().default(null),
    rateLimitPerMinute: z.number().int().min(1).max(MAX_PROJECT_RATE).nullable().default(null),
  })
  .meta({ id: 'CreateErrorProjectRequest' });

export const updateErrorProjectBody = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    platform: platformSchema.optional(),
    repository: repositorySchema.nullable().optional(),
    verifyCommand: verifyCommandSchema.nullable().optional(),
    rateLimitPerMinute: z.number().int().min(1).max(MAX_PROJECT_RATE).nullable().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'change at least one field')
  .meta({ id: 'UpdateErrorProjectRequest' });

export type CreateErrorProjectInput = z.infer<typeof createErrorProjectBody>;
export type UpdateErrorProjectInput = z.infer<typeof updateErrorProjectBody>;

export const consoleDsnSchema = z
  .object({
    dsn: z.string().nullable().meta({
      description: 'The DSN the console reports its own errors to; null when there is no operator org',
    }),
    environment: z.string().meta({ description: "The server's NODE_ENV, to tag the console's events" }),
  })
  .meta({ id: 'ConsoleErrorReporting' });

// ---------------------------------------------------------------------------------------------------
// Issues and events

export const issueSchema = z
  .object({
    id: z.string(),
    shortId: z.string().meta({ example: 'SHOP-12' }),
    projectId: z.string(),
    title: z.string(),
    culprit: z.string().nullable().meta({ description: 'Where it happened: the top in-app frame' }),
    level: issueLevelSchema,
    status: issueStatusSchema,
    count: z.number().int().meta({ description: 'Events grouped into this issue' }),
    userCount: z.number().int().meta({ description: 'Distinct users these events reached' }),
    firstSeen: z.string(),
    lastSeen: z.string(),
    assignee: z.string().nullable().meta({ description: 'A member id (`GET /members`), or null' }),
  })
  .meta({ id: 'Issue' });

const frameSchema = z
  .object({
    filename: z.string().nullable(),
    module: z.string().nullable(),
    function: z.string().nullable(),
    lineno: z.number().nullable(),
    colno: z.number().nullable(),
    absPath: z.string().nullable(),
    inApp: z.boolean(),
    contextLine: z.string().nullable(),
    preContext: z.array(z.string()),
    postContext: z.array(z.string()),
  })
  .meta({ id: 'StackFrame' });

export const issueEventSchema = z
  .object({
    id: z.string(),
    eventId: z.string().meta({ description: "The SDK's event id (32 hex digits)" }),
    issueId: z.string(),
    projectId: z.string(),
    level: issueLevelSchema,
    title: z.string(),
    message: z.string().nullable(),
    platform: z.string().nullable(),
    timestamp: z.string().meta({ description: 'When it happened, as the SDK says' }),
    receivedAt: z.string(),
    release: z.string().nullable(),
    environment: z.string().nullable(),
    serverName: z.string().nullable(),
    transaction: z.string().nullable(),
    exceptions: z
      .array(
        z.object({
          type: z.string().nullable(),
          value: z.string().nullable(),
          module: z.string().nullable(),
          mechanism: z.object({ type: z.string().nullable(), handled: z.boolean().nullable() }).nullable(),
          frames: z.array(frameSchema).meta({ description: 'Oldest call first, as Sentry sends them' }),
        }),
      )
      .meta({ description: 'Chained exceptions, the one raised last at the end' }),
    tags: z.record(z.string(), z.string()),
    breadcrumbs: z.array(
      z.object({
        timestamp: z.string().nullable(),
        type: z.string().nullable(),
        category: z.string().nullable(),
        level: z.string().nullable(),
        message: z.string().nullable(),
        data: z.record(z.string(), z.unknown()).nullable(),
      }),
    ),
    request: z
      .object({
        url: z.string().nullable(),
        method: z.string().nullable(),
        queryString: z.string().nullable(),
        headers: z.record(z.string(), z.string()),
        data: z.unknown().optional(),
      })
      .nullable(),
    user: z
      .object({
        id: z.string().nullable(),
        email: z.string().nullable(),
        username: z.string().nullable(),
        ipAddress: z.string().nullable(),
      })
      .nullable(),
    contexts: z.record(z.string(), z.unknown()),
    sdk: z.object({ name: z.string().nullable(), version: z.string().nullable() }).nullable(),
    fingerprint: z
      .array(z.string())
      .nullable()
      .meta({ description: "The SDK's fingerprint, when it sent one" }),
  })
  .meta({ id: 'IssueEvent' });

export const issueDetailSchema = issueSchema
  .extend({
    latestEvent: issueEventSchema.nullable().meta({ description: 'The newest event, in full' }),
  })
  .meta({ id: 'IssueDetail' });

export const ISSUE_SORTS = ['lastSeen', 'firstSeen', 'count'] as const;

export const listIssuesQuery = pageQuerySchema.extend({
  projectId: z.string().min(1).max(100).optional(),
  status: issueStatusSchema.optional(),
  level: issueLevelSchema.optional(),
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .meta({ description: 'Words in the title, culprit or message (case-insensitive)' }),
  sort: z
    .enum(ISSUE_SORTS)
    .default('lastSeen')
    .meta({ description: 'Newest last seen, newest first seen, or most events first' }),
});

export type ListIssuesQuery = z.infer<typeof listIssuesQuery>;

export const updateIssueBody = z
  .object({
    status: issueStatusSchema.optional(),
    assignee: z
      .string()
      .min(1)
      .max(100)
      .nullable()
      .optional()
      .meta({ description: 'A member id; null unassigns' }),
  })
  .refine((b) => b.status !== undefined || b.assignee !== undefined, 'change the status or the assignee')
  .meta({ id: 'UpdateIssueRequest' });

export type UpdateIssueInput = z.infer<typeof updateIssueBody>;

export const ISSUE_ACTIONS = ['resolve', 'unresolve', 'ignore', 'assign'] as const;

export const bulkIssuesBody = z
  .object({
    ids: z
      .array(z.string().min(1).max(100))
      .min(1)
      .max(100)
      .refine((ids) => new Set(ids).size === ids.length, 'must not repeat an id'),
    action: z.enum(ISSUE_ACTIONS),
    assignee: z
      .string()
      .min(1)
      .max(100)
      .nullable()
      .optional()
      .meta({ description: 'With `assign`: a member id; null unassigns' }),
  })
  .superRefine((b, ctx) => {
    if (b.action === 'assign' && b.assignee === undefined)
      ctx.addIssue({ code: 'custom', path: ['assignee'], message: 'is required with action assign' });
  })
  .meta({ id: 'IssueBulkRequest' });

export type BulkIssuesInput = z.infer<typeof bulkIssuesBody>;

export const bulkIssuesResponse = z
  .object({
    results: z.array(
      z.object({
        id: z.string(),
        ok: z.boolean(),
        issue: issueSchema.optional().meta({ description: 'The issue as it is now, when ok' }),
        error: z.object({ code: z.string(), message: z.string() }).optional(),
      }),
    ),
  })
  .meta({ id: 'IssueBulkResponse' });

export const issueEventsQuery = pageQuerySchema;

export const issueStatsQuery = z.object({
  bucket: z.enum(['hour', 'day']).default('day'),
  from: z.iso.datetime({ offset: true }).optional().meta({ description: 'Default: 30 days before `to`' }),
  to: z.iso.datetime({ offset: true }).optional().meta({ description: 'Default: now' }),
  projectId: z.string().min(1).max(100).optional(),
});

export type IssueStatsQuery = z.infer<typeof issueStatsQuery>;

/** How many issues one trends request answers for: a page of the list. */
export const MAX_TREND_ISSUES = 100;

export const issueTrendsQuery = z.object({
  ids: idListQuery(MAX_TREND_ISSUES, 'issue')
    .optional()
    .meta({
      description: `Comma-separated issue ids; without them, the ${MAX_TREND_ISSUES} issues seen last`,
    }),
  hours: z.coerce
    .number()
    .int()
    .min(1)
    .max(168)
    .default(24)
    .meta({ description: 'How many hours, ending with the one in progress' }),
});

export type IssueTrendsQuery = z.infer<typeof issueTrendsQuery>;

export const issueTrendsSchema = z
  .object({
    from: z.string().meta({ description: 'Start of the first hour (UTC)' }),
    to: z.string().meta({ description: 'End of the hour in progress' }),
    items: z.array(
      z.object({
        issueId: z.string(),
        events: z
          .array(z.number().int())
          .meta({ description: 'Events per hour, oldest first, one per hour' }),
      }),
    ),
  })
  .meta({ id: 'IssueTrends' });

const byLevel = z.object({
  fatal: z.number().int(),
  error: z.number().int(),
  warning: z.number().int(),
  info: z.number().int(),
  debug: z.number().int(),
});

export const issueStatsSchema = z
  .object({
    bucket: z.enum(['hour', 'day']),
    from: z.string(),
    to: z.string(),
    buckets: z
      .array(
        z.object({
          start: z.string(),
          events: z.number().int(),
          byLevel: byLevel.meta({ description: 'Events by level' }),
          newIssues: z.number().int().meta({ description: 'Issues first seen in this bucket' }),
        }),
      )
      .meta({ description: 'Every bucket, empty ones too' }),
    byStatus: z
      .object({
        unresolved: z.number().int(),
        resolved: z.number().int(),
        ignored: z.number().int(),
        regressed: z.number().int(),
      })
      .meta({ description: 'Issues seen in the period, by their status now' }),
    byLevel: byLevel.meta({ description: 'Issues seen in the period, by level' }),
  })
  .meta({ id: 'IssueStats' });

// ---------------------------------------------------------------------------------------------------
// Ingest

export const ingestParams = z.object({
  projectId: z.string().max(40).meta({ description: "The DSN's project id (digits)" }),
});

export const ingestQuery = z
  .object({
    sentry_key: z.string().max(200).optional(),
    sentry_version: z.string().max(20).optional(),
    sentry_client: z.string().max(200).optional(),
  })
  .loose();

export const ingestResponse = z
  .object({
    id: z.string().nullable().meta({ description: 'The event id (null: the envelope held no event)' }),
  })
  .meta({ id: 'IngestAnswer' });
