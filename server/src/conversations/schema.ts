import { z } from 'zod';
import { pageQuerySchema } from '../platform/pagination.ts';

const id = z.string().min(1).max(100);

const title = z.string().trim().min(1).max(200);

export const conversationSchema = z
  .object({
    id: z.string(),
    agentId: z.string().meta({ description: 'The agent the conversation was started with' }),
    title: z.string(),
    createdBy: z.string().meta({ description: 'The user or API key that started it' }),
    messageCount: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Conversation' });

export const messageSchema = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    seq: z.number().int().meta({ description: 'Position in the conversation, from 1' }),
    role: z.enum(['user', 'assistant', 'tool_call', 'tool_result', 'handoff']),
    agentId: z.string().nullable(),
    content: z.string().meta({
      description: 'Text; for tool_call the JSON arguments, for tool_result the output',
    }),
    data: z
      .object({
        toolName: z.string().optional(),
        callId: z.string().optional(),
        arguments: z.unknown().optional(),
        isError: z.boolean().optional(),
        incomplete: z.boolean().optional(),
        from: z.string().optional(),
        to: z.string().optional(),
      })
      .meta({ description: 'Role-specific fields: the tool call, or the hand-off from and to' }),
    createdAt: z.string(),
  })
  .meta({ id: 'ConversationMessage' });

export const listConversationsQuery = pageQuerySchema.extend({
  agentId: id.optional().meta({ description: 'Only conversations started with this agent' }),
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .meta({ description: 'Only conversations whose title contains this text (any case)' }),
});

export const createConversationBody = z
  .strictObject({
    agentId: id,
    title: title.optional().meta({ description: 'Default: "Conversation with <agent name>"' }),
  })
  .meta({ id: 'CreateConversationRequest' });

export const updateConversationBody = z.strictObject({ title }).meta({ id: 'UpdateConversationRequest' });
