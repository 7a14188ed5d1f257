import { z } from 'zod';
import { pageQuerySchema } from '../platform/pagination.ts';

export const FIX_STATUSES = [
  'queued',
  'analyzing',
  'proposed',
  'rejected',
  'applying',
  'applied',
  'verifying',
  'verified',
  'verification_failed',
  'failed',
] as const;

export const fixStatusSchema = z.enum(FIX_STATUSES);

export const fixSchema = z
  .object({
    id: z.string(),
    issueId: z.string(),
    issueShortId: z
      .string()
      .meta({ example: 'SHOP-12', description: 'The issue the fix is for, by its short id' }),
    projectId: z.string(),
    agentId: z.string().meta({ description: 'The fixer agent whose run works the fix' }),
    status: fixStatusSchema,
    runId: z.string().nullable().meta({ description: 'The run of the fixer; follow it on `runs:<id>`' }),
    instructions: z.string(),
    rootCause: z.string().nullable().meta({ description: "The fixer's explanation (its final answer)" }),
    diff: z.string().nullable().meta({ description: 'The unified diff of the proposed edits' }),
    files: z.array(z.string()),
    edits: z
      .array(z.object({ path: z.string(), find: z.string(), replace: z.string() }))
      .meta({ description: 'The exact-text edits, in order, as `repo.propose_patch` recorded them' }),
    repository: z.object({
      path: z.string(),
      branch: z.string(),
      baseCommit: z.string().meta({ description: 'The branch commit the fixer read' }),
    }),
    branch: z.string().nullable().meta({
      description: "`switchboard/fix-<issue's shortId>` (`-2`, `-3`… when taken), once applied",
    }),
    commit: z.string().nullable(),
    committedAt: z.string().nullable(),
    verify: z
      .object({ command: z.array(z.string()), exitCode: z.number().int().nullable(), outputTail: z.string() })
      .nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    requestedBy: z.string(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    rejectReason: z.string().nullable(),
    holding: z.boolean().nullable().meta({
      description:
        "Null until applied; false once the issue's error came back in a later release after the fix's commit",
    }),
    regressedAt: z.string().nullable(),
    regressedRelease: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Fix' });

export const requestFixBody = z
  .object({
    agentId: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .meta({ description: 'The agent that works the fix; default: the org\'s "Fixer", made on first use' }),
    instructions: z
      .string()
      .max(20_000)
      .optional()
      .meta({ description: "What the person asks of the fixer; it comes first in the run's input" }),
  })
  .meta({ id: 'RequestFixRequest' });

export const rejectFixBody = z
  .object({ reason: z.string().max(2_000).optional() })
  .meta({ id: 'RejectFixRequest' });

export const listFixesQuery = pageQuerySchema;

export type RequestFixInput = z.infer<typeof requestFixBody>;
