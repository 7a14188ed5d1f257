import type { components } from '@switchboard/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client.ts';
import { useToast } from '../components/Toasts.tsx';
import { keys } from './keys.ts';
import { useFormAdd, useListChange, useOrgList } from './resource.ts';

type Role = components['schemas']['Role'];
type CreateRole = components['schemas']['CreateRoleRequestInput'];

export const useRoles = (enabled = true) =>
  useOrgList(keys.roles, (signal) => unwrap(api.GET('/api/v1/roles', { signal })), enabled);

/** Every permission there is, with its description; fixed while the server runs. */
export function usePermissions() {
  return useQuery({
    queryKey: keys.permissions,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/permissions', { signal })).then((d) => d.items),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

/** A custom role; the form shows what went wrong. */
export const useCreateRole = (onCreated: () => void) =>
  useFormAdd(keys.roles, (body: CreateRole) => unwrap(api.POST('/api/v1/roles', { body })), onCreated);

const remove = (id: string) => unwrap(api.DELETE('/api/v1/roles/{id}', { params: { path: { id } } }));
export const useDeleteRole = () => useListChange(keys.roles, remove);

/** A role's permissions changed in the matrix: ticked at once, back as they were if the server refuses. */
export function useSetRolePermissions() {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (v: { id: string; permissions: string[] }) =>
      unwrap(
        api.PATCH('/api/v1/roles/{id}', {
          params: { path: { id: v.id } },
          body: { permissions: v.permissions },
        }),
      ),
    onMutate: async (v) => {
      await queryClient.cancelQueries({ queryKey: keys.roles });
      const before = queryClient.getQueryData<Role[]>(keys.roles);
      queryClient.setQueryData<Role[]>(keys.roles, (list) =>
        list?.map((r) => (r.id === v.id ? { ...r, permissions: v.permissions } : r)),
      );
      return { before };
    },
    onError: (err, _v, context) => {
      queryClient.setQueryData(keys.roles, context?.before);
      toast.fail(err);
    },
    onSettled: () => void queryClient.invalidateQueries({ queryKey: keys.roles }),
  });
}
