import type { FastifyInstance } from 'fastify';
import { adminRoutes } from './admin/routes.ts';
import { agentsRoutes } from './agents/routes.ts';
import { auditRoutes } from './audit/routes.ts';
import { billingRoutes } from './billing/routes.ts';
import { openaiRoutes } from './chat/openai-routes.ts';
import { chatRoutes } from './chat/routes.ts';
import { conversationsRoutes } from './conversations/routes.ts';
import type { Domains } from './domains.ts';
import { ingestRoutes } from './errors/ingest-routes.ts';
import { errorsRoutes } from './errors/routes.ts';
import { filesRoutes } from './files/routes.ts';
import { fixesRoutes } from './fixes/routes.ts';
import { accessRoutes, authRoutes, jwksRoutes, linkRoutes } from './identity/routes.ts';
import { operationsRoutes } from './operations/routes.ts';
import type { AppContext } from './platform/context.ts';
import { modelProvidersRoutes } from './providers/routes.ts';
import { realtimeRoutes } from './realtime/routes.ts';
import { runsRoutes } from './runs/routes.ts';
import { tasksRoutes } from './tasks/routes.ts';
import { mcpServersRoutes } from './tools/mcp/routes.ts';
import { toolsRoutes } from './tools/routes.ts';
import { usageRoutes } from './usage/routes.ts';
import { webhooksRoutes } from './webhooks/routes.ts';
import { gettingStartedRoutes } from './workspace/getting-started-routes.ts';
import { inboxRoutes } from './workspace/inbox-routes.ts';
import { updatesRoutes } from './workspace/updates-routes.ts';

export const API_PREFIX = '/api/v1';

type RoutePlugin = (app: FastifyInstance) => Promise<void>;

/**
 * Every route of the server, by where it is mounted: operations and JWKS at the root, the API under
 * `/api/v1`, the OpenAI-compatible surface under `/v1` (so OpenAI clients work with base URL
 * `<server>/v1`). A new domain adds its routes here.
 */
export function routeTable(ctx: AppContext, d: Domains): Array<{ prefix: string; routes: RoutePlugin[] }> {
  return [
    {
      prefix: '',
      routes: [
        operationsRoutes(ctx),
        jwksRoutes(d.identity.keyring),
        // Sentry SDKs post to `<DSN host>/api/<ingestId>/envelope/`, outside /api/v1.
        ingestRoutes(d.errors.ingest, ctx.config.errors.maxEventBytes),
      ],
    },
    {
      prefix: API_PREFIX,
      routes: [
        authRoutes(d.identity.auth, { refreshTokenTtlSeconds: ctx.config.refreshTokenTtlSeconds }),
        linkRoutes(d.identity.links, d.mailer),
        accessRoutes(d.identity.access),
        auditRoutes(d.audit.service),
        adminRoutes(d.admin.service, d.admin.restart, d.admin.notice),
        realtimeRoutes(d.realtime),
        agentsRoutes(d.agents),
        usageRoutes({ usage: d.usage.service, pricing: d.usage.pricing, budgets: d.usage.budgets }),
        toolsRoutes(d.tools.service),
        modelProvidersRoutes(d.providers.service),
        mcpServersRoutes(d.tools.mcp),
        conversationsRoutes(d.conversations),
        runsRoutes(d.runs.service),
        webhooksRoutes(d.webhooks),
        inboxRoutes(d.workspace.inbox),
        updatesRoutes(d.workspace.updates),
        gettingStartedRoutes(d.gettingStarted),
        filesRoutes(d.files.service),
        billingRoutes(d.billing.billing),
        tasksRoutes(d.tasks.service),
        errorsRoutes(d.errors.service),
        fixesRoutes(d.fixes.service),
        chatRoutes(d.chat),
      ],
    },
    { prefix: '/v1', routes: [openaiRoutes(d.chat)] },
  ];
}
