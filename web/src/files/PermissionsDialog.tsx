import { useEffect, useId, useRef, useState } from 'react';
import { ErrorMessage, Loading } from '../components/states.tsx';
import {
  type FilePermissions,
  type RuleInput,
  useFilePermissions,
  useSetFilePermissions,
} from '../queries/files.ts';
import { useSubjects } from './names.ts';

type SubjectType = RuleInput['subject']['type'];
type Access = RuleInput['access'];

const ACCESS_WORDS: Record<Access, string> = { none: 'No access', read: 'Read', write: 'Read and write' };
const TYPE_WORDS: Record<SubjectType, string> = { role: 'Role', member: 'Member', agent: 'Agent' };

type Shown = FilePermissions['rules'][number];

function subjectLabel(rule: Shown): string {
  return `${rule.subject.name ?? `${rule.subject.id} (removed)`}`;
}

/** Adds one rule: whom (a role, a member or an agent of the org) and what they get. */
function AddRule({ onAdd, taken }: { onAdd: (rule: Shown) => void; taken: Set<string> }) {
  const subjects = useSubjects();
  const [type, setType] = useState<SubjectType>('role');
  const [id, setId] = useState('');
  const [access, setAccess] = useState<Access>('read');
  const ids = useId();
  const options =
    type === 'role'
      ? // Owners and admins write everywhere whatever a rule says; a rule for them would change nothing.
        subjects.roles
          .filter((r) => !(r.builtin && (r.name === 'owner' || r.name === 'admin')))
          .map((r) => ({ id: r.id, name: r.name }))
      : type === 'member'
        ? subjects.members.map((m) => ({ id: m.id, name: `${m.name} (${m.email})` }))
        : subjects.agents.map((a) => ({ id: a.id, name: a.name }));
  const free = options.filter((o) => !taken.has(`${type}:${o.id}`));
  const chosen = free.find((o) => o.id === id) ?? free[0];
  return (
    <fieldset className="rule-add">
      <legend>Add a rule</legend>
      <span className="field">
        <label htmlFor={`${ids}-type`}>Who</label>
        <select id={`${ids}-type`} value={type} onChange={(e) => setType(e.target.value as SubjectType)}>
          <option value="role">Role</option>
          <option value="member">Member</option>
          <option value="agent">Agent</option>
        </select>
      </span>
      <span className="field">
        <label htmlFor={`${ids}-subject`}>{TYPE_WORDS[type]}</label>
        <select
          id={`${ids}-subject`}
          value={chosen?.id ?? ''}
          onChange={(e) => setId(e.target.value)}
          disabled={!chosen}
        >
          {free.length === 0 ? <option value="">None left to add</option> : null}
          {free.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
        </select>
      </span>
      <span className="field">
        <label htmlFor={`${ids}-access`}>Access</label>
        <select id={`${ids}-access`} value={access} onChange={(e) => setAccess(e.target.value as Access)}>
          {(['none', 'read', 'write'] as const).map((a) => (
            <option key={a} value={a}>
              {ACCESS_WORDS[a]}
            </option>
          ))}
        </select>
      </span>
      <button
        type="button"
        className="btn"
        disabled={!chosen}
        onClick={() => chosen && onAdd({ subject: { type, id: chosen.id, name: chosen.name }, access })}
      >
        Add rule
      </button>
    </fieldset>
  );
}

function RulesEditor({ permissions, onClose }: { permissions: FilePermissions; onClose: () => void }) {
  const [rules, setRules] = useState<Shown[]>(permissions.rules);
  const save = useSetFilePermissions();
  const canWrite = permissions.access === 'write';
  const key = (r: Shown) => `${r.subject.type}:${r.subject.id}`;
  const changed = JSON.stringify(rules) !== JSON.stringify(permissions.rules);

  return (
    <>
      <section aria-label="Inherited rules">
        <h3 className="dialog-subtitle">Inherited from the folders above</h3>
        {permissions.inherited.length === 0 ? (
          <p className="muted small">
            None: people have what their role allows, and agents have nothing until a rule gives it.
          </p>
        ) : (
          <table className="table rules-table" data-testid="inherited-rules">
            <tbody>
              {permissions.inherited.map((r) => (
                <tr key={`${r.path}:${key(r)}`}>
                  <td>
                    <span className="tag">{TYPE_WORDS[r.subject.type]}</span> {subjectLabel(r)}
                  </td>
                  <td>{ACCESS_WORDS[r.access]}</td>
                  <td className="mono small-inline">from {r.path}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-label="Rules set here">
        <h3 className="dialog-subtitle">Set here (they win over inherited ones)</h3>
        {rules.length === 0 ? <p className="muted small">No rules set here.</p> : null}
        <ul className="rule-list" data-testid="own-rules">
          {rules.map((r) => (
            <li key={key(r)} className="rule-row">
              <span>
                <span className="tag">{TYPE_WORDS[r.subject.type]}</span> {subjectLabel(r)}
              </span>
              {canWrite ? (
                <>
                  <select
                    aria-label={`Access of ${subjectLabel(r)}`}
                    value={r.access}
                    onChange={(e) =>
                      setRules(
                        rules.map((x) =>
                          key(x) === key(r) ? { ...x, access: e.target.value as Access } : x,
                        ),
                      )
                    }
                  >
                    {(['none', 'read', 'write'] as const).map((a) => (
                      <option key={a} value={a}>
                        {ACCESS_WORDS[a]}
                      </option>
                    ))}
                  </select>
                  <button
                    type="button"
                    className="btn btn-small btn-danger"
                    onClick={() => setRules(rules.filter((x) => key(x) !== key(r)))}
                    aria-label={`Remove the rule of ${subjectLabel(r)}`}
                  >
                    Remove
                  </button>
                </>
              ) : (
                <span>{ACCESS_WORDS[r.access]}</span>
              )}
            </li>
          ))}
        </ul>
        {canWrite ? (
          <AddRule taken={new Set(rules.map(key))} onAdd={(rule) => setRules([...rules, rule])} />
        ) : null}
      </section>
      <p className="hint">
        Owners and admins always read and write. A rule never gives more than the person&apos;s role allows (a
        viewer stays a reader). Agents reach files only through rules that name them.
      </p>
      {save.error ? <ErrorMessage error={save.error} /> : null}
      <div className="row-actions dialog-actions">
        {canWrite ? (
          <button
            type="button"
            className="btn btn-primary"
            disabled={!changed || save.isPending}
            onClick={() =>
              save.mutate(
                {
                  path: permissions.path,
                  rules: rules.map((r) => ({
                    subject: { type: r.subject.type, id: r.subject.id },
                    access: r.access,
                  })),
                },
                { onSuccess: onClose },
              )
            }
          >
            {save.isPending ? 'Saving…' : 'Save rules'}
          </button>
        ) : null}
        <button type="button" className="btn" onClick={onClose}>
          {canWrite ? 'Cancel' : 'Close'}
        </button>
      </div>
    </>
  );
}

/**
 * Who may do what at a path: the rules inherited from the folders above (read only here) and those set
 * at the path itself, which whoever may write the path can change. A modal dialog: Escape closes it,
 * and focus stays inside while it is open.
 */
export function PermissionsButton({ path, name }: { path: string; name: string }) {
  const [open, setOpen] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);
  const title = useId();
  const permissions = useFilePermissions(path, open);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);

  return (
    <>
      <button type="button" className="btn btn-small" onClick={() => setOpen(true)}>
        Permissions
      </button>
      <dialog ref={dialog} className="dialog" aria-labelledby={title} onClose={() => setOpen(false)}>
        <h2 id={title}>Permissions of {name || 'all files'}</h2>
        <p className="mono small-inline muted">{path}</p>
        {!open ? null : permissions.error ? (
          <ErrorMessage error={permissions.error} />
        ) : permissions.data ? (
          <RulesEditor
            key={JSON.stringify(permissions.data.rules)}
            permissions={permissions.data}
            onClose={() => setOpen(false)}
          />
        ) : (
          <Loading label="Reading the rules…" />
        )}
      </dialog>
    </>
  );
}
