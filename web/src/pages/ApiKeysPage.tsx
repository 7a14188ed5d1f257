import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, unwrap } from '../api/client.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { FormError, FormField, fieldError } from '../components/FormField.tsx';
import { Empty, ErrorMessage, Loading, PageHeader, QueryState, TimeAgo } from '../components/states.tsx';
import { useToast } from '../components/Toasts.tsx';

/** Creates a key; its secret is shown here once and never again. */
function NewKey({ mine }: { mine: string[] }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const permissions = useQuery({
    queryKey: ['permissions'],
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/permissions', { signal })).then((d) => d.items),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/api-keys', { body: { name: name.trim(), scopes } })),
    onSuccess: () => {
      setName('');
      setScopes([]);
      void queryClient.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate();
  }
  // A key can be given only what its creator holds.
  const grantable = (permissions.data ?? []).filter((p) => mine.includes(p.name));
  return (
    <section className="card" aria-labelledby="new-key-heading">
      <h2 id="new-key-heading">New API key</h2>
      {create.data ? (
        <div className="notice secret" role="status" data-testid="new-key-secret">
          <p>
            Copy the key for <strong>{create.data.apiKey.name}</strong> now; it will not be shown again.
          </p>
          <code className="secret-value">{create.data.key}</code>
        </div>
      ) : null}
      <form className="form" onSubmit={submit}>
        <FormField label="Name" error={fieldError(create.error, 'name')}>
          {(field) => (
            <input
              {...field}
              required
              maxLength={100}
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </FormField>
        <fieldset className="checks-group">
          <legend>Scopes</legend>
          {permissions.error ? (
            <ErrorMessage error={permissions.error} />
          ) : !permissions.data ? (
            <Loading />
          ) : (
            <div className="scope-grid">
              {grantable.map((p) => (
                <label key={p.name} className="check-row">
                  <input
                    type="checkbox"
                    checked={scopes.includes(p.name)}
                    onChange={(e) =>
                      setScopes(e.target.checked ? [...scopes, p.name] : scopes.filter((s) => s !== p.name))
                    }
                  />
                  <span>
                    <code>{p.name}</code>
                    <span className="muted block small-inline">{p.description}</span>
                  </span>
                </label>
              ))}
            </div>
          )}
        </fieldset>
        <FormError error={create.error} fields={['name']} />
        <div className="row-actions">
          <button type="submit" className="btn btn-primary" disabled={create.isPending || !scopes.length}>
            {create.isPending ? 'Creating…' : 'Create key'}
          </button>
        </div>
      </form>
    </section>
  );
}

export function ApiKeysPage() {
  const { can, me } = useSession();
  const toast = useToast();
  const queryClient = useQueryClient();
  const keys = useQuery({
    queryKey: ['api-keys'],
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/api-keys', { params: { query: { limit: 200 } }, signal })).then((d) => d.items),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id } } })),
    onSuccess: () => toast.notify('Key revoked'),
    onError: (err) => toast.fail(err),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  return (
    <div className="page-body">
      <PageHeader title="API keys" />
      {can('api_keys:write') ? <NewKey mine={me?.permissions ?? []} /> : null}
      <QueryState query={keys} loading="Loading keys…">
        {(items) =>
          items.length === 0 ? (
            <Empty title="No API keys yet">
              Service accounts use them to call the API and the OpenAI surface.
            </Empty>
          ) : (
            <div className="card table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Scopes</th>
                    <th>Last used</th>
                    <th>Created</th>
                    <th>
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((k) => (
                    <tr key={k.id} data-testid="api-key-row">
                      <td className="cell-main">
                        {k.name}
                        <div className="muted mono small-inline">{k.prefix}…</div>
                      </td>
                      <td className="small-inline">{k.scopes.join(', ')}</td>
                      <td>
                        <TimeAgo iso={k.lastUsedAt} />
                      </td>
                      <td>
                        <TimeAgo iso={k.createdAt} />
                      </td>
                      <td>
                        {k.revokedAt ? (
                          <span className="muted">revoked</span>
                        ) : can('api_keys:write') ? (
                          <button
                            type="button"
                            className="btn btn-small btn-danger"
                            onClick={() => {
                              if (window.confirm(`Revoke ${k.name}? Anything using it stops working.`))
                                revoke.mutate(k.id);
                            }}
                          >
                            Revoke
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryState>
    </div>
  );
}
