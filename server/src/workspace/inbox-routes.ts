import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorResponses, idParams } from '../platform/http.ts';
import { pageQuerySchema } from '../platform/pagination.ts';
import type { InboxService } from './inbox-service.ts';

export const inboxItemSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['approval', 'notice']),
    title: z.string(),
    body: z.string(),
    runId: z.string().nullable(),
    payload: z.record(z.string(), z.unknown()),
    status: z.enum(['open', 'closed']),
    decision: z.enum(['approved', 'rejected']).nullable(),
    decisionReason: z.string().nullable(),
    decidedBy: z.string().nullable(),
    read: z.boolean(),
    readAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'InboxItem' });

const listQuery = pageQuerySchema.extend({
  status: z.enum(['open', 'closed']).optional(),
  kind: z.enum(['approval', 'notice']).optional(),
  unread: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
});
const decisionBody = z.object({ reason: z.string().max(2000).optional() }).meta({ id: 'DecisionRequest' });
const readBody = z.object({ read: z.boolean().default(true) }).meta({ id: 'MarkReadRequest' });
const bulkBody = z
  .strictObject({
    ids: z
      .array(z.string().min(1).max(100))
      .min(1)
      .max(100)
      .refine((ids) => new Set(ids).size === ids.length, 'must not repeat an id'),
    action: z.enum(['read', 'unread', 'close', 'approve', 'reject']),
    reason: z.string().max(2000).optional().meta({ description: 'With approve or reject' }),
  })
  .meta({ id: 'InboxBulkRequest' });
const bulkResponse = z
  .object({
    items: z.array(
      z.union([
        z.object({ id: z.string(), ok: z.literal(true), item: inboxItemSchema }),
        z.object({
          id: z.string(),
          ok: z.literal(false),
          error: z.object({ code: z.string(), message: z.string() }),
        }),
      ]),
    ),
  })
  .meta({ id: 'InboxBulkResponse' });

/** The inbox: approvals and notices for people. */
export function inboxRoutes(inbox: InboxService) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['inbox'];
    const item = { 200: inboxItemSchema, ...errorResponses };

    app.get(
      '/inbox',
      {
        config: { auth: { permission: 'inbox:read' } },
        schema: {
          operationId: 'listInbox',
          tags,
          summary: 'Inbox items, newest first, with the unread count',
          querystring: listQuery,
          response: {
            200: z.object({
              items: z.array(inboxItemSchema),
              nextCursor: z.string().nullable(),
              unread: z.number().int(),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => inbox.list(principalOf(request), request.query),
    );
    app.get(
      '/inbox/:id',
      {
        config: { auth: { permission: 'inbox:read' } },
        schema: { operationId: 'getInboxItem', tags, params: idParams, response: item },
      },
      async (request) => inbox.get(principalOf(request), request.params.id),
    );
    app.post(
      '/inbox/bulk',
      {
        config: { auth: { permission: 'inbox:write' } },
        schema: {
          operationId: 'bulkInbox',
          tags,
          summary: 'One action on up to 100 items; each item answers for itself',
          description:
            'Runs `action` on each id in order. An item that cannot take it (not found in your org, an ' +
            'approval already decided, an open approval to close) answers `ok: false` with the error; the ' +
            'others go ahead. Approving or rejecting resumes each run as the single routes do.',
          body: bulkBody,
          response: { 200: bulkResponse, ...errorResponses },
        },
      },
      async (request) => {
        const { ids, action, reason } = request.body;
        return { items: await inbox.bulk(principalOf(request), ids, action, reason) };
      },
    );
    app.patch(
      '/inbox/:id/read',
      {
        config: { auth: { permission: 'inbox:write' } },
        schema: {
          operationId: 'markInboxRead',
          tags,
          params: idParams,
          body: readBody.nullish(),
          response: item,
        },
      },
      async (request) => inbox.markRead(principalOf(request), request.params.id, request.body?.read ?? true),
    );
    app.post(
      '/inbox/:id/close',
      {
        config: { auth: { permission: 'inbox:write' } },
        schema: { operationId: 'closeInboxItem', tags, params: idParams, response: item },
      },
      async (request) => inbox.close(principalOf(request), request.params.id),
    );
    app.post(
      '/inbox/:id/approve',
      {
        config: { auth: { permission: 'inbox:write' } },
        schema: {
          operationId: 'approveInboxItem',
          tags,
          summary: 'Approve the tool call; its run resumes where it stopped',
          params: idParams,
          body: decisionBody.nullish(),
          response: item,
        },
      },
      async (request) => inbox.approve(principalOf(request), request.params.id, request.body?.reason),
    );
    app.post(
      '/inbox/:id/reject',
      {
        config: { auth: { permission: 'inbox:write' } },
        schema: {
          operationId: 'rejectInboxItem',
          tags,
          summary: 'Reject the tool call; the agent continues with the reason instead of the result',
          params: idParams,
          body: decisionBody.nullish(),
          response: item,
        },
      },
      async (request) => inbox.reject(principalOf(request), request.params.id, request.body?.reason),
    );
  };
}
