import { type FormEvent, type KeyboardEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { useSession } from '../auth/SessionContext.tsx';
import { ConversationList } from '../chat/ConversationList.tsx';
import { type ChatItem, chatItemsOf } from '../chat/messages.ts';
import { useChatTurn } from '../chat/useChatTurn.ts';
import { useConversationTurn } from '../chat/useConversationTurn.ts';
import { Empty, ErrorMessage, Loading } from '../components/states.tsx';
import { TimelineEntry } from '../components/Timeline.tsx';
import { useToast } from '../components/Toasts.tsx';
import { useAgentName, useAgents } from '../queries/agents.ts';
import {
  useConversation,
  useConversationMessages,
  useRefreshConversations,
} from '../queries/conversations.ts';
import { useInboxAction } from '../queries/inbox.ts';
import { useCancelRun, useRefreshRuns, useRun } from '../queries/runs.ts';
import { buildTimeline, type RunEvent, TERMINAL_STATUSES } from '../runs/timeline.ts';

function ChatEntry({
  item,
  agentName,
  approvals,
}: {
  item: ChatItem;
  agentName: (id: string) => string;
  approvals: Parameters<typeof TimelineEntry>[0]['approvals'];
}) {
  if (item.kind === 'user') {
    return (
      <div className="msg msg-user" data-testid="user-message">
        <div className="msg-text">{item.text}</div>
      </div>
    );
  }
  if (item.kind === 'status' && item.type !== 'run.failed') return null;
  return <TimelineEntry item={item} agentName={agentName} approvals={approvals} />;
}

/** Chat over runs: each message starts a run on the conversation and its log streams in as it happens. */
export function ChatPage() {
  const { conversationId } = useParams();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const toast = useToast();
  const { can } = useSession();
  const agents = useAgents();
  const agentName = useAgentName();
  const [text, setText] = useState('');
  const [agentId, setAgentId] = useState<string>(params.get('agent') ?? '');
  const paneRef = useRef<HTMLDivElement>(null);

  const conversation = useConversation(conversationId);
  const messages = useConversationMessages(conversationId);
  const refreshConversations = useRefreshConversations();
  const conversationTurn = useConversationTurn(conversationId, can('runs:read'));
  const runId = conversationTurn.runId;
  const run = useRun(runId);
  const refreshRuns = useRefreshRuns();

  // The agent for the next message: the one picked, else the conversation's, else the first.
  const chosenAgent = agentId || conversation.data?.agentId || agents.data?.[0]?.id || '';
  useEffect(() => {
    if (conversation.data && !agentId) setAgentId(conversation.data.agentId);
  }, [conversation.data, agentId]);

  const { completed } = conversationTurn;
  const onRunEvent = useCallback(
    (event: RunEvent, eventRunId: string | undefined) => {
      if (event.type.startsWith('run.')) refreshRuns();
      // The reply is in the conversation now; show it from there.
      if (event.type === 'run.completed' && eventRunId) void completed(eventRunId);
    },
    [refreshRuns, completed],
  );
  const turn = useChatTurn(runId, onRunEvent);
  const live = useMemo(() => buildTimeline(turn.log), [turn.log]);
  const [pendingInput, setPendingInput] = useState<string | undefined>();
  const running =
    pendingInput !== undefined ||
    (run.data ? !TERMINAL_STATUSES.has(run.data.status) && !turn.error : runId !== undefined);

  function sendMessage(message: string) {
    setPendingInput(message);
    turn.start(
      { agentId: chosenAgent, message, ...(conversationId ? { conversationId } : {}) },
      (newRunId, newConversationId) => {
        const target = newConversationId ?? conversationId;
        conversationTurn.attach(newRunId, target);
        setText('');
        setPendingInput(undefined);
        refreshConversations();
        if (target !== conversationId) navigate(`/chat/${target ?? ''}`);
      },
    );
  }
  const stop = useCancelRun(runId);
  const decide = useInboxAction();

  useEffect(() => {
    if (turn.error) setPendingInput(undefined);
  }, [turn.error]);

  // Stored messages said before the live run; the run's own words come from its log until it ends.
  const before = run.data
    ? (messages.data ?? []).filter((m) => m.createdAt < run.data.createdAt)
    : (messages.data ?? []);
  const items: ChatItem[] = [
    ...chatItemsOf(before),
    ...(runId && run.data ? [{ kind: 'user' as const, key: `in-${runId}`, text: run.data.input }] : []),
    ...(pendingInput !== undefined ? [{ kind: 'user' as const, key: 'pending', text: pendingInput }] : []),
    ...(runId || pendingInput !== undefined ? live : []),
  ];

  // biome-ignore lint/correctness/useExhaustiveDependencies: follow the conversation as it grows
  useEffect(() => {
    const pane = paneRef.current;
    if (pane) pane.scrollTop = pane.scrollHeight;
  }, [items.length, live.at(-1)]);

  function submit(e?: FormEvent) {
    e?.preventDefault();
    const input = text.trim();
    if (!input || !chosenAgent || running) return;
    sendMessage(input);
  }
  function onKey(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) submit(e);
  }

  const approvals = can('inbox:write')
    ? {
        approve: (id: string) => decide.mutate({ id, action: 'approve' }),
        reject: (id: string) => decide.mutate({ id, action: 'reject' }),
        busy: decide.isPending,
      }
    : undefined;

  const noAgents = agents.data && agents.data.length === 0;
  return (
    <div className="chat">
      <ConversationList activeId={conversationId} />
      <section className="chat-main" aria-label="Conversation">
        <div className="chat-head">
          <h1 className="chat-title">
            {conversation.data?.title ?? (conversationId ? '…' : 'New conversation')}
          </h1>
          <label className="inline-field">
            <span>Agent</span>
            <select
              value={chosenAgent}
              onChange={(e) => setAgentId(e.target.value)}
              disabled={!agents.data?.length}
              data-testid="agent-picker"
            >
              {(agents.data ?? []).map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                  {a.model.startsWith('builtin:') ? ' (test model)' : ''}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div className="chat-pane" ref={paneRef} aria-live="polite">
          {conversation.error ? <ErrorMessage error={conversation.error} /> : null}
          {messages.error ? (
            <ErrorMessage error={messages.error} onRetry={() => void messages.refetch()} />
          ) : null}
          {noAgents ? (
            <Empty title="No agents yet">
              {can('agents:write') ? (
                <Link to="/agents/new">Create an agent</Link>
              ) : (
                'Ask an admin to create one'
              )}{' '}
              to start chatting.
            </Empty>
          ) : conversationId && !messages.data && !messages.error ? (
            <Loading label="Loading the conversation…" />
          ) : items.length === 0 ? (
            <Empty title="Say hello">
              Messages go to the agent you pick. With the built-in test model, try{' '}
              <code>/tool demo.approval {'{"action":"ship"}'}</code>.
            </Empty>
          ) : (
            items.map((item) => (
              <ChatEntry key={item.key} item={item} agentName={agentName} approvals={approvals} />
            ))
          )}
          {conversationTurn.error ? <ErrorMessage error={conversationTurn.error} /> : null}
          {run.error ? <ErrorMessage error={run.error} /> : null}
          {turn.error ? <ErrorMessage error={turn.error} /> : null}
        </div>
        <form className="composer" onSubmit={submit}>
          <textarea
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={onKey}
            rows={2}
            placeholder={
              running
                ? 'The agent is answering…'
                : 'Message the agent (Enter to send, Shift+Enter for a new line)'
            }
            aria-label="Message"
            disabled={!chosenAgent}
            data-testid="composer"
          />
          {running && runId && can('runs:write') ? (
            <button
              type="button"
              className="btn btn-danger"
              onClick={() => stop.mutate(undefined, { onError: (err) => toast.fail(err) })}
              disabled={stop.isPending}
              data-testid="stop"
            >
              Stop
            </button>
          ) : (
            <button
              type="submit"
              className="btn btn-primary"
              disabled={!text.trim() || !chosenAgent || running}
            >
              Send
            </button>
          )}
        </form>
      </section>
    </div>
  );
}
