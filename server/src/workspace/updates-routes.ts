import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorResponses } from '../platform/http.ts';
import { pageOf, pageQuerySchema } from '../platform/pagination.ts';
import { SUBJECT_TYPES, UPDATE_KINDS } from './updates-kinds.ts';
import { decodeFeedCursor, type UpdatesService } from './updates-service.ts';

export const updateSchema = z
  .object({
    id: z.string(),
    kind: z.enum(UPDATE_KINDS),
    summary: z.string().meta({
      description:
        'Short and human: a verb phrase after the actor ("created agent Triage"), or a sentence when ' +
        'there is no actor ("run of Triage succeeded")',
    }),
    actor: z
      .object({
        kind: z.enum(['user', 'api_key']),
        id: z.string(),
        name: z
          .string()
          .nullable()
          .meta({ description: 'The person or key name, when they still exist and you may see them' }),
      })
      .nullable()
      .meta({ description: 'Who did it; null for what the platform did (a run finishing)' }),
    subject: z
      .object({ type: z.enum(SUBJECT_TYPES), id: z.string() })
      .nullable()
      .meta({ description: 'What it is about, when that has an id' }),
    at: z.string(),
  })
  .meta({ id: 'Update' });

const updatesQuery = pageQuerySchema.extend({
  cursor: z
    .string()
    .max(200, { abort: true })
    .refine((c) => decodeFeedCursor(c) !== undefined, 'is not a cursor of this feed')
    .optional()
    .meta({ description: 'The nextCursor of the previous page' }),
});

/** The org's activity feed. */
export function updatesRoutes(updates: UpdatesService) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/updates',
      {
        // The permission that names the activity feed; every built-in role, viewer included, holds it.
        config: { auth: { permission: 'tasks:read' } },
        schema: {
          operationId: 'listUpdates',
          tags: ['workspace'],
          summary: "The organisation's recent activity, newest first",
          description:
            'Changes people made (agents, members, roles, API keys, approvals, settings) and runs that ' +
            'finished or wait for approval. Only kinds your permissions let you see are listed.',
          querystring: updatesQuery,
          response: { 200: pageOf(updateSchema), ...errorResponses },
        },
      },
      async (request) => updates.list(principalOf(request), request.query),
    );
  };
}
