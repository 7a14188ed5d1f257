import { AppError, Errors } from '../platform/errors.ts';

/** The errors of model providers, one code each with one status. */
export const ProviderErrors = {
  notFound: (name: string) => Errors.notFound('model provider settings', name),
  builtin: () => new AppError(400, 'provider_builtin', 'the builtin provider has no settings to change'),
  needsBaseUrl: (name: string) =>
    Errors.validation(
      `provider "${name}" needs a baseUrl (its OpenAI-compatible endpoint, e.g. http://localhost:11434/v1)`,
    ),
  inUse: (name: string, users: Array<{ id: string; slug: string }>) =>
    new AppError(
      409,
      'provider_in_use',
      `model provider ${name} is used by ${users.map((a) => `${a.slug} (${a.id})`).join(', ')}; change their model first`,
      { agents: users.map((a) => ({ id: a.id, slug: a.slug })) },
    ),
};
