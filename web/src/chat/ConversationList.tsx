import type { components } from '@switchboard/client';
import { useRef, useState } from 'react';
import { Link } from 'react-router';
import { useSession } from '../auth/SessionContext.tsx';
import { ErrorMessage, Loading, MoreButton, TimeAgo } from '../components/states.tsx';
import { drawnItems, listPadding, type RowProps, useBoxRows } from '../components/VirtualRows.tsx';
import { useAgentName } from '../queries/agents.ts';
import { useConversationChanges, useConversationSearch } from '../queries/conversations.ts';
import { pagedItems } from '../queries/paging.ts';

type Conversation = components['schemas']['Conversation'];

/** A row's usual height and the list's own padding (`.chat-list ul`), for the virtual list. */
const ROW_HEIGHT = 60;
const LIST_PADDING = 6;

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
  row,
}: {
  conversation: Conversation;
  active: boolean;
  agentName: (id: string) => string;
  changes: ReturnType<typeof useConversationChanges> | undefined;
  row: RowProps;
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
    <li className={`chat-row ${active ? 'active' : ''}`} data-testid="conversation" {...row}>
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

/** The conversations, newest first, searched by title on the server; each renamed or deleted in place. */
export function ConversationList({ activeId }: { activeId: string | undefined }) {
  const [search, setSearch] = useState('');
  const { can } = useSession();
  const agentName = useAgentName();
  const changes = useConversationChanges(activeId);
  const { list, q, searching } = useConversationSearch(search);
  const shown = pagedItems(list.data);
  const body = useRef<HTMLDivElement>(null);
  const drawn = useBoxRows(shown.length, ROW_HEIGHT, body);
  return (
    <aside className="chat-list" aria-label="Conversations">
      <div className="chat-list-head">
        <Link to="/chat" className="btn btn-primary btn-block">
          New chat
        </Link>
        <input
          type="search"
          placeholder="Search titles"
          aria-label="Search conversations"
          maxLength={200}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      {!list.data ? (
        list.error ? (
          <ErrorMessage error={list.error} onRetry={() => void list.refetch()} />
        ) : (
          <Loading />
        )
      ) : (
        <div ref={body} className="chat-list-body" aria-busy={searching} data-testid="conversation-results">
          {shown.length === 0 ? (
            <p className="muted pad">{q ? 'No conversation matches.' : 'No conversations yet.'}</p>
          ) : (
            <ul style={listPadding(drawn, LIST_PADDING)}>
              {drawnItems(drawn, shown).map(({ item: c, props }) => (
                <ConversationRow
                  key={c.id}
                  conversation={c}
                  active={c.id === activeId}
                  agentName={agentName}
                  changes={can('conversations:write') ? changes : undefined}
                  row={props}
                />
              ))}
            </ul>
          )}
          {list.error ? (
            <ErrorMessage
              error={list.error}
              onRetry={() => void (list.isFetchNextPageError ? list.fetchNextPage() : list.refetch())}
            />
          ) : null}
          {list.hasNextPage ? (
            <div className="chat-list-more">
              <MoreButton query={list} label="Show more" small />
            </div>
          ) : null}
        </div>
      )}
    </aside>
  );
}
