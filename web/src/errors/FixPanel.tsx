import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useSession } from '../auth/SessionContext.tsx';
import { DiffView } from '../components/DiffView.tsx';
import { FormError, FormField } from '../components/FormField.tsx';
import { Markdown } from '../components/Markdown.tsx';
import { Segmented } from '../components/Segmented.tsx';
import { Empty, ErrorMessage, Loading, TimeAgo } from '../components/states.tsx';
import { TimelineEntry } from '../components/Timeline.tsx';
import { useToast } from '../components/Toasts.tsx';
import { useAgentName, useAgents } from '../queries/agents.ts';
import { type IssueDetail, useErrorProjects } from '../queries/errors.ts';
import {
  type Fix,
  MOVING,
  useApproveFix,
  useFixesLive,
  useIssueFixes,
  useRejectFix,
  useRequestFix,
} from '../queries/fixes.ts';
import { buildTimeline } from '../runs/timeline.ts';
import { useRunLog } from '../runs/useRunLog.ts';

const LABELS: Record<Fix['status'], string> = {
  queued: 'Queued',
  analyzing: 'Analyzing',
  proposed: 'Proposed — waiting for review',
  rejected: 'Rejected',
  applying: 'Applying',
  applied: 'Applied',
  verifying: 'Verifying',
  verified: 'Verified',
  verification_failed: 'Verification failed',
  failed: 'Failed',
};

const TONES: Partial<Record<Fix['status'], string>> = {
  proposed: 'wait',
  verified: 'ok',
  applied: 'ok',
  failed: 'bad',
  verification_failed: 'bad',
  rejected: 'neutral',
};

export function FixStatusBadge({ status }: { status: Fix['status'] }) {
  return (
    <span className={`badge badge-${TONES[status] ?? 'info'}`} data-testid="fix-status" data-status={status}>
      {LABELS[status]}
    </span>
  );
}

/** Where the fixer reads: the project's repository and branch, or a way to set them. */
function Repository({ projectId }: { projectId: string }) {
  const projects = useErrorProjects();
  const project = projects.data?.find((p) => p.id === projectId);
  if (!project) return null;
  if (!project.repository)
    return (
      <p className="muted" data-testid="fix-repository">
        This project has no repository yet: give it one on <Link to="/errors/projects">Error projects</Link>{' '}
        so the fixer can read its code.
      </p>
    );
  return (
    <p className="muted" data-testid="fix-repository">
      Reads <code className="mono">{project.repository.path}</code> at{' '}
      <code className="mono">{project.repository.branch}</code>
      {project.verifyCommand?.length ? (
        <>
          ; verifies with <code className="mono">{project.verifyCommand.join(' ')}</code>
        </>
      ) : null}
      .
    </p>
  );
}

/** Asks for a fix: optional instructions for the fixer, and which agent works it (default: the Fixer). */
function RequestFix({ issueId, onRequested }: { issueId: string; onRequested: (fix: Fix) => void }) {
  const [instructions, setInstructions] = useState('');
  const [agentId, setAgentId] = useState('');
  const { can } = useSession();
  // Another agent can be picked by those who may list agents; the others get the Fixer.
  const agents = useAgents(can('agents:read'));
  const request = useRequestFix(issueId);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    request.mutate(
      { ...(instructions.trim() ? { instructions } : {}), ...(agentId ? { agentId } : {}) },
      {
        onSuccess: (fix) => {
          setInstructions('');
          onRequested(fix);
        },
      },
    );
  };
  return (
    <form className="fix-request stack" onSubmit={submit} aria-label="Ask for a fix">
      <FormField
        label="Instructions for the fixer (optional)"
        hint="What you already know, where to look, what not to change. The fixer then reads the stack trace and the code."
      >
        {(field) => (
          <textarea
            {...field}
            rows={3}
            value={instructions}
            onChange={(e) => setInstructions(e.target.value)}
            data-testid="fix-instructions"
          />
        )}
      </FormField>
      <div className="row-actions">
        <FormField label="Agent">
          {(field) => (
            <select
              {...field}
              value={agentId}
              onChange={(e) => setAgentId(e.target.value)}
              data-testid="fix-agent"
            >
              <option value="">Fixer (default)</option>
              {(agents.data ?? []).map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          )}
        </FormField>
        <button
          type="submit"
          className="btn btn-primary"
          disabled={request.isPending}
          data-testid="fix-request"
        >
          {request.isPending ? 'Asking…' : 'Ask for a fix'}
        </button>
      </div>
      <FormError error={request.error} fields={[]} />
    </form>
  );
}

/** The fixer's run as it goes: files read, searches, edits proposed, its answer. */
function FixProgress({ runId, live }: { runId: string; live: boolean }) {
  const agentName = useAgentName();
  const log = useRunLog(runId);
  const items = buildTimeline(log);
  return (
    <details className="fix-progress" open={live}>
      <summary>
        Progress ({items.length} {items.length === 1 ? 'step' : 'steps'}) ·{' '}
        <Link to={`/runs/${runId}`}>the run</Link>
      </summary>
      {items.length === 0 ? (
        <Empty title="Waiting for the fixer to start" />
      ) : (
        <ol className="timeline" aria-live="polite" data-testid="fix-timeline">
          {items.map((item) => (
            <li key={item.key}>
              <TimelineEntry item={item} agentName={agentName} />
            </li>
          ))}
        </ol>
      )}
    </details>
  );
}

/** Approve or reject a proposed fix (a reason may be given for a rejection). */
function Decide({ fix }: { fix: Fix }) {
  const toast = useToast();
  const approve = useApproveFix(fix.issueId);
  const reject = useRejectFix(fix.issueId);
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const busy = approve.isPending || reject.isPending;
  return (
    <div className="fix-decide stack">
      <div className="row-actions">
        <button
          type="button"
          className="btn btn-primary"
          disabled={busy}
          onClick={() =>
            approve.mutate(fix.id, {
              onSuccess: () => toast.notify('Approved: the fix is being committed on its own branch'),
            })
          }
          data-testid="fix-approve"
        >
          Approve and apply
        </button>
        <button
          type="button"
          className="btn"
          disabled={busy}
          aria-expanded={rejecting}
          onClick={() => setRejecting((r) => !r)}
        >
          Reject…
        </button>
      </div>
      {rejecting ? (
        <form
          className="row-actions"
          aria-label="Reject the fix"
          onSubmit={(e) => {
            e.preventDefault();
            reject.mutate({ id: fix.id, reason }, { onSuccess: () => setRejecting(false) });
          }}
        >
          <input
            aria-label="Why the fix is rejected"
            placeholder="Why (optional)"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            data-testid="fix-reject-reason"
          />
          <button type="submit" className="btn btn-danger" disabled={busy} data-testid="fix-reject">
            Reject
          </button>
        </form>
      ) : null}
      {approve.error ? <ErrorMessage error={approve.error} /> : null}
      {reject.error ? <ErrorMessage error={reject.error} /> : null}
    </div>
  );
}

/** The proposed change, unified or side by side. */
function Change({ fix }: { fix: Fix }) {
  const [view, setView] = useState<'unified' | 'split'>('unified');
  if (!fix.diff) return null;
  return (
    <section aria-label="Proposed change" className="fix-change">
      <div className="section-head">
        <h4>
          Change <span className="muted small-inline">({fix.files.join(', ')})</span>
        </h4>
        <Segmented
          label="Diff layout"
          value={view}
          onChange={setView}
          options={[
            { value: 'unified', label: 'Unified' },
            { value: 'split', label: 'Side by side' },
          ]}
        />
      </div>
      <div data-testid="fix-diff" data-view={view}>
        <DiffView source={{ patch: fix.diff }} view={view} label="Proposed change" />
      </div>
    </section>
  );
}

/** One fix: where it stands, why, its diff, the decision, the commit and its verification. */
function FixDetail({ fix, writable }: { fix: Fix; writable: boolean }) {
  return (
    <article className="fix-detail stack" data-testid="fix-detail" data-fix-id={fix.id}>
      <div className="section-head">
        <FixStatusBadge status={fix.status} />
        {fix.holding === false ? (
          <span className="badge badge-bad" data-testid="fix-regressed">
            Not holding: came back in {fix.regressedRelease ?? 'a later release'}
          </span>
        ) : null}
        <span className="muted small-inline">
          asked for <TimeAgo iso={fix.createdAt} />
        </span>
      </div>
      {fix.instructions ? (
        <p className="muted fix-asked">
          Asked: <span className="mono">{fix.instructions}</span>
        </p>
      ) : null}
      {fix.runId ? (
        <FixProgress runId={fix.runId} live={fix.status === 'queued' || fix.status === 'analyzing'} />
      ) : null}
      {fix.error ? (
        <div className="problem" role="alert" data-testid="fix-error">
          <strong>{fix.error.code}</strong>: {fix.error.message}
        </div>
      ) : null}
      {fix.rootCause ? (
        <section aria-label="Root cause" data-testid="fix-root-cause">
          <h4>Root cause</h4>
          <Markdown text={fix.rootCause} />
        </section>
      ) : null}
      <Change fix={fix} />
      {fix.status === 'proposed' && writable ? <Decide fix={fix} /> : null}
      {fix.status === 'rejected' ? (
        <p className="muted" data-testid="fix-rejected">
          Rejected{fix.rejectReason ? `: ${fix.rejectReason}` : ''}.
        </p>
      ) : null}
      {fix.commit ? (
        <p data-testid="fix-commit">
          Committed on <code className="mono">{fix.branch}</code> as{' '}
          <code className="mono">{fix.commit.slice(0, 12)}</code> (from {fix.repository.branch}; merge it when
          you are satisfied).
        </p>
      ) : null}
      {fix.verify ? (
        <section aria-label="Verification" data-testid="fix-verify">
          <h4>
            Verification: <code className="mono">{fix.verify.command.join(' ')}</code> —{' '}
            {fix.verify.exitCode === null ? 'did not finish' : `exit code ${fix.verify.exitCode}`}
          </h4>
          <pre className="code-block small-code" data-testid="fix-verify-output">
            {fix.verify.outputTail || '(no output)'}
          </pre>
        </section>
      ) : fix.status === 'verifying' ? (
        <Loading label="Running the verify command…" />
      ) : null}
    </article>
  );
}

/**
 * The AI fix panel of an issue: ask for a fix, watch the fixer work, review its diff, approve or reject it,
 * see the commit and its verification; earlier fixes of the issue below. Live through `fix.updated`.
 */
export function FixPanel({ issue }: { issue: IssueDetail }) {
  const { can } = useSession();
  const fixes = useIssueFixes(issue.id);
  useFixesLive(issue.id);
  // A link to one fix (`?fix=`, from the activity feed) shows it; otherwise the newest.
  const [params] = useSearchParams();
  const [selected, setSelected] = useState<string | undefined>(params.get('fix') ?? undefined);
  const items = fixes.data?.items ?? [];
  const current = items.find((f) => f.id === selected) ?? items[0];
  // A new fix of this issue (asked for here or elsewhere) is shown as it arrives.
  const newest = items[0]?.id;
  const seenNewest = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (newest === undefined) return;
    if (seenNewest.current !== undefined && seenNewest.current !== newest) setSelected(undefined);
    seenNewest.current = newest;
  }, [newest]);
  const writable = can('errors:write');
  const newestBusy = items[0] ? MOVING.has(items[0].status) || items[0].status === 'proposed' : false;
  return (
    <div className="fix-panel card stack" data-testid="fix-panel">
      <div className="section-head">
        <h3>AI fix</h3>
      </div>
      <Repository projectId={issue.projectId} />
      {writable && !newestBusy ? (
        <RequestFix issueId={issue.id} onRequested={(fix) => setSelected(fix.id)} />
      ) : null}
      {fixes.isPending ? (
        <Loading />
      ) : fixes.error ? (
        <ErrorMessage error={fixes.error} onRetry={() => void fixes.refetch()} />
      ) : !current ? (
        <Empty title="No fix asked for yet">
          The fixer reads the stack trace and the project's repository, explains the root cause and proposes a
          change for you to review. Nothing is committed until you approve it, and then only on a branch of
          its own.
        </Empty>
      ) : (
        <FixDetail fix={current} writable={writable} />
      )}
      {items.length > 1 ? (
        <details className="fix-history">
          <summary>History ({items.length} fixes)</summary>
          <ul className="fix-history-list" data-testid="fix-history">
            {items.map((f) => (
              <li key={f.id}>
                <button
                  type="button"
                  className={`link-button ${f.id === current?.id ? 'active' : ''}`}
                  aria-current={f.id === current?.id ? 'true' : undefined}
                  onClick={() => setSelected(f.id)}
                >
                  <FixStatusBadge status={f.status} /> <TimeAgo iso={f.createdAt} />
                  {f.files.length ? ` · ${f.files.join(', ')}` : ''}
                </button>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}
