import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../platform/auth.ts';
import { errorResponses, idParams, requestMeta } from '../platform/http.ts';
import { pageOf } from '../platform/pagination.ts';
import { fixSchema, listFixesQuery, rejectFixBody, requestFixBody } from './schema.ts';
import type { FixesService } from './service.ts';

/** Fixes of error issues: request one, follow it, and decide it. */
export function fixesRoutes(fixes: FixesService) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['fixes'];
    const read = { auth: { permission: 'errors:read' } };
    const write = { auth: { permission: 'errors:write' } };

    app.post(
      '/issues/:id/fixes',
      {
        config: write,
        schema: {
          operationId: 'requestFix',
          tags,
          summary: 'Ask the fixer agent to propose a fix for an issue',
          description:
            'Starts a run of the fixer (`agentId`, default the org\'s "Fixer", made on first use) whose input ' +
            "is the instructions, then the issue, its latest event and stack trace. It reads the project's " +
            'repository at the branch tip of now with `repo.list`, `repo.read`, `repo.search`, and records ' +
            'edits with `repo.propose_patch`. Follow the run on `runs:<runId>` and the fix by `fix.updated` ' +
            'on `issues`. A project without a repository answers 409 `repository_not_configured`; one ' +
            'outside `FIX_REPOSITORY_ROOTS` 403 `repository_not_allowed`.',
          params: idParams,
          body: requestFixBody,
          response: { 202: fixSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply
          .status(202)
          .send(
            await fixes.request(
              principalOf(request),
              request.params.id,
              request.body ?? {},
              requestMeta(request),
            ),
          ),
    );

    app.get(
      '/issues/:id/fixes',
      {
        config: read,
        schema: {
          operationId: 'listIssueFixes',
          tags,
          summary: "An issue's fixes, newest first",
          params: idParams,
          querystring: listFixesQuery,
          response: { 200: pageOf(fixSchema), ...errorResponses },
        },
      },
      async (request) => fixes.listOfIssue(principalOf(request), request.params.id, request.query),
    );

    app.get(
      '/fixes/:id',
      {
        config: read,
        schema: {
          operationId: 'getFix',
          tags,
          params: idParams,
          response: { 200: fixSchema, ...errorResponses },
        },
      },
      async (request) => fixes.get(principalOf(request), request.params.id),
    );

    app.post(
      '/fixes/:id/approve',
      {
        config: write,
        schema: {
          operationId: 'approveFix',
          tags,
          summary: 'Approve a proposed fix: commit it on a new branch, then verify it',
          description:
            'The fix moves to `applying`; a job commits its edits as one commit on `switchboard/fix-<shortId>` ' +
            '(the checked-out branch, HEAD and working tree are not touched) -> `applied`, or `failed` with ' +
            "`patch_conflict` when an edit's text no longer occurs exactly once at the branch's tip. With a " +
            'verify command on the project, it then runs in a temporary worktree of the commit -> ' +
            '`verifying` -> `verified` or `verification_failed`. Only a `proposed` fix can be approved ' +
            '(409 `fix_not_proposed`).',
          params: idParams,
          response: { 202: fixSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply
          .status(202)
          .send(await fixes.approve(principalOf(request), request.params.id, requestMeta(request))),
    );

    app.post(
      '/fixes/:id/reject',
      {
        config: write,
        schema: {
          operationId: 'rejectFix',
          tags,
          summary: 'Reject a proposed fix, with a reason',
          params: idParams,
          body: rejectFixBody,
          response: { 200: fixSchema, ...errorResponses },
        },
      },
      async (request) =>
        fixes.reject(principalOf(request), request.params.id, request.body?.reason, requestMeta(request)),
    );
  };
}
