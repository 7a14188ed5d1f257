import { useState } from 'react';
import { useSession } from '../auth/SessionContext.tsx';
import { FormField, fieldError } from '../components/FormField.tsx';
import { ConfirmButton, CreateForm, ResourcePage } from '../components/ResourcePage.tsx';
import { Empty, TimeAgo } from '../components/states.tsx';
import { useAddMember, useChangeMemberRole, useMembers, useRemoveMember } from '../queries/members.ts';
import { useRoles } from '../queries/roles.ts';
import { MailOffNotice } from './AccountLinkPages.tsx';

const MEMBER_FIELDS = ['email', 'roleId', 'name', 'password'];

function AddMember() {
  const roles = useRoles();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [roleId, setRoleId] = useState('');
  const chosenRole = roleId || roles.data?.find((r) => r.name === 'member')?.id || '';
  const add = useAddMember(() => {
    setEmail('');
    setName('');
    setPassword('');
  });
  const submit = () =>
    add.mutate({
      email: email.trim(),
      roleId: chosenRole,
      ...(name.trim() ? { name: name.trim() } : {}),
      ...(password ? { password } : {}),
    });
  return (
    <CreateForm
      id="add-member"
      title="Add a member"
      mutation={add}
      fields={MEMBER_FIELDS}
      submit="Add member"
      busyLabel="Adding…"
      disabled={!chosenRole}
      onSubmit={submit}
    >
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
        <FormField label="First password (optional)" error={fieldError(add.error, 'password')}>
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
      <p className="hint">
        Someone who has no account yet is mailed an invitation to set their own password (or give a first
        password here instead); someone who has one is mailed a notice.
      </p>
      <MailOffNotice />
    </CreateForm>
  );
}

export function MembersPage() {
  const { can, profile } = useSession();
  const roles = useRoles();
  const members = useMembers();
  const changeRole = useChangeMemberRole();
  const remove = useRemoveMember();
  const canWrite = can('members:write');
  const isSelf = (userId: string) => userId === profile?.user.id;
  return (
    <ResourcePage
      title="Members"
      form={canWrite ? <AddMember /> : null}
      query={members}
      loading="Loading members…"
      empty={<Empty title="No members" />}
      rowTestId="member-row"
      name={{
        main: (m) => (
          <>
            {m.name}
            {isSelf(m.userId) ? <span className="tag">you</span> : null}
            {m.emailVerified ? null : (
              <span
                className="tag"
                title="Has not followed a link mailed to them yet (invitation or verification)"
              >
                unconfirmed
              </span>
            )}
          </>
        ),
        under: (m) => m.email,
        underClassName: 'muted small-inline',
      }}
      columns={[
        {
          header: 'Role',
          cell: (m) =>
            canWrite && !isSelf(m.userId) && roles.data ? (
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
            ),
        },
        { header: 'Joined', cell: (m) => <TimeAgo iso={m.createdAt} /> },
      ]}
      rowActions={(m) =>
        canWrite && !isSelf(m.userId) ? (
          <ConfirmButton
            question={`Remove ${m.name} from the organisation?`}
            onConfirm={() => remove.mutate(m.id)}
          >
            Remove
          </ConfirmButton>
        ) : null
      }
    />
  );
}
