import type { components } from '@switchboard/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, unwrap } from '../api/client.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { FormError, FormField, fieldError } from '../components/FormField.tsx';
import { PageHeader, QueryState } from '../components/states.tsx';
import { useToast } from '../components/Toasts.tsx';

type Role = components['schemas']['Role'];

function NewRole({ roles }: { roles: Role[] }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [base, setBase] = useState('');
  const baseRole = roles.find((r) => r.id === base) ?? roles.find((r) => r.name === 'viewer') ?? roles[0];
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/roles', { body: { name: name.trim(), permissions: baseRole?.permissions ?? [] } }),
      ),
    onSuccess: () => {
      setName('');
      void queryClient.invalidateQueries({ queryKey: ['roles'] });
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate();
  }
  return (
    <form className="form card" onSubmit={submit} aria-labelledby="new-role-heading">
      <h2 id="new-role-heading">New role</h2>
      <div className="form-grid form-grid-tight">
        <FormField label="Name" error={fieldError(create.error, 'name')}>
          {(field) => (
            <input
              {...field}
              required
              maxLength={60}
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </FormField>
        <FormField label="Start from">
          {(field) => (
            <select {...field} value={baseRole?.id ?? ''} onChange={(e) => setBase(e.target.value)}>
              {roles.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </select>
          )}
        </FormField>
      </div>
      <FormError error={create.error} fields={['name']} />
      <div className="row-actions">
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create role'}
        </button>
      </div>
    </form>
  );
}

/** Roles as columns, permissions as rows; custom roles are edited in place, built-in ones are fixed. */
export function RolesPage() {
  const { can } = useSession();
  const toast = useToast();
  const queryClient = useQueryClient();
  const roles = useQuery({
    queryKey: ['roles'],
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/roles', { signal })).then((d) => d.items),
  });
  const permissions = useQuery({
    queryKey: ['permissions'],
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/permissions', { signal })).then((d) => d.items),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const update = useMutation({
    mutationFn: (v: { id: string; permissions: string[] }) =>
      unwrap(
        api.PATCH('/api/v1/roles/{id}', {
          params: { path: { id: v.id } },
          body: { permissions: v.permissions },
        }),
      ),
    onMutate: async (v) => {
      await queryClient.cancelQueries({ queryKey: ['roles'] });
      const before = queryClient.getQueryData<Role[]>(['roles']);
      queryClient.setQueryData<Role[]>(['roles'], (list) =>
        list?.map((r) => (r.id === v.id ? { ...r, permissions: v.permissions } : r)),
      );
      return { before };
    },
    onError: (err, _v, context) => {
      queryClient.setQueryData(['roles'], context?.before);
      toast.fail(err);
    },
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ['roles'] }),
  });
  const remove = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/roles/{id}', { params: { path: { id } } })),
    onError: (err) => toast.fail(err),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ['roles'] }),
  });
  const canWrite = can('roles:write');

  return (
    <div className="page-body">
      <PageHeader title="Roles" />
      {canWrite && roles.data ? <NewRole roles={roles.data} /> : null}
      <QueryState query={roles} loading="Loading roles…">
        {(list) => (
          <QueryState query={permissions}>
            {(perms) => (
              <div className="card table-wrap">
                <table className="table matrix">
                  <thead>
                    <tr>
                      <th>Permission</th>
                      {list.map((r) => (
                        <th key={r.id} className="matrix-role">
                          {r.name}
                          {r.builtin ? (
                            <span className="muted block">built-in</span>
                          ) : canWrite ? (
                            <button
                              type="button"
                              className="btn btn-small btn-ghost"
                              onClick={() => {
                                if (window.confirm(`Delete the role ${r.name}?`)) remove.mutate(r.id);
                              }}
                            >
                              Delete
                            </button>
                          ) : null}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {perms.map((p) => (
                      <tr key={p.name}>
                        <td>
                          <code>{p.name}</code>
                          <div className="muted small-inline">{p.description}</div>
                        </td>
                        {list.map((r) => {
                          const has = r.permissions.includes(p.name);
                          return (
                            <td key={r.id} className="matrix-cell">
                              <input
                                type="checkbox"
                                checked={has}
                                disabled={r.builtin || !canWrite}
                                aria-label={`${r.name}: ${p.name}`}
                                onChange={(e) =>
                                  update.mutate({
                                    id: r.id,
                                    permissions: e.target.checked
                                      ? [...r.permissions, p.name]
                                      : r.permissions.filter((x) => x !== p.name),
                                  })
                                }
                              />
                            </td>
                          );
                        })}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </QueryState>
        )}
      </QueryState>
    </div>
  );
}
