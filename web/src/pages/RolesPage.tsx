import type { components } from '@switchboard/client';
import { useState } from 'react';
import { useSession } from '../auth/SessionContext.tsx';
import { FormField, fieldError } from '../components/FormField.tsx';
import { type Column, ConfirmButton, CreateForm, ResourcePage } from '../components/ResourcePage.tsx';
import { Empty } from '../components/states.tsx';
import {
  useCreateRole,
  useDeleteRole,
  usePermissions,
  useRoles,
  useSetRolePermissions,
} from '../queries/roles.ts';

type Role = components['schemas']['Role'];
type Permission = components['schemas']['Permission'];

function NewRole({ roles }: { roles: Role[] }) {
  const [name, setName] = useState('');
  const [base, setBase] = useState('');
  const baseRole = roles.find((r) => r.id === base) ?? roles.find((r) => r.name === 'viewer') ?? roles[0];
  const create = useCreateRole(() => setName(''));
  return (
    <CreateForm
      id="new-role"
      title="New role"
      mutation={create}
      submit="Create role"
      onSubmit={() => create.mutate({ name: name.trim(), permissions: baseRole?.permissions ?? [] })}
    >
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
    </CreateForm>
  );
}

/** Roles as columns, permissions as rows; custom roles are edited in place, built-in ones are fixed. */
export function RolesPage() {
  const { can } = useSession();
  const roles = useRoles();
  const permissions = usePermissions();
  const update = useSetRolePermissions();
  const remove = useDeleteRole();
  const canWrite = can('roles:write');
  // The matrix needs both: its rows are the permissions, its columns the roles.
  const matrix = {
    data: roles.data ? permissions.data : undefined,
    error: roles.error ?? permissions.error,
    isPending: roles.isPending || permissions.isPending,
    refetch: () => Promise.all([roles.refetch(), permissions.refetch()]),
  };
  const roleColumn = (r: Role): Column<Permission> => ({
    headerClassName: 'matrix-role',
    className: 'matrix-cell',
    header: (
      <>
        {r.name}
        {r.builtin ? (
          <span className="muted block">built-in</span>
        ) : canWrite ? (
          <ConfirmButton
            className="btn btn-small btn-ghost"
            question={`Delete the role ${r.name}?`}
            onConfirm={() => remove.mutate(r.id)}
          >
            Delete
          </ConfirmButton>
        ) : null}
      </>
    ),
    cell: (p) => (
      <input
        type="checkbox"
        checked={r.permissions.includes(p.name)}
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
    ),
  });
  return (
    <ResourcePage
      title="Roles"
      form={canWrite && roles.data ? <NewRole roles={roles.data} /> : null}
      query={matrix}
      loading="Loading roles…"
      empty={<Empty title="No permissions" />}
      tableClassName="table matrix"
      rowKey={(p) => p.name}
      columns={[
        {
          header: 'Permission',
          cell: (p) => (
            <>
              <code>{p.name}</code>
              <div className="muted small-inline">{p.description}</div>
            </>
          ),
        },
        ...(roles.data ?? []).map(roleColumn),
      ]}
    />
  );
}
