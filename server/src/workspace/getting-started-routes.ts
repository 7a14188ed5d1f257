import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorResponses } from '../platform/http.ts';
import { GETTING_STARTED_STEPS, type GettingStarted } from './getting-started.ts';

const gettingStartedSchema = z
  .object({
    dismissed: z.boolean().meta({ description: 'You put the list away (per person and org)' }),
    complete: z.boolean(),
    steps: z.array(
      z.object({
        id: z.enum(GETTING_STARTED_STEPS).meta({
          description:
            'chat: someone ran an agent; provider: a model provider besides the built-in one is set; member: someone else joined; api_key: an API key was created',
        }),
        done: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'GettingStarted' });

/** The dashboard's getting-started list. */
export function gettingStartedRoutes(list: GettingStarted) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['workspace'];
    app.get(
      '/getting-started',
      {
        config: { auth: 'authenticated' },
        schema: {
          operationId: 'getGettingStarted',
          tags,
          summary: "Your org's first steps, each ticked off from what it has done",
          response: { 200: gettingStartedSchema, ...errorResponses },
        },
      },
      async (request) => list.get(principalOf(request)),
    );
    app.put(
      '/getting-started',
      {
        config: { auth: 'authenticated' },
        schema: {
          operationId: 'updateGettingStarted',
          tags,
          summary: 'Put the list away (or bring it back)',
          body: z.strictObject({ dismissed: z.boolean() }).meta({ id: 'UpdateGettingStartedRequest' }),
          response: { 200: gettingStartedSchema, ...errorResponses },
        },
      },
      async (request) => list.setDismissed(principalOf(request), request.body.dismissed),
    );
  };
}
