import { useState } from 'react';
import { Link } from 'react-router';
import { CopyButton } from '../components/CopyButton.tsx';
import { Segmented } from '../components/Segmented.tsx';
import type { ErrorProject } from '../queries/errors.ts';
import { SDKS, type SdkKind, sdkSnippet } from './snippets.ts';

/** A project's DSN with a copy button. */
export function DsnField({ project }: { project: ErrorProject }) {
  return (
    <div className="dsn">
      <span className="muted small-inline">DSN</span>
      <code className="dsn-value" data-testid="project-dsn">
        {project.dsn}
      </code>
      <CopyButton text={project.dsn} what={`the DSN of ${project.name}`} />
    </div>
  );
}

/** How to connect an application: install a Sentry SDK, then these lines with the project's DSN. */
export function SdkSnippet({ project }: { project: ErrorProject }) {
  const [kind, setKind] = useState<SdkKind>(
    project.platform === 'browser' || project.platform === 'javascript' ? 'browser' : 'node',
  );
  const sdk = SDKS.find((s) => s.value === kind)!;
  const code = sdkSnippet(kind, project.dsn, project.platform);
  return (
    <div className="sdk-snippet">
      <Segmented label="SDK" options={SDKS} value={kind} onChange={setKind} />
      <div className="snippet">
        <div className="snippet-head">
          <code>{sdk.install}</code>
          <CopyButton text={sdk.install} what="the install command" />
        </div>
        <div className="snippet-head">
          <span className="muted small-inline">Early in your application’s start-up:</span>
          <CopyButton text={code} what={`the ${sdk.label} snippet`} />
        </div>
        <pre className="code-block" data-testid="sdk-snippet">
          <code>{code}</code>
        </pre>
      </div>
    </div>
  );
}

/**
 * The Errors page with nothing to show yet: how errors get here. Without a project, make one; with one,
 * its DSN and the SDK set-up to paste.
 */
export function ConnectSdk({ projects, canManage }: { projects: ErrorProject[]; canManage: boolean }) {
  // The built-in project is Switchboard's own; an application gets a project of its own.
  const first = projects.find((p) => !p.builtin);
  return (
    <div className="state state-empty connect-sdk" data-testid="errors-empty">
      <p className="state-title">No errors yet</p>
      <div className="muted">
        <p>
          Switchboard collects errors from your applications through any Sentry SDK, unchanged: point the SDK
          at a project’s DSN and every uncaught exception shows up here, grouped into issues, as it happens.
        </p>
        {first ? null : canManage ? (
          <p>
            Start by <Link to="/errors/projects">creating a project</Link>; it gets a DSN to paste into your
            application.
          </p>
        ) : (
          <p>There is no error project yet; an owner or admin can create one under Errors → Projects.</p>
        )}
      </div>
      {first ? (
        <div className="connect-steps">
          <h2 className="section-title">Connect {first.name}</h2>
          <DsnField project={first} />
          <SdkSnippet project={first} />
        </div>
      ) : null}
    </div>
  );
}
