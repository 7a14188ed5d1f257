import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, unwrap } from '../api/client.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { FormError, FormField, fieldError } from '../components/FormField.tsx';
import { Empty, PageHeader, QueryState, TimeAgo } from '../components/states.tsx';
import { useToast } from '../components/Toasts.tsx';

function useRoles() {
  return useQuery({
    queryKey: ['roles'],
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/roles', { signal })).then((d) => d.items),
  });
}

const MEMBER_FIELDS = ['email', 'roleId', 'name', 'password'];

function AddMember() {
  const queryClient = useQueryClient();
  const roles = useRoles();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [roleId, setRoleId] = useState('');
  const chosenRole = roleId || roles.data?.find((r) => r.name === 'member')?.id || '';
  const add = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/members', {
          body: {
            email: email.trim(),
            roleId: chosenRole,
            ...(name.trim() ? { name: name.trim() } : {}),
            ...(password ? { password } : {}),
          },
        }),
      ),
    onSuccess: () => {
      setEmail('');
      setName('');
      setPassword('');
      void queryClient.invalidateQueries({ queryKey: ['members'] });
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    add.mutate();
  }
  return (
    <form className="form card" onSubmit={submit} aria-labelledby="add-member-heading">
      <h2 id="add-member-heading">Add a member</h2>
      <div className="form-grid form-grid-tight">
        <FormField label="Email" error={fieldError(add.error, 'email')}>
          {(field) => (
            <input
              {...field}
              type="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </FormField>
        <FormField label="Role" error={fieldError(add.error, 'roleId')}>
          {(field) => (
            <select {...field} value={chosenRole} onChange={(e) => setRoleId(e.target.value)} required>
              {(roles.data ?? []).map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </select>
          )}
        </FormField>
        <FormField label="Name" error={fieldError(add.error, 'name')}>
          {(field) => <input {...field} value={name} onChange={(e) => setName(e.target.value)} />}
        </FormField>
        <FormField label="First password" error={fieldError(add.error, 'password')}>
          {(field) => (
            <input
              {...field}
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </FormField>
      </div>
      <p className="hint">Name and first password are needed only for someone who has no account yet.</p>
      <FormError error={add.error} fields={MEMBER_FIELDS} />
      <div className="row-actions">
        <button type="submit" className="btn btn-primary" disabled={add.isPending || !chosenRole}>
          {add.isPending ? 'Adding…' : 'Add member'}
        </button>
      </div>
    </form>
  );
}

export function MembersPage() {
  const { can, session } = useSession();
  const toast = useToast();
  const queryClient = useQueryClient();
  const roles = useRoles();
  const members = useQuery({
    queryKey: ['members'],
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/members', { params: { query: { limit: 200 } }, signal })).then((d) => d.items),
  });
  const settle = () => void queryClient.invalidateQueries({ queryKey: ['members'] });
  const changeRole = useMutation({
    mutationFn: (v: { id: string; roleId: string }) =>
      unwrap(
        api.PATCH('/api/v1/members/{id}', { params: { path: { id: v.id } }, body: { roleId: v.roleId } }),
      ),
    onSuccess: () => toast.notify('Role changed'),
    onError: (err) => toast.fail(err),
    onSettled: settle,
  });
  const remove = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/members/{id}', { params: { path: { id } } })),
    onSuccess: () => toast.notify('Member removed'),
    onError: (err) => toast.fail(err),
    onSettled: settle,
  });
  const canWrite = can('members:write');
  return (
    <div className="page-body">
      <PageHeader title="Members" />
      {canWrite ? <AddMember /> : null}
      <QueryState query={members} loading="Loading members…">
        {(items) =>
          items.length === 0 ? (
            <Empty title="No members" />
          ) : (
            <div className="card table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Role</th>
                    <th>Joined</th>
                    <th>
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((m) => {
                    const self = m.userId === session?.user.id;
                    return (
                      <tr key={m.id} data-testid="member-row">
                        <td className="cell-main">
                          {m.name}
                          {self ? <span className="tag">you</span> : null}
                          <div className="muted small-inline">{m.email}</div>
                        </td>
                        <td>
                          {canWrite && !self && roles.data ? (
                            <select
                              aria-label={`Role of ${m.name}`}
                              value={m.role.id}
                              onChange={(e) => changeRole.mutate({ id: m.id, roleId: e.target.value })}
                            >
                              {roles.data.map((r) => (
                                <option key={r.id} value={r.id}>
                                  {r.name}
                                </option>
                              ))}
                            </select>
                          ) : (
                            <span className="role-pill">{m.role.name}</span>
                          )}
                        </td>
                        <td>
                          <TimeAgo iso={m.createdAt} />
                        </td>
                        <td>
                          {canWrite && !self ? (
                            <button
                              type="button"
                              className="btn btn-small btn-danger"
                              onClick={() => {
                                if (window.confirm(`Remove ${m.name} from the organisation?`))
                                  remove.mutate(m.id);
                              }}
                            >
                              Remove
                            </button>
                          ) : null}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryState>
    </div>
  );
}
