import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../platform/auth.ts';
import { errorResponses } from '../platform/http.ts';
import { pageOf } from '../platform/pagination.ts';
import { auditEntrySchema, auditQuerySchema } from './schema.ts';
import { AUDIT_EXPORT_MAX_ROWS, type AuditService } from './service.ts';

/** `GET /audit`: the org's trail as a page of JSON, or every matching row as CSV. */
export function auditRoutes(audit: AuditService) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/audit',
      {
        config: { auth: { permission: 'audit:read' } },
        schema: {
          operationId: 'listAudit',
          tags: ['audit'],
          summary: 'Who did what: every change, sign-in and refusal in your organisation',
          description:
            'Newest first. `?format=csv` or `Accept: text/csv` exports every matching row ' +
            `(up to ${AUDIT_EXPORT_MAX_ROWS.toLocaleString('en')}) as text/csv instead of a page.`,
          querystring: auditQuerySchema,
          response: { 200: pageOf(auditEntrySchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        const p = principalOf(request);
        const wantsCsv =
          request.query.format === 'csv' ||
          (request.query.format === undefined && (request.headers.accept ?? '').includes('text/csv'));
        if (!wantsCsv) return audit.list(p, request.query);
        // Fail on bad filters with a JSON error before the CSV stream starts.
        const lines = audit.exportCsv(p, request.query);
        const first = await lines.next();
        async function* all() {
          if (!first.done) yield first.value;
          yield* lines;
        }
        const day = new Date().toISOString().slice(0, 10);
        // The typed reply only knows the JSON schema; the CSV goes out as a plain stream.
        const plain: FastifyReply = reply;
        return plain
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="audit-${day}.csv"`)
          .header('x-export-limit', String(AUDIT_EXPORT_MAX_ROWS))
          .send(Readable.from(all()));
      },
    );
  };
}
