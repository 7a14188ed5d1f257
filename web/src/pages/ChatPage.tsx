import type { components } from '@switchboard/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type KeyboardEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { type ChatItem, chatItemsOf } from '../chat/messages.ts';
import { useChatTurn } from '../chat/useChatTurn.ts';
import { Empty, ErrorMessage, Loading, TimeAgo } from '../components/states.tsx';
import { TimelineEntry } from '../components/Timeline.tsx';
import { useToast } from '../components/Toasts.tsx';
import { useAgentName, useAgents } from '../queries/agents.ts';
import { useInboxAction } from '../queries/inbox.ts';
import { buildTimeline, type RunEvent, TERMINAL_STATUSES } from '../runs/timeline.ts';

type Conversation = components['schemas']['Conversation'];

/**
 * Renaming and deleting conversations. A rename shows at once and goes back if refused; a delete of the
 * open conversation leaves it first, so nothing asks the server for what no longer exists.
 */
function useConversationChanges(activeId: string | undefined) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const navigate = useNavigate();
  const setTitle = (id: string, title: string) => {
    queryClient.setQueryData<Conversation[]>(['conversations'], (list) =>
      list?.map((c) => (c.id === id ? { ...c, title } : c)),
    );
    queryClient.setQueryData<Conversation>(['conversations', 'one', id], (c) => (c ? { ...c, title } : c));
  };
  const rename = useMutation({
    mutationFn: (v: { id: string; title: string; before: string }) =>
      unwrap(
        api.PATCH('/api/v1/conversations/{id}', { params: { path: { id: v.id } }, body: { title: v.title } }),
      ),
    onMutate: async (v) => {
      await queryClient.cancelQueries({ queryKey: ['conversations'], exact: true });
      setTitle(v.id, v.title);
    },
    onError: (err, v) => {
      setTitle(v.id, v.before);
      toast.fail(err);
    },
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ['conversations'], exact: true }),
  });
  const remove = useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE('/api/v1/conversations/{id}', { params: { path: { id } } })).then(() => id),
    onSuccess: (id) => {
      if (id === activeId) navigate('/chat', { replace: true });
      queryClient.setQueryData<Conversation[]>(['conversations'], (list) => list?.filter((c) => c.id !== id));
      queryClient.removeQueries({ queryKey: ['conversations', 'one', id], type: 'inactive' });
      queryClient.removeQueries({ queryKey: ['conversations', 'messages', id], type: 'inactive' });
      toast.notify('Conversation deleted');
    },
    onError: (err) => toast.fail(err),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ['conversations'], exact: true }),
  });
  return { rename, remove };
}

/** The title in an input: Enter or leaving the field saves, Escape gives up. */
function TitleEditor({ title, onDone }: { title: string; onDone: (title: string | undefined) => void }) {
  const [value, setValue] = useState(title);
  const finished = useRef(false);
  const finish = (next: string | undefined) => {
    if (finished.current) return;
    finished.current = true;
    const trimmed = next?.trim();
    onDone(trimmed && trimmed !== title ? trimmed : undefined);
  };
  return (
    <form
      className="chat-rename"
      onSubmit={(e) => {
        e.preventDefault();
        finish(value);
      }}
    >
      <input
        // biome-ignore lint/a11y/noAutofocus: the field appears because its Rename button was pressed
        autoFocus
        onFocus={(e) => e.currentTarget.select()}
        aria-label="Conversation title"
        maxLength={200}
        value={value}
        onChange={(e) => setValue(e.target.value)}
        onBlur={() => finish(value)}
        onKeyDown={(e) => {
          if (e.key !== 'Escape') return;
          // Escape is this field's; it must not also close a notification.
          e.preventDefault();
          finish(undefined);
        }}
      />
    </form>
  );
}

function PencilIcon() {
  return (
    <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
      <path d="M11.5 2.5l2 2L6 12l-2.5.5L4 10z" fill="none" stroke="currentColor" strokeWidth="1.4" />
    </svg>
  );
}

function TrashIcon() {
  return (
    <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
      <path
        d="M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.7 8.5h5.6l.7-8.5"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.4"
      />
    </svg>
  );
}

function ConversationRow({
  conversation: c,
  active,
  agentName,
  changes,
}: {
  conversation: Conversation;
  active: boolean;
  agentName: (id: string) => string;
  changes: ReturnType<typeof useConversationChanges> | undefined;
}) {
  const [editing, setEditing] = useState(false);
  const renameButton = useRef<HTMLButtonElement>(null);
  function done(title: string | undefined) {
    setEditing(false);
    if (title) changes?.rename.mutate({ id: c.id, title, before: c.title });
    // Back to where the keyboard was, unless the field lost focus to something else.
    requestAnimationFrame(() => {
      if (document.activeElement === document.body) renameButton.current?.focus();
    });
  }
  function remove() {
    if (window.confirm(`Delete "${c.title}" and all its messages?`)) changes?.remove.mutate(c.id);
  }
  return (
    <li className={`chat-row ${active ? 'active' : ''}`} data-testid="conversation">
      {editing ? (
        <TitleEditor title={c.title} onDone={done} />
      ) : (
        <Link to={`/chat/${c.id}`} className={`chat-link ${active ? 'active' : ''}`}>
          <span className="chat-link-title">{c.title}</span>
          <span className="muted small-inline">
            {agentName(c.agentId)} · <TimeAgo iso={c.updatedAt} />
          </span>
        </Link>
      )}
      {changes && !editing ? (
        <div className="chat-row-actions">
          <button
            ref={renameButton}
            type="button"
            className="icon-button"
            aria-label={`Rename ${c.title}`}
            title="Rename"
            onClick={() => setEditing(true)}
          >
            <PencilIcon />
          </button>
          <button
            type="button"
            className="icon-button icon-button-danger"
            aria-label={`Delete ${c.title}`}
            title="Delete"
            disabled={changes.remove.isPending && changes.remove.variables === c.id}
            onClick={remove}
          >
            <TrashIcon />
          </button>
        </div>
      ) : null}
    </li>
  );
}

function ConversationList({ activeId }: { activeId: string | undefined }) {
  const [search, setSearch] = useState('');
  const { can } = useSession();
  const agentName = useAgentName();
  const changes = useConversationChanges(activeId);
  const conversations = useQuery({
    queryKey: ['conversations'],
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/conversations', { params: { query: { limit: 100 } }, signal })).then(
        (d) => d.items,
      ),
  });
  const needle = search.trim().toLowerCase();
  const shown = (conversations.data ?? []).filter(
    (c) =>
      !needle ||
      c.title.toLowerCase().includes(needle) ||
      agentName(c.agentId).toLowerCase().includes(needle),
  );
  return (
    <aside className="chat-list" aria-label="Conversations">
      <div className="chat-list-head">
        <Link to="/chat" className="btn btn-primary btn-block">
          New chat
        </Link>
        <input
          type="search"
          placeholder="Search conversations"
          aria-label="Search conversations"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      {conversations.error ? (
        <ErrorMessage error={conversations.error} onRetry={() => void conversations.refetch()} />
      ) : !conversations.data ? (
        <Loading />
      ) : shown.length === 0 ? (
        <p className="muted pad">{needle ? 'No conversation matches.' : 'No conversations yet.'}</p>
      ) : (
        <ul>
          {shown.map((c) => (
            <ConversationRow
              key={c.id}
              conversation={c}
              active={c.id === activeId}
              agentName={agentName}
              changes={can('conversations:write') ? changes : undefined}
            />
          ))}
        </ul>
      )}
    </aside>
  );
}

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
  if (item.kind === 'status' && !['run.failed', 'run.cancelled'].includes(item.type)) return null;
  return <TimelineEntry item={item} agentName={agentName} approvals={approvals} />;
}

/** Chat over runs: each message starts a run on the conversation and its log streams in as it happens. */
export function ChatPage() {
  const { conversationId } = useParams();
  const [params, setParams] = useSearchParams();
  const runId = params.get('run') ?? undefined;
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { can } = useSession();
  const agents = useAgents();
  const agentName = useAgentName();
  const [text, setText] = useState('');
  const [agentId, setAgentId] = useState<string>(params.get('agent') ?? '');
  const paneRef = useRef<HTMLDivElement>(null);

  const conversation = useQuery({
    queryKey: ['conversations', 'one', conversationId],
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/conversations/{id}', { params: { path: { id: conversationId! } }, signal })),
    enabled: conversationId !== undefined,
  });
  const messages = useQuery({
    queryKey: ['conversations', 'messages', conversationId],
    queryFn: ({ signal }) =>
      unwrap(
        api.GET('/api/v1/conversations/{id}/messages', {
          params: { path: { id: conversationId! }, query: { limit: 200 } },
          signal,
        }),
      ).then((d) => d.items),
    enabled: conversationId !== undefined,
    // Runs may have added to it while the page was elsewhere.
    staleTime: 0,
  });
  const run = useQuery({
    queryKey: ['runs', 'one', runId],
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/runs/{id}', { params: { path: { id: runId! } }, signal })),
    enabled: runId !== undefined,
  });

  // The agent for the next message: the one picked, else the conversation's, else the first.
  const chosenAgent = agentId || conversation.data?.agentId || agents.data?.[0]?.id || '';
  useEffect(() => {
    if (conversation.data && !agentId) setAgentId(conversation.data.agentId);
  }, [conversation.data, agentId]);

  // Where the live turn belongs; a turn may end before the page has re-rendered at its new address.
  const turnConversation = useRef(conversationId);
  useEffect(() => {
    if (conversationId) turnConversation.current = conversationId;
  }, [conversationId]);
  const onRunEvent = useCallback(
    (event: RunEvent) => {
      if (event.type.startsWith('run.')) void queryClient.invalidateQueries({ queryKey: ['runs'] });
      if (event.type === 'run.completed') {
        // The reply is in the conversation now; show it from there.
        const target = turnConversation.current;
        void queryClient
          .invalidateQueries({ queryKey: ['conversations'] })
          .then(() =>
            target ? navigate(`/chat/${target}`, { replace: true }) : setParams({}, { replace: true }),
          );
      }
    },
    [queryClient, setParams, navigate],
  );
  const turn = useChatTurn(runId, onRunEvent);
  const live = useMemo(() => buildTimeline(turn.log), [turn.log]);
  const [pendingInput, setPendingInput] = useState<string | undefined>();
  const running =
    pendingInput !== undefined ||
    (run.data ? !TERMINAL_STATUSES.has(run.data.status) && !turn.error : runId !== undefined);

  function sendMessage(message: string) {
    setPendingInput(message);
    turnConversation.current = conversationId;
    turn.start(
      { agentId: chosenAgent, message, ...(conversationId ? { conversationId } : {}) },
      (newRunId, newConversationId) => {
        turnConversation.current = newConversationId ?? conversationId;
        setText('');
        setPendingInput(undefined);
        void queryClient.invalidateQueries({ queryKey: ['conversations'] });
        navigate(`/chat/${newConversationId ?? conversationId ?? ''}?run=${newRunId}`);
      },
    );
  }
  const stop = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/runs/{id}/cancel', { params: { path: { id: runId! } } })),
    onSuccess: (data) => queryClient.setQueryData(['runs', 'one', runId], data),
    onError: (err) => toast.fail(err),
  });
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
              onClick={() => stop.mutate()}
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
