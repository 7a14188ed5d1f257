import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorResponses, idParams, requestMeta } from '../platform/http.ts';
import { pageOf } from '../platform/pagination.ts';
import {
  bulkTasksBody,
  bulkTasksResponse,
  createTaskBody,
  listTasksQuery,
  taskSchema,
  taskStatsSchema,
  updateTaskBody,
} from './schema.ts';
import type { TasksService } from './service.ts';

/** Tasks: CRUD with filters, bulk changes, the dashboard's figures, and starting a run on one. */
export function tasksRoutes(tasks: TasksService) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['tasks'];
    const read = { auth: { permission: 'tasks:read' } };
    const write = { auth: { permission: 'tasks:write' } };
    const one = { 200: taskSchema, ...errorResponses };

    app.get(
      '/tasks',
      {
        config: read,
        schema: {
          operationId: 'listTasks',
          tags,
          summary: 'Tasks, newest first, filtered by status, assignee, label, overdue and text',
          querystring: listTasksQuery,
          response: { 200: pageOf(taskSchema), ...errorResponses },
        },
      },
      async (request) => tasks.list(principalOf(request), request.query),
    );

    app.post(
      '/tasks',
      {
        config: write,
        schema: {
          operationId: 'createTask',
          tags,
          summary: 'Create a task; an assignee must be an agent or a member of your organisation',
          body: createTaskBody,
          response: { 201: taskSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await tasks.create(principalOf(request), request.body, requestMeta(request))),
    );

    app.get(
      '/tasks/stats',
      {
        config: read,
        schema: {
          operationId: 'getTaskStats',
          tags,
          summary: 'Counts by status, overdue, done in the last 7 days, and open and done per assignee',
          response: { 200: taskStatsSchema, ...errorResponses },
        },
      },
      async (request) => tasks.stats(principalOf(request)),
    );

    app.post(
      '/tasks/bulk',
      {
        config: write,
        schema: {
          operationId: 'bulkTasks',
          tags,
          summary: 'One action on up to 100 tasks; each task answers for itself',
          description:
            'Sets the status (`status`), the assignee (`assign`, null unassigns) or deletes (`delete`) each ' +
            'task in order. A task that cannot take it (not found in your organisation, an unknown ' +
            'assignee) answers `ok: false` with the error; the others go ahead.',
          body: bulkTasksBody,
          response: { 200: bulkTasksResponse, ...errorResponses },
        },
      },
      async (request) => ({
        items: await tasks.bulk(principalOf(request), request.body, requestMeta(request)),
      }),
    );

    app.get(
      '/tasks/:id',
      {
        config: read,
        schema: { operationId: 'getTask', tags, params: idParams, response: one },
      },
      async (request) => tasks.get(principalOf(request), request.params.id),
    );

    app.patch(
      '/tasks/:id',
      {
        config: write,
        schema: {
          operationId: 'updateTask',
          tags,
          summary: 'Change a task',
          description:
            'Setting the status of a task its run is working (in progress or blocked) to todo, done or ' +
            'cancelled takes it back: the run is cancelled and its outcome no longer moves the task.',
          params: idParams,
          body: updateTaskBody,
          response: one,
        },
      },
      async (request) =>
        tasks.update(principalOf(request), request.params.id, request.body, requestMeta(request)),
    );

    app.delete(
      '/tasks/:id',
      {
        config: write,
        schema: {
          operationId: 'deleteTask',
          tags,
          summary: 'Delete a task (a run still working it is cancelled)',
          params: idParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await tasks.remove(principalOf(request), request.params.id, requestMeta(request));
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/tasks/:id/start',
      {
        config: write,
        schema: {
          operationId: 'startTask',
          tags,
          summary: 'Have the assigned agent work the task in a run',
          description:
            "A run of the task's agent gets the title and description as input, in the task's " +
            'conversation; the task is in progress meanwhile. Its outcome moves the task: succeeded -> ' +
            '`done` with `result`; waiting for an approval or failed -> `blocked` with the reason (an ' +
            'approval granted in the inbox puts it back in progress); cancelled -> `todo`. A task assigned ' +
            'to a member, or to nobody, answers 409 `not_assigned_to_agent`; one whose run is still ' +
            'working 409 `task_running`. A blocked task can be started again (a run waiting for an ' +
            'approval is cancelled and replaced).',
          params: idParams,
          response: { 202: taskSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply
          .status(202)
          .send(await tasks.start(principalOf(request), request.params.id, requestMeta(request))),
    );
  };
}
