import { AppError, Errors } from '../platform/errors.ts';

/** The errors of agents, one code each with one status. */
export const AgentErrors = {
  notFound: (id: string) => Errors.notFound('agent', id),
  unknownTools: (tools: string[]) =>
    new AppError(
      400,
      'unknown_tool',
      `unknown tool${tools.length > 1 ? 's' : ''} ${tools.map((t) => `"${t}"`).join(', ')}; see GET /api/v1/tools`,
      { unknown: tools },
    ),
  handoffToSelf: (agentId: string) =>
    new AppError(400, 'invalid_handoff', `agent ${agentId} cannot hand off to itself`),
  handoffOutsideOrg: (agentId: string, target: string) =>
    new AppError(400, 'invalid_handoff', `agent ${agentId} cannot hand off to ${target}: not in this org`, {
      agentId: target,
    }),
  invalidModel: (message: string) => new AppError(400, 'invalid_model', message),
  unknownProvider: (provider: string, model: string) =>
    new AppError(
      400,
      'unknown_provider',
      `unknown model provider "${provider}" in "${model}": use builtin, openai, anthropic or one of this organisation's providers (GET /api/v1/model-providers)`,
    ),
  slugTaken: (slug: string) =>
    new AppError(409, 'slug_taken', `an agent with slug "${slug}" already exists in this organisation`),
  versionConflict: (id: string, version: number, expected: number) =>
    new AppError(
      409,
      'version_conflict',
      `agent ${id} is at version ${version}, not ${expected}; reload it and try again`,
      { version },
    ),
  inUse: (id: string, referrers: Array<{ id: string; slug: string }>) =>
    new AppError(
      409,
      'agent_in_use',
      `agent ${id} is a hand-off target of ${referrers.map((r) => `${r.slug} (${r.id})`).join(', ')}; remove it from their hand-offs first`,
      { agents: referrers.map((r) => ({ id: r.id, slug: r.slug })) },
    ),
};
