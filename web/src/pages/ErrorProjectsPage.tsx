import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { useSession } from '../auth/SessionContext.tsx';
import { FormError, FormField, fieldError, fieldErrorWithin } from '../components/FormField.tsx';
import { ConfirmButton } from '../components/ResourcePage.tsx';
import { Empty, PageHeader, QueryState } from '../components/states.tsx';
import { DsnField, SdkSnippet } from '../errors/ConnectSdk.tsx';
import { formatCommand, parseCommand } from '../errors/command.ts';
import {
  type ErrorProject,
  type ErrorProjectInput,
  useCreateErrorProject,
  useDeleteErrorProject,
  useErrorProjects,
  useUpdateErrorProject,
} from '../queries/errors.ts';

/** The platforms offered first; any lower-case name is accepted. */
const PLATFORMS = ['node', 'javascript', 'python', 'go', 'java', 'ruby', 'php', 'other'];

/** What the form edits, as its controls hold it. */
interface Draft {
  name: string;
  platform: string;
  repoPath: string;
  repoBranch: string;
  verify: string;
}

const draftOf = (p: ErrorProject | undefined): Draft => ({
  name: p?.name ?? '',
  platform: p?.platform ?? 'node',
  repoPath: p?.repository?.path ?? '',
  repoBranch: p?.repository?.branch ?? '',
  verify: p?.verifyCommand ? formatCommand(p.verifyCommand) : '',
});

/** The draft as a request body, or what is wrong with it before anything is sent. */
function bodyOf(
  d: Draft,
): { body: ErrorProjectInput } | { problem: { field: 'repository' | 'verify'; text: string } } {
  const path = d.repoPath.trim();
  const branch = d.repoBranch.trim();
  if ((path === '') !== (branch === ''))
    return {
      problem: { field: 'repository', text: 'Give both the repository path and its branch, or neither' },
    };
  const verify = parseCommand(d.verify);
  if ('error' in verify) return { problem: { field: 'verify', text: verify.error } };
  return {
    body: {
      name: d.name.trim(),
      platform: d.platform.trim() || 'other',
      repository: path ? { path, branch } : null,
      verifyCommand: verify.args.length > 0 ? verify.args : null,
      rateLimitPerMinute: null,
    },
  };
}

function ProjectForm({
  initial,
  submit,
  busy,
  error,
  onSubmit,
  onCancel,
  idPrefix,
}: {
  initial: ErrorProject | undefined;
  submit: string;
  busy: boolean;
  error: unknown;
  onSubmit: (body: ErrorProjectInput) => void;
  onCancel?: () => void;
  idPrefix: string;
}) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(initial));
  const [problem, setProblem] = useState<{ field: string; text: string } | undefined>(undefined);
  const set = (key: keyof Draft) => (e: { target: { value: string } }) =>
    setDraft({ ...draft, [key]: e.target.value });
  function send(e: FormEvent) {
    e.preventDefault();
    const result = bodyOf(draft);
    if ('problem' in result) return setProblem(result.problem);
    setProblem(undefined);
    onSubmit(result.body);
  }
  const repoError = problem?.field === 'repository' ? problem.text : fieldErrorWithin(error, 'repository');
  return (
    <form className="form project-form" onSubmit={send} data-testid={`${idPrefix}-form`}>
      <div className="form-grid">
        <FormField label="Name" error={fieldError(error, 'name')}>
          {(f) => (
            <input
              {...f}
              required
              maxLength={100}
              value={draft.name}
              onChange={set('name')}
              data-testid="project-name"
            />
          )}
        </FormField>
        <FormField
          label="Platform"
          hint="The SDK’s platform, e.g. node or javascript"
          error={fieldError(error, 'platform')}
        >
          {(f) => (
            <input
              {...f}
              list={`${idPrefix}-platforms`}
              value={draft.platform}
              onChange={set('platform')}
              maxLength={40}
            />
          )}
        </FormField>
        <datalist id={`${idPrefix}-platforms`}>
          {PLATFORMS.map((p) => (
            <option key={p} value={p} />
          ))}
        </datalist>
      </div>
      <fieldset className="plain-fieldset">
        <legend className="field-legend">Code, for AI fixes (optional)</legend>
        <div className="form-grid">
          <FormField
            label="Repository path"
            hint="An absolute path on the server, e.g. /srv/shop"
            error={repoError}
          >
            {(f) => (
              <input
                {...f}
                value={draft.repoPath}
                onChange={set('repoPath')}
                placeholder="/srv/app"
                data-testid="project-repo-path"
              />
            )}
          </FormField>
          <FormField label="Branch" hint="Fixes start from this branch">
            {(f) => (
              <input
                {...f}
                value={draft.repoBranch}
                onChange={set('repoBranch')}
                placeholder="main"
                data-testid="project-repo-branch"
              />
            )}
          </FormField>
        </div>
        <FormField
          label="Verify command"
          hint="Run in a copy of the fixed code, without a shell: the program and its arguments, quotes around an argument with spaces"
          error={problem?.field === 'verify' ? problem.text : fieldErrorWithin(error, 'verifyCommand')}
        >
          {(f) => (
            <input
              {...f}
              value={draft.verify}
              onChange={set('verify')}
              placeholder="npm test"
              className="mono"
              data-testid="project-verify"
            />
          )}
        </FormField>
      </fieldset>
      <FormError
        error={error}
        fields={['name', 'platform', 'repository', 'repository.path', 'repository.branch', 'verifyCommand']}
      />
      <div className="row-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Saving…' : submit}
        </button>
        {onCancel ? (
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

function NewProject({ onDone }: { onDone: () => void }) {
  const create = useCreateErrorProject(onDone);
  return (
    <section className="card new-project" aria-labelledby="new-project-heading">
      <h2 id="new-project-heading">New project</h2>
      <ProjectForm
        idPrefix="new-project"
        initial={undefined}
        submit="Create project"
        busy={create.isPending}
        error={create.error}
        onSubmit={(body) => create.mutate(body)}
        onCancel={onDone}
      />
    </section>
  );
}

function ProjectCard({ project, canWrite }: { project: ErrorProject; canWrite: boolean }) {
  const [editing, setEditing] = useState(false);
  const update = useUpdateErrorProject(() => setEditing(false));
  const remove = useDeleteErrorProject();
  return (
    <li className="card project-card" data-testid="project-card">
      <div className="project-head">
        <h2 className="project-name">{project.name}</h2>
        <span className="tag">{project.platform}</span>
        <span className="mono muted small-inline">{project.slug}</span>
        {project.builtin ? (
          <span className="tag tag-wait" title="Switchboard’s own server and console report here">
            built in
          </span>
        ) : null}
        {canWrite && !editing ? (
          <div className="row-actions project-actions">
            <button type="button" className="btn btn-small" onClick={() => setEditing(true)}>
              Edit
            </button>
            {project.builtin ? null : (
              <ConfirmButton
                question={`Delete ${project.name} with all its issues and events? Applications sending to its DSN will be refused.`}
                onConfirm={() => remove.mutate(project.id)}
                label={`Delete ${project.name}`}
                disabled={remove.isPending}
              >
                Delete
              </ConfirmButton>
            )}
          </div>
        ) : null}
      </div>
      {editing ? (
        <ProjectForm
          idPrefix={`edit-${project.id}`}
          initial={project}
          submit="Save"
          busy={update.isPending}
          error={update.error}
          onSubmit={(body) =>
            update.mutate({
              id: project.id,
              change: {
                name: body.name,
                platform: body.platform,
                repository: body.repository,
                verifyCommand: body.verifyCommand,
              },
            })
          }
          onCancel={() => setEditing(false)}
        />
      ) : (
        <>
          <DsnField project={project} />
          <dl className="facts project-facts">
            <dt>Repository</dt>
            <dd className="mono">
              {project.repository ? `${project.repository.path} @ ${project.repository.branch}` : '—'}
            </dd>
            <dt>Verify command</dt>
            <dd className="mono">{project.verifyCommand ? formatCommand(project.verifyCommand) : '—'}</dd>
            <dt>Rate limit</dt>
            <dd>{project.effectiveRateLimitPerMinute.toLocaleString()} events a minute</dd>
          </dl>
          <details className="project-setup">
            <summary>Set up an SDK</summary>
            <SdkSnippet project={project} />
          </details>
        </>
      )}
    </li>
  );
}

/** The org's error projects: each one's DSN and SDK set-up, its repository and verify command for fixes. */
export function ErrorProjectsPage() {
  const { can } = useSession();
  const projects = useErrorProjects();
  const canWrite = can('errors:write');
  const [creating, setCreating] = useState(false);
  return (
    <div className="page-body projects-page">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/errors">Errors</Link> <span aria-hidden="true">/</span> Projects
      </nav>
      <PageHeader title="Error projects">
        {canWrite && !creating ? (
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => setCreating(true)}
            data-testid="new-project"
          >
            New project
          </button>
        ) : null}
      </PageHeader>
      {creating ? <NewProject onDone={() => setCreating(false)} /> : null}
      <QueryState query={projects} loading="Loading projects…">
        {(list) =>
          list.length === 0 ? (
            <Empty title="No projects yet">
              A project receives the errors of one application: create one, then give its DSN to a Sentry SDK.
            </Empty>
          ) : (
            <ul className="project-list">
              {list.map((p) => (
                <ProjectCard key={p.id} project={p} canWrite={canWrite} />
              ))}
            </ul>
          )
        }
      </QueryState>
    </div>
  );
}
