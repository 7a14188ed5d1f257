import { Link, useParams } from 'react-router';
import { useSession } from '../auth/SessionContext.tsx';
import { Empty, ErrorMessage, PageHeader, QueryState, StatusBadge, TimeAgo } from '../components/states.tsx';
import { TimelineEntry } from '../components/Timeline.tsx';
import { useToast } from '../components/Toasts.tsx';
import { useAgentName } from '../queries/agents.ts';
import { useInboxAction } from '../queries/inbox.ts';
import { useCancelRun, useRefreshRuns, useRun } from '../queries/runs.ts';
import { buildTimeline, TERMINAL_STATUSES } from '../runs/timeline.ts';
import { useRunLog } from '../runs/useRunLog.ts';

export function RunDetailPage() {
  const { id = '' } = useParams();
  const { can } = useSession();
  const toast = useToast();
  const agentName = useAgentName();
  const run = useRun(id);
  const refresh = useRefreshRuns();
  const log = useRunLog(run.data ? id : undefined, refresh);
  const items = buildTimeline(log);
  const cancel = useCancelRun(id);
  const cancelRun = () =>
    cancel.mutate(undefined, {
      onSuccess: () => toast.notify('Cancel requested'),
      onError: (err) => toast.fail(err),
      onSettled: refresh,
    });
  const decide = useInboxAction();

  return (
    <div className="page-body">
      <p className="crumbs">
        <Link to="/runs">Runs</Link> / <span className="mono">{id}</span>
      </p>
      <QueryState query={run} loading="Loading the run…">
        {(r) => {
          const finished = TERMINAL_STATUSES.has(r.status);
          return (
            <>
              <PageHeader title={r.input.split('\n')[0]?.slice(0, 80) || r.id}>
                <StatusBadge status={r.status} testId="run-detail-status" />
                {can('runs:write') && !finished ? (
                  <button
                    type="button"
                    className="btn btn-danger"
                    onClick={cancelRun}
                    disabled={cancel.isPending}
                  >
                    {cancel.isPending ? 'Cancelling…' : 'Cancel run'}
                  </button>
                ) : null}
              </PageHeader>
              <dl className="facts card">
                <div>
                  <dt>Agent</dt>
                  <dd>
                    <Link to={`/agents/${r.agentId}`}>{agentName(r.agentId)}</Link>
                  </dd>
                </div>
                <div>
                  <dt>Created</dt>
                  <dd>
                    <TimeAgo iso={r.createdAt} />
                  </dd>
                </div>
                <div>
                  <dt>Finished</dt>
                  <dd>
                    <TimeAgo iso={r.finishedAt} />
                  </dd>
                </div>
                <div>
                  <dt>Source</dt>
                  <dd>{r.source}</dd>
                </div>
                {r.conversationId ? (
                  <div>
                    <dt>Conversation</dt>
                    <dd>
                      <Link to={`/chat/${r.conversationId}`}>Open in chat</Link>
                    </dd>
                  </div>
                ) : null}
              </dl>
              {r.error ? <ErrorMessage error={new Error(`${r.error.code}: ${r.error.message}`)} /> : null}
              <section aria-labelledby="timeline-heading">
                <h2 id="timeline-heading" className="section-title">
                  Timeline
                </h2>
                {items.length === 0 ? (
                  <Empty title="No events yet" />
                ) : (
                  <ol className="timeline" aria-live="polite">
                    {items.map((item) => (
                      <li key={item.key}>
                        <TimelineEntry
                          item={item}
                          agentName={agentName}
                          approvals={
                            can('inbox:write')
                              ? {
                                  approve: (itemId) => decide.mutate({ id: itemId, action: 'approve' }),
                                  reject: (itemId) => decide.mutate({ id: itemId, action: 'reject' }),
                                  busy: decide.isPending,
                                }
                              : undefined
                          }
                        />
                      </li>
                    ))}
                  </ol>
                )}
              </section>
              {r.output && finished ? (
                <section>
                  <h2 className="section-title">Output</h2>
                  <pre className="code-block">{r.output}</pre>
                </section>
              ) : null}
            </>
          );
        }}
      </QueryState>
    </div>
  );
}
