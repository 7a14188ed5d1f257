import { z } from 'zod';
import { DEFAULT_MODEL } from '../providers/models/resolver.ts';
import { guardrailSchema, guardrailsSchema } from './guardrails.ts';

const id = z.string().min(1).max(100);

export const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const slug = z
  .string()
  .min(1)
  .max(60)
  .regex(SLUG, 'must be lower-case letters, digits and single dashes, e.g. billing-support');

export const modelSettingsSchema = z
  .strictObject({
    temperature: z.number().min(0).max(2).optional(),
    topP: z.number().min(0).max(1).optional(),
    maxTokens: z.number().int().min(1).max(1_000_000).optional(),
    toolChoice: z.enum(['auto', 'required', 'none']).optional(),
    parallelToolCalls: z.boolean().optional(),
  })
  .meta({ id: 'AgentModelSettings', description: 'Passed to the model on every call' });

const model = z
  .string()
  .min(3)
  .max(240)
  .meta({ description: '`provider:model`, e.g. `openai:gpt-4.1`', example: DEFAULT_MODEL });

const fields = {
  name: z.string().trim().min(1).max(120),
  slug: slug.meta({ description: 'Unique in the org; derived from the name when not given' }),
  description: z.string().max(2000),
  instructions: z.string().max(50_000).meta({ description: 'The system prompt' }),
  model,
  tools: z.array(z.string().min(1).max(64)).max(64).meta({ description: 'Tool names from GET /tools' }),
  handoffs: z
    .array(id)
    .max(32)
    .meta({ description: 'Ids of agents of the same org this one may hand off to' }),
  modelSettings: modelSettingsSchema,
  guardrails: guardrailsSchema,
};

export const agentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    slug: z.string(),
    description: z.string(),
    instructions: z.string(),
    model: z.string(),
    tools: z.array(z.string()),
    handoffs: z.array(z.string()),
    modelSettings: modelSettingsSchema,
    guardrails: z.array(guardrailSchema),
    version: z.number().int().meta({ description: 'Goes up by one with every change' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Agent' });

export const createAgentBody = z
  .strictObject({
    name: fields.name,
    slug: fields.slug.optional(),
    description: fields.description.optional(),
    instructions: fields.instructions.optional(),
    model: fields.model.optional().meta({ description: `Default ${DEFAULT_MODEL}` }),
    tools: fields.tools.optional(),
    handoffs: fields.handoffs.optional(),
    modelSettings: fields.modelSettings.optional(),
    guardrails: fields.guardrails.optional(),
  })
  .meta({ id: 'CreateAgentRequest' });

export const updateAgentBody = z
  .strictObject({
    name: fields.name.optional(),
    slug: fields.slug.optional(),
    description: fields.description.optional(),
    instructions: fields.instructions.optional(),
    model: fields.model.optional(),
    tools: fields.tools.optional(),
    handoffs: fields.handoffs.optional(),
    modelSettings: fields.modelSettings.optional(),
    guardrails: fields.guardrails.optional(),
    expectedVersion: z
      .number()
      .int()
      .min(1)
      .optional()
      .meta({ description: 'Refuse the change (409) unless the agent is still at this version' }),
  })
  .meta({ id: 'UpdateAgentRequest' });

export type CreateAgentInput = z.infer<typeof createAgentBody>;
export type UpdateAgentInput = z.infer<typeof updateAgentBody>;

export const agentVersionSchema = z
  .object({
    version: z.number().int(),
    agent: agentSchema.omit({ version: true, createdAt: true, updatedAt: true }),
    changedBy: z.string().meta({ description: 'The user or API key that made the change' }),
    createdAt: z.string(),
  })
  .meta({ id: 'AgentVersion' });
