import { z } from 'zod';

export const toolSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    parameters: z.record(z.string(), z.unknown()).meta({ description: 'JSON schema of the arguments' }),
    requiresApproval: z.boolean(),
    source: z.string().meta({ description: 'builtin, or where the tool comes from' }),
    agents: z
      .array(z.object({ id: z.string(), slug: z.string(), name: z.string() }))
      .meta({ description: 'Agents of the org that may use it' }),
  })
  .meta({ id: 'Tool' });

export const httpAllowlistSchema = z
  .object({
    hosts: z.array(z.string()),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'HttpAllowlist' });

export const putHttpAllowlistBody = z
  .strictObject({
    hosts: z.array(z.string().min(1).max(253)).max(200).meta({
      description: 'Host names (example.com), sub-domain wildcards (*.example.com) or IP addresses',
    }),
  })
  .meta({ id: 'PutHttpAllowlistRequest' });
