import type { components } from '@switchboard/client';
import { api, unwrap } from '../api/client.ts';
import { keys } from './keys.ts';
import { FIRST_200, useFormAdd, useListChange, useOrgList } from './resource.ts';

type CreateApiKey = components['schemas']['CreateApiKeyRequestInput'];

/** The org's API keys, revoked ones included. */
export const useApiKeys = () =>
  useOrgList(keys.apiKeys, (signal) => unwrap(api.GET('/api/v1/api-keys', { params: FIRST_200, signal })));

/** A new key; its answer holds the secret, shown once. */
export const useCreateApiKey = (onCreated: () => void) =>
  useFormAdd(keys.apiKeys, (body: CreateApiKey) => unwrap(api.POST('/api/v1/api-keys', { body })), onCreated);

const revoke = (id: string) => unwrap(api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id } } }));

/** Revokes a key: anything using it stops working. */
export const useRevokeApiKey = () => useListChange(keys.apiKeys, revoke, { done: 'Key revoked' });
