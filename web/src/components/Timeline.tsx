import type { TimelineItem } from '../runs/timeline.ts';
import { Markdown } from './Markdown.tsx';

export interface ApprovalActions {
  approve: (inboxItemId: string) => void;
  reject: (inboxItemId: string) => void;
  busy: boolean;
}

function Args({ value }: { value: unknown }) {
  if (value === undefined) return null;
  return <pre className="code-block small-code">{JSON.stringify(value, null, 2)}</pre>;
}

/** One timeline item: streamed text, a tool call with its result, a hand-off, an approval, a status. */
export function TimelineEntry({
  item,
  agentName,
  approvals,
}: {
  item: TimelineItem;
  agentName: (id: string) => string;
  approvals?: ApprovalActions | undefined;
}) {
  switch (item.kind) {
    case 'text':
      return (
        <div className="msg msg-assistant" data-testid="assistant-text">
          <div className="msg-who">{agentName(item.agentId)}</div>
          <Markdown text={item.text} />
          {item.done ? null : <span className="typing" title="still writing" />}
        </div>
      );
    case 'tool':
      return (
        <details className="event event-tool" open={item.output === undefined && !item.waiting}>
          <summary>
            <span className="event-icon" aria-hidden="true">
              ⚙
            </span>
            Tool <code>{item.name}</code>
            {item.output === undefined ? (
              <span className="muted"> {item.waiting ? 'waiting for approval' : 'running…'}</span>
            ) : item.isError ? (
              <span className="bad"> failed</span>
            ) : (
              <span className="muted"> done</span>
            )}
          </summary>
          <Args value={item.arguments} />
          {item.output !== undefined ? <pre className="code-block small-code">{item.output}</pre> : null}
        </details>
      );
    case 'handoff':
      return (
        <div className="event event-handoff">
          <span className="event-icon" aria-hidden="true">
            ⇄
          </span>
          Handed off from <strong>{agentName(item.from)}</strong> to <strong>{agentName(item.to)}</strong>
        </div>
      );
    case 'approval':
      return (
        <div className="event event-approval" data-testid="approval-request">
          <div>
            <span className="event-icon" aria-hidden="true">
              ⚑
            </span>
            Wants to call <code>{item.name}</code> and waits for approval
          </div>
          <Args value={item.arguments} />
          {item.decision ? (
            <div className={item.decision === 'approved' ? 'ok' : 'bad'}>
              {item.decision === 'approved' ? 'Approved' : 'Rejected'}
            </div>
          ) : approvals && item.inboxItemId ? (
            <div className="row-actions">
              <button
                type="button"
                className="btn btn-primary btn-small"
                disabled={approvals.busy}
                onClick={() => approvals.approve(item.inboxItemId!)}
              >
                Approve
              </button>
              <button
                type="button"
                className="btn btn-small"
                disabled={approvals.busy}
                onClick={() => approvals.reject(item.inboxItemId!)}
              >
                Reject
              </button>
            </div>
          ) : (
            <div className="muted">Waiting for someone with inbox access to decide.</div>
          )}
        </div>
      );
    case 'status':
      return (
        <div className={`event event-status status-${item.type.replace('run.', '')}`}>
          <span className="event-icon" aria-hidden="true">
            •
          </span>
          <span>{item.label}</span>
          {item.detail ? <span className="muted">: {item.detail}</span> : null}
          <time className="muted event-time" dateTime={item.at}>
            {new Date(item.at).toLocaleTimeString()}
          </time>
        </div>
      );
  }
}
