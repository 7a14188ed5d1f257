import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorResponses, idListQuery, idParams } from '../platform/http.ts';
import { pageOf } from '../platform/pagination.ts';
import type { Budgets } from './budgets.ts';
import type { Pricing } from './pricing.ts';
import {
  agentHealthSchema,
  budgetSchema,
  createBudgetBody,
  healthQuerySchema,
  modelParams,
  monthUsageSchema,
  priceSchema,
  putPriceBody,
  summaryQuery,
  summarySchema,
  timelineQuery,
  timelineSchema,
  updateBudgetBody,
  usageErrorSchema,
  usageErrorsQuery,
} from './schema.ts';
import { MAX_HEALTH_BATCH, type UsageService } from './service.ts';

/** Usage: what model calls cost (summary, timeline, failures), prices, budgets, and agents' health. */
export function usageRoutes(deps: { usage: UsageService; pricing: Pricing; budgets: Budgets }) {
  const { usage, pricing, budgets } = deps;
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['usage'];
    const read = { auth: { permission: 'usage:read' } };
    const write = { auth: { permission: 'budgets:write' } };

    app.get(
      '/usage/summary',
      {
        config: read,
        schema: {
          operationId: 'getUsageSummary',
          tags,
          summary: 'Calls, tokens and cost over a period, in total and per model, agent, user or API key',
          querystring: summaryQuery,
          response: { 200: summarySchema, ...errorResponses },
        },
      },
      async (request) => usage.summary(principalOf(request), request.query),
    );

    app.get(
      '/usage/timeline',
      {
        config: read,
        schema: {
          operationId: 'getUsageTimeline',
          tags,
          summary: 'Calls, tokens and cost per hour or day, every bucket present',
          querystring: timelineQuery,
          response: { 200: timelineSchema, ...errorResponses },
        },
      },
      async (request) => usage.timeline(principalOf(request), request.query),
    );

    app.get(
      '/usage/errors',
      {
        config: read,
        schema: {
          operationId: 'listUsageErrors',
          tags,
          summary: 'Failed model calls, newest first',
          querystring: usageErrorsQuery,
          response: { 200: pageOf(usageErrorSchema), ...errorResponses },
        },
      },
      async (request) => usage.errors(principalOf(request), request.query),
    );

    app.get(
      '/usage/month',
      {
        config: read,
        schema: {
          operationId: 'getMonthUsage',
          tags,
          summary: "This calendar month's calls, tokens and cost (what usage.recorded carries live)",
          response: { 200: monthUsageSchema, ...errorResponses },
        },
      },
      async (request) => usage.monthTotals(principalOf(request)),
    );

    app.get(
      '/usage/prices',
      {
        config: read,
        schema: {
          operationId: 'listModelPrices',
          tags,
          summary: "Model prices: the built-in ones and your organisation's own",
          response: { 200: z.object({ items: z.array(priceSchema) }), ...errorResponses },
        },
      },
      async (request) => ({ items: await pricing.list(principalOf(request)) }),
    );

    app.put(
      '/usage/prices/:model',
      {
        config: write,
        schema: {
          operationId: 'putModelPrice',
          tags,
          summary: 'Price a model for your organisation (calls from now on are costed at it)',
          params: modelParams,
          body: putPriceBody,
          response: { 200: priceSchema, ...errorResponses },
        },
      },
      async (request) => pricing.put(principalOf(request), request.params.model, request.body),
    );

    app.delete(
      '/usage/prices/:model',
      {
        config: write,
        schema: {
          operationId: 'deleteModelPrice',
          tags,
          summary: "Drop your organisation's price of a model (the built-in one applies again)",
          params: modelParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await pricing.remove(principalOf(request), request.params.model);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/usage/budgets',
      {
        config: read,
        schema: {
          operationId: 'listBudgets',
          tags,
          summary: 'Budgets with what they spent this period',
          response: { 200: z.object({ items: z.array(budgetSchema) }), ...errorResponses },
        },
      },
      async (request) => budgets.list(principalOf(request)),
    );

    app.post(
      '/usage/budgets',
      {
        config: write,
        schema: {
          operationId: 'createBudget',
          tags,
          summary:
            'Limit what the org, an agent, a user or an API key may spend per day, week, month or in total',
          body: createBudgetBody,
          response: { 201: budgetSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await budgets.create(principalOf(request), request.body)),
    );

    app.get(
      '/usage/budgets/:id',
      {
        config: read,
        schema: {
          operationId: 'getBudget',
          tags,
          params: idParams,
          response: { 200: budgetSchema, ...errorResponses },
        },
      },
      async (request) => budgets.get(principalOf(request), request.params.id),
    );

    app.patch(
      '/usage/budgets/:id',
      {
        config: write,
        schema: {
          operationId: 'updateBudget',
          tags,
          params: idParams,
          body: updateBudgetBody,
          response: { 200: budgetSchema, ...errorResponses },
        },
      },
      async (request) => budgets.update(principalOf(request), request.params.id, request.body),
    );

    app.delete(
      '/usage/budgets/:id',
      {
        config: write,
        schema: {
          operationId: 'deleteBudget',
          tags,
          params: idParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await budgets.remove(principalOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/agents/health',
      {
        config: { auth: { permission: 'agents:read' } },
        schema: {
          operationId: 'listAgentHealth',
          tags: ['agents'],
          summary: `The health of many agents at once (the ids given, or the org's first ${MAX_HEALTH_BATCH})`,
          description:
            'Each item is what GET /agents/{id}/health answers; ids that are not agents of your org are left out.',
          querystring: healthQuerySchema.extend({
            ids: idListQuery(MAX_HEALTH_BATCH, 'agent').optional(),
          }),
          response: { 200: z.object({ items: z.array(agentHealthSchema) }), ...errorResponses },
        },
      },
      async (request) => ({
        items: await usage.healthOf(principalOf(request), request.query.window, request.query.ids),
      }),
    );

    app.get(
      '/agents/:id/health',
      {
        config: { auth: { permission: 'agents:read' } },
        schema: {
          operationId: 'getAgentHealth',
          tags: ['agents'],
          summary:
            'Success rate, errors, latency p50/p95, tokens and last activity of the agent over a recent window',
          description:
            "Computed from the usage records of the agent's model calls (chat and runs alike). Each call made after a hand-off counts for the agent that made it.",
          params: idParams,
          querystring: healthQuerySchema,
          response: { 200: agentHealthSchema, ...errorResponses },
        },
      },
      async (request) => usage.health(principalOf(request), request.params.id, request.query.window),
    );
  };
}
