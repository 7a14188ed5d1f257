import { type Model, OpenAIChatCompletionsModel } from '@openai/agents';
import OpenAI from 'openai';
import type { Config } from '../../platform/config.ts';
import { type CompletionsClient, createCompletionsClient } from './completions-client.ts';
import { ScriptedModel } from './scripted-model.ts';

/** Provider names every org has; an org's own OpenAI-compatible providers take any other name. */
export const BUILTIN_PROVIDERS = ['builtin', 'openai', 'anthropic'] as const;
export const DEFAULT_MODEL = 'builtin:scripted';
export const ANTHROPIC_OPENAI_BASE_URL = 'https://api.anthropic.com/v1/';
export const PROVIDER_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** `provider:model`, e.g. `openai:gpt-4.1`, `builtin:scripted`, `ollama:llama3.1:8b`. */
export function parseModelRef(ref: string): { provider: string; model: string } | undefined {
  const m = /^([a-z][a-z0-9-]{0,31}):(\S{1,200})$/.exec(ref);
  return m ? { provider: m[1]!, model: m[2]! } : undefined;
}

/** A model that cannot be used right now (no key, unknown provider): the run fails with this. */
export class ModelUnavailableError extends Error {
  readonly code: 'provider_not_configured' | 'unknown_provider' | 'invalid_model';
  constructor(code: ModelUnavailableError['code'], message: string) {
    super(message);
    this.name = 'ModelUnavailableError';
    this.code = code;
  }
}

/** An org's provider settings with the key decrypted, as the resolver needs them. */
export interface OrgProvider {
  name: string;
  kind: 'openai' | 'anthropic' | 'openai_compatible';
  baseUrl: string | null;
  apiKey: string | null;
}

/**
 * OpenAI's client refuses to start without a credential. OpenAI-compatible servers without auth
 * (Ollama, LM Studio) ignore the header, so a provider set up without a key sends this marker.
 */
const NO_KEY = 'no-key-configured';
const MAX_CACHED_CLIENTS = 100;
const MAX_RETRIES = 2;
/** Per attempt. */
const TIMEOUT_MS = 120_000;

/**
 * Turns `provider:model` into an Agents SDK `Model`. Org settings win over the server-wide ones
 * from the environment. Every provider but `builtin` goes through the SDK's chat-completions model
 * over an `openai` client (non-streaming calls over our leaner transport, completions-client.ts),
 * which speaks to OpenAI, Anthropic's compatible endpoint, and any OpenAI-compatible server.
 */
export function createModelResolver(config: Config) {
  // One client per endpoint and key keeps connections pooled across runs.
  const clients = new Map<string, CompletionsClient>();

  function client(baseURL: string | undefined, apiKey: string): CompletionsClient {
    const cacheKey = `${baseURL ?? ''}\n${apiKey}`;
    let found = clients.get(cacheKey);
    if (!found) {
      // Every option is explicit so the client never reads OPENAI_* variables behind our back.
      const official = new OpenAI({
        apiKey,
        baseURL: baseURL ?? null,
        adminAPIKey: null,
        organization: null,
        project: null,
        webhookSecret: null,
        maxRetries: MAX_RETRIES,
        timeout: TIMEOUT_MS,
      });
      found = createCompletionsClient(official, {
        apiKey,
        maxRetries: MAX_RETRIES,
        timeoutMs: TIMEOUT_MS,
        proxyEnv: config.proxyEnv,
      });
      if (clients.size >= MAX_CACHED_CLIENTS) clients.delete(clients.keys().next().value!);
      clients.set(cacheKey, found);
    }
    return found;
  }

  /**
   * Where to send a call and with which key. An org's key goes to the org's base URL, else to the
   * server's; the server's key only ever goes to the server's endpoint, never to one an org chose.
   */
  function endpoint(
    provider: string,
    org: OrgProvider | undefined,
  ): { baseURL: string | undefined; apiKey: string } {
    if (provider === 'openai' || provider === 'anthropic') {
      const server =
        provider === 'openai'
          ? config.providers.openai
          : config.providers.anthropic && { apiKey: config.providers.anthropic.apiKey, baseUrl: undefined };
      const serverBase =
        server?.baseUrl ?? (provider === 'anthropic' ? ANTHROPIC_OPENAI_BASE_URL : undefined);
      if (org?.apiKey) return { baseURL: org.baseUrl ?? serverBase, apiKey: org.apiKey };
      if (org?.baseUrl) {
        throw new ModelUnavailableError(
          'provider_not_configured',
          `model provider ${provider} has this organisation's own base URL but no API key; the server's key is never sent to it: PUT /api/v1/model-providers with an apiKey`,
        );
      }
      if (server) return { baseURL: serverBase, apiKey: server.apiKey };
      const variable = provider === 'openai' ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY';
      throw new ModelUnavailableError(
        'provider_not_configured',
        `model provider ${provider} has no API key: set ${variable} on the server or PUT /api/v1/model-providers with name ${provider}`,
      );
    }
    if (!org?.baseUrl) {
      throw new ModelUnavailableError(
        'unknown_provider',
        `unknown model provider "${provider}": use builtin, openai, anthropic or one of this organisation's providers (GET /api/v1/model-providers)`,
      );
    }
    return { baseURL: org.baseUrl, apiKey: org.apiKey ?? NO_KEY };
  }

  return {
    /** Resolves a model reference for an org; `orgProvider` is the org's settings for that provider, if any. */
    resolve(ref: string, orgProvider: OrgProvider | undefined): Model {
      const parsed = parseModelRef(ref);
      if (!parsed) {
        throw new ModelUnavailableError(
          'invalid_model',
          `"${ref}" is not a model reference of the form provider:model`,
        );
      }
      if (parsed.provider === 'builtin') {
        if (parsed.model !== 'scripted') {
          throw new ModelUnavailableError(
            'invalid_model',
            `the builtin provider has no model "${parsed.model}"; use builtin:scripted`,
          );
        }
        return new ScriptedModel();
      }
      const { baseURL, apiKey } = endpoint(parsed.provider, orgProvider);
      // The SDK's model uses only `baseURL` and `chat.completions.create` of the client it is given.
      return new OpenAIChatCompletionsModel(client(baseURL, apiKey) as OpenAI, parsed.model);
    },
  };
}

export type ModelResolver = ReturnType<typeof createModelResolver>;
