import type { components } from '@switchboard/client';
import { api, unwrap } from '../api/client.ts';
import { keys } from './keys.ts';
import { FIRST_200, useFormAdd, useListChange, useOrgList } from './resource.ts';

type AddMember = components['schemas']['AddMemberRequestInput'];

export const useMembers = (enabled = true) =>
  useOrgList(
    keys.members,
    (signal) => unwrap(api.GET('/api/v1/members', { params: FIRST_200, signal })),
    enabled,
  );

/** Adds someone to the org, with a new account when they have none yet. */
export const useAddMember = (onAdded: () => void) =>
  useFormAdd(keys.members, (body: AddMember) => unwrap(api.POST('/api/v1/members', { body })), onAdded);

const changeRole = ({ id, roleId }: { id: string; roleId: string }) =>
  unwrap(api.PATCH('/api/v1/members/{id}', { params: { path: { id } }, body: { roleId } }));
const remove = (id: string) => unwrap(api.DELETE('/api/v1/members/{id}', { params: { path: { id } } }));

export const useChangeMemberRole = () => useListChange(keys.members, changeRole, { done: 'Role changed' });
export const useRemoveMember = () => useListChange(keys.members, remove, { done: 'Member removed' });
