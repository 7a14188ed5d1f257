import { z } from 'zod';
import { PROVIDER_NAME } from './models/resolver.ts';

const providerName = z
  .string()
  .regex(
    PROVIDER_NAME,
    'must be lower-case letters, digits and dashes, starting with a letter, at most 32 long',
  );

export const providerNameParams = z.object({ name: providerName });

export const modelProviderSchema = z
  .object({
    name: z.string(),
    kind: z.enum(['builtin', 'openai', 'anthropic', 'openai_compatible']),
    baseUrl: z.string().nullable(),
    apiKeySet: z.boolean().meta({ description: 'Whether a key is stored; the key itself is never returned' }),
    source: z.enum(['builtin', 'server', 'org']).meta({
      description: 'builtin: ships with Switchboard; server: from the environment; org: set through this API',
    }),
    configured: z.boolean().meta({ description: 'Whether models of this provider can be called now' }),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'ModelProvider' });

export const putModelProviderBody = z
  .strictObject({
    name: providerName.meta({
      description:
        'openai, anthropic, or a name of your own for an OpenAI-compatible server (models are name:model)',
    }),
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .max(500)
      .nullable()
      .optional()
      .meta({ description: 'Required for providers other than openai and anthropic' }),
    apiKey: z
      .string()
      .min(1)
      .max(500)
      .nullable()
      .optional()
      .meta({ description: 'Stored encrypted; null removes it, leaving it out keeps the current one' }),
  })
  .meta({ id: 'PutModelProviderRequest' });
