import { useState } from 'react';
import { useSession } from '../auth/SessionContext.tsx';
import { FormField, fieldError } from '../components/FormField.tsx';
import { ConfirmButton, CreateForm, ResourcePage } from '../components/ResourcePage.tsx';
import { Empty, ErrorMessage, Loading, TimeAgo } from '../components/states.tsx';
import { useApiKeys, useCreateApiKey, useRevokeApiKey } from '../queries/apiKeys.ts';
import { usePermissions } from '../queries/roles.ts';

/** Creates a key; its secret is shown here once and never again. */
function NewKey({ mine }: { mine: string[] }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const permissions = usePermissions();
  const create = useCreateApiKey(() => {
    setName('');
    setScopes([]);
  });
  // A key can be given only what its creator holds.
  const grantable = (permissions.data ?? []).filter((p) => mine.includes(p.name));
  return (
    <CreateForm
      id="new-key"
      title="New API key"
      mutation={create}
      submit="Create key"
      disabled={!scopes.length}
      onSubmit={() => create.mutate({ name: name.trim(), scopes })}
    >
      {create.data ? (
        <div className="notice secret" role="status" data-testid="new-key-secret">
          <p>
            Copy the key for <strong>{create.data.apiKey.name}</strong> now; it will not be shown again.
          </p>
          <code className="secret-value">{create.data.key}</code>
        </div>
      ) : null}
      <FormField label="Name" error={fieldError(create.error, 'name')}>
        {(field) => (
          <input {...field} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
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
    </CreateForm>
  );
}

export function ApiKeysPage() {
  const { can, me } = useSession();
  const keys = useApiKeys();
  const revoke = useRevokeApiKey();
  return (
    <ResourcePage
      title="API keys"
      form={can('api_keys:write') ? <NewKey mine={me?.permissions ?? []} /> : null}
      query={keys}
      loading="Loading keys…"
      empty={
        <Empty title="No API keys yet">
          Service accounts use them to call the API and the OpenAI surface.
        </Empty>
      }
      rowTestId="api-key-row"
      name={{ main: (k) => k.name, under: (k) => `${k.prefix}…` }}
      columns={[
        { header: 'Scopes', className: 'small-inline', cell: (k) => k.scopes.join(', ') },
        { header: 'Last used', cell: (k) => <TimeAgo iso={k.lastUsedAt} /> },
        { header: 'Created', cell: (k) => <TimeAgo iso={k.createdAt} /> },
      ]}
      rowActions={(k) =>
        k.revokedAt ? (
          <span className="muted">revoked</span>
        ) : can('api_keys:write') ? (
          <ConfirmButton
            question={`Revoke ${k.name}? Anything using it stops working.`}
            onConfirm={() => revoke.mutate(k.id)}
          >
            Revoke
          </ConfirmButton>
        ) : null
      }
    />
  );
}
