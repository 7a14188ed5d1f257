import { z } from 'zod';
import { pageQuerySchema } from '../platform/pagination.ts';

const instant = z.iso.datetime({ offset: true });

export const auditQuerySchema = pageQuerySchema.extend({
  actor: z.string().max(100).optional().meta({ description: 'The user, API key or agent id that acted' }),
  action: z.string().max(200).optional().meta({ description: 'e.g. createRole, member.add' }),
  resourceType: z.string().max(100).optional().meta({ description: 'e.g. role, member, api_key' }),
  resourceId: z.string().max(200).optional(),
  outcome: z.enum(['success', 'failure']).optional(),
  since: instant.optional().meta({ description: 'At or after this time' }),
  until: instant.optional().meta({ description: 'At or before this time' }),
  format: z
    .enum(['json', 'csv'])
    .optional()
    .meta({ description: 'csv (or `Accept: text/csv`) exports every matching row, up to 100,000' }),
});

export type AuditQuery = z.infer<typeof auditQuerySchema>;

export const auditEntrySchema = z
  .object({
    id: z.string(),
    at: z.string(),
    actor: z.object({
      type: z.enum(['user', 'api_key', 'agent', 'system', 'anonymous']),
      id: z.string().nullable(),
    }),
    action: z.string(),
    resource: z.object({ type: z.string().nullable(), id: z.string().nullable() }).nullable(),
    outcome: z.enum(['success', 'failure']),
    status: z.number().int().nullable(),
    ip: z.string().nullable(),
    requestId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: 'AuditEntry' });

export type AuditEntry = z.infer<typeof auditEntrySchema>;
