import { AppError, Errors } from '../platform/errors.ts';

/** The errors of tasks, one code each with one status. */
export const TaskErrors = {
  notFound: (id: string) => Errors.notFound('task', id),
  unknownAssignee: (assignee: { type: string; id: string }) =>
    new AppError(
      400,
      'unknown_assignee',
      `no ${assignee.type} ${assignee.id} in this organisation; assign one of its agents or members`,
      { assignee },
    ),
  notAgentAssigned: (id: string, assignee: { type: string; id: string } | null) =>
    new AppError(
      409,
      'not_assigned_to_agent',
      assignee
        ? `task ${id} is assigned to ${assignee.type} ${assignee.id}; only a task assigned to an agent can be started`
        : `task ${id} has no assignee; assign it to an agent to start it`,
      { assignee },
    ),
  agentGone: (id: string, agentId: string) =>
    new AppError(
      409,
      'not_assigned_to_agent',
      `task ${id} is assigned to agent ${agentId}, which no longer exists; assign another agent`,
      { assignee: { type: 'agent', id: agentId } },
    ),
  alreadyRunning: (id: string, runId: string) =>
    new AppError(
      409,
      'task_running',
      `task ${id} is being worked by run ${runId}; cancel that run or wait for it to end`,
      { runId },
    ),
  changed: (id: string) =>
    new AppError(409, 'conflict', `task ${id} changed while it was being started; read it and try again`),
};
