import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorResponses, idParams, requestMeta } from '../platform/http.ts';
import { pageOf, pageQuerySchema } from '../platform/pagination.ts';
import {
  conversationSchema,
  createConversationBody,
  listConversationsQuery,
  messageSchema,
  updateConversationBody,
} from './schema.ts';
import type { ConversationService } from './service.ts';

/** Conversations and their messages; chatting itself is `/chat`. */
export function conversationsRoutes(conversations: ConversationService) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['conversations'];

    app.get(
      '/conversations',
      {
        config: { auth: { permission: 'conversations:read' } },
        schema: {
          operationId: 'listConversations',
          tags,
          summary: 'Conversations of your organisation, newest first',
          querystring: listConversationsQuery,
          response: { 200: pageOf(conversationSchema), ...errorResponses },
        },
      },
      async (request) => conversations.list(principalOf(request), request.query),
    );

    app.post(
      '/conversations',
      {
        config: { auth: { permission: 'chat:write' } },
        schema: {
          operationId: 'createConversation',
          tags,
          summary: 'Start an empty conversation with an agent',
          body: createConversationBody,
          response: { 201: conversationSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await conversations.create(principalOf(request), request.body)),
    );

    app.get(
      '/conversations/:id',
      {
        config: { auth: { permission: 'conversations:read' } },
        schema: {
          operationId: 'getConversation',
          tags,
          params: idParams,
          response: { 200: conversationSchema, ...errorResponses },
        },
      },
      async (request) => conversations.get(principalOf(request), request.params.id),
    );

    app.patch(
      '/conversations/:id',
      {
        config: { auth: { permission: 'conversations:write' } },
        schema: {
          operationId: 'updateConversation',
          tags,
          summary: 'Rename a conversation',
          params: idParams,
          body: updateConversationBody,
          response: { 200: conversationSchema, ...errorResponses },
        },
      },
      async (request) =>
        conversations.rename(
          principalOf(request),
          request.params.id,
          request.body.title,
          requestMeta(request),
        ),
    );

    app.delete(
      '/conversations/:id',
      {
        config: { auth: { permission: 'conversations:write' } },
        schema: {
          operationId: 'deleteConversation',
          tags,
          summary: 'Delete a conversation and all its messages',
          params: idParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await conversations.remove(principalOf(request), request.params.id, requestMeta(request));
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/conversations/:id/messages',
      {
        config: { auth: { permission: 'conversations:read' } },
        schema: {
          operationId: 'listConversationMessages',
          tags,
          summary: 'Messages of a conversation, oldest first',
          params: idParams,
          querystring: pageQuerySchema,
          response: { 200: pageOf(messageSchema), ...errorResponses },
        },
      },
      async (request) => conversations.messages(principalOf(request), request.params.id, request.query),
    );
  };
}
