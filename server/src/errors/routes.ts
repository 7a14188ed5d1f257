import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorResponses, idParams, requestMeta } from '../platform/http.ts';
import { pageOf, pageQuerySchema } from '../platform/pagination.ts';
import {
  bulkIssuesBody,
  bulkIssuesResponse,
  consoleDsnSchema,
  createErrorProjectBody,
  errorProjectSchema,
  issueDetailSchema,
  issueEventSchema,
  issueEventsQuery,
  issueSchema,
  issueStatsQuery,
  issueStatsSchema,
  issueTrendsQuery,
  issueTrendsSchema,
  listIssuesQuery,
  MAX_TREND_ISSUES,
  updateErrorProjectBody,
  updateIssueBody,
} from './schema.ts';
import type { ErrorsService } from './service.ts';

/** Error projects (with their DSNs), issues, their events and figures. */
export function errorsRoutes(errors: ErrorsService) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const read = { auth: { permission: 'errors:read' } };
    const write = { auth: { permission: 'errors:write' } };
    const projectTags = ['error-projects'];
    const issueTags = ['issues'];

    app.get(
      '/error-projects',
      {
        config: read,
        schema: {
          operationId: 'listErrorProjects',
          tags: projectTags,
          summary: "The organisation's error projects, oldest first, each with its DSN",
          querystring: pageQuerySchema,
          response: { 200: pageOf(errorProjectSchema), ...errorResponses },
        },
      },
      async (request) => errors.listProjects(principalOf(request), request.query),
    );

    app.post(
      '/error-projects',
      {
        config: write,
        schema: {
          operationId: 'createErrorProject',
          tags: projectTags,
          summary: 'Create an error project; give its DSN to a Sentry SDK',
          body: createErrorProjectBody,
          response: { 201: errorProjectSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await errors.createProject(principalOf(request), request.body, requestMeta(request))),
    );

    app.get(
      '/error-projects/console',
      {
        config: { auth: 'authenticated' },
        schema: {
          operationId: 'getConsoleErrorReporting',
          tags: projectTags,
          summary: 'The DSN the console reports its own errors to (the built-in Switchboard project)',
          description:
            "The operator organisation's built-in project, made on first use; any signed-in user may read " +
            'it, as a DSN only lets one send events. Initialise `@sentry/browser` with it.',
          response: { 200: consoleDsnSchema, ...errorResponses },
        },
      },
      async () => errors.consoleReporting(),
    );

    app.get(
      '/error-projects/:id',
      {
        config: read,
        schema: {
          operationId: 'getErrorProject',
          tags: projectTags,
          params: idParams,
          response: { 200: errorProjectSchema, ...errorResponses },
        },
      },
      async (request) => errors.getProject(principalOf(request), request.params.id),
    );

    app.patch(
      '/error-projects/:id',
      {
        config: write,
        schema: {
          operationId: 'updateErrorProject',
          tags: projectTags,
          summary: "Change a project's name, platform, repository, verify command or rate limit",
          params: idParams,
          body: updateErrorProjectBody,
          response: { 200: errorProjectSchema, ...errorResponses },
        },
      },
      async (request) =>
        errors.updateProject(principalOf(request), request.params.id, request.body, requestMeta(request)),
    );

    app.delete(
      '/error-projects/:id',
      {
        config: write,
        schema: {
          operationId: 'deleteErrorProject',
          tags: projectTags,
          summary: 'Delete a project with its issues and events; its DSN stops working',
          params: idParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await errors.removeProject(principalOf(request), request.params.id, requestMeta(request));
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/issues',
      {
        config: read,
        schema: {
          operationId: 'listIssues',
          tags: issueTags,
          summary:
            'Issues filtered by project, status, level and text, sorted by last seen, first seen or count',
          description: 'The cursor carries the sort value and id, so pages stay stable under the sort.',
          querystring: listIssuesQuery,
          response: { 200: pageOf(issueSchema), ...errorResponses },
        },
      },
      async (request) => errors.listIssues(principalOf(request), request.query),
    );

    app.get(
      '/issues/stats',
      {
        config: read,
        schema: {
          operationId: 'getIssueStats',
          tags: issueTags,
          summary:
            'Events per hour or day by level and new issues, every bucket present; issues by status and level',
          querystring: issueStatsQuery,
          response: { 200: issueStatsSchema, ...errorResponses },
        },
      },
      async (request) => errors.stats(principalOf(request), request.query),
    );

    app.get(
      '/issues/trends',
      {
        config: read,
        schema: {
          operationId: 'getIssueTrends',
          tags: issueTags,
          summary: `Events per hour of up to ${MAX_TREND_ISSUES} issues at once, for the list's sparklines`,
          description:
            'One series per issue of your org, every hour present, ending with the hour in progress; ids that are not your issues are left out.',
          querystring: issueTrendsQuery,
          response: { 200: issueTrendsSchema, ...errorResponses },
        },
      },
      async (request) => errors.trends(principalOf(request), request.query),
    );

    app.post(
      '/issues/bulk',
      {
        config: write,
        schema: {
          operationId: 'bulkIssues',
          tags: issueTags,
          summary: 'Resolve, unresolve, ignore or assign up to 100 issues; each answers for itself',
          body: bulkIssuesBody,
          response: { 200: bulkIssuesResponse, ...errorResponses },
        },
      },
      async (request) => ({
        results: await errors.bulkIssues(principalOf(request), request.body, requestMeta(request)),
      }),
    );

    app.get(
      '/issues/:id',
      {
        config: read,
        schema: {
          operationId: 'getIssue',
          tags: issueTags,
          summary: 'An issue with its latest event in full',
          params: idParams,
          response: { 200: issueDetailSchema, ...errorResponses },
        },
      },
      async (request) => errors.getIssue(principalOf(request), request.params.id),
    );

    app.patch(
      '/issues/:id',
      {
        config: write,
        schema: {
          operationId: 'updateIssue',
          tags: issueTags,
          summary: "Change an issue's status or assignee (a member id; null unassigns)",
          params: idParams,
          body: updateIssueBody,
          response: { 200: issueSchema, ...errorResponses },
        },
      },
      async (request) =>
        errors.updateIssue(principalOf(request), request.params.id, request.body, requestMeta(request)),
    );

    app.get(
      '/issues/:id/events',
      {
        config: read,
        schema: {
          operationId: 'listIssueEvents',
          tags: issueTags,
          summary: "An issue's events, newest first",
          params: idParams,
          querystring: issueEventsQuery,
          response: { 200: pageOf(issueEventSchema), ...errorResponses },
        },
      },
      async (request) => errors.listEvents(principalOf(request), request.params.id, request.query),
    );
  };
}
