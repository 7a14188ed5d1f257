import type { components } from '@switchboard/client';

type RunStatus = components['schemas']['Run']['status'];
type MetricWindow = components['schemas']['ExecutionMetrics']['window'];

/**
 * Every query key of the console, in one place. Keys nest, so invalidating a prefix (`keys.runs.all`)
 * reaches every query below it (lists, one run, a conversation's open run). Pages and hooks never spell a
 * key themselves: a renamed or split key then changes here and nowhere else.
 */
export const keys = {
  fixes: {
    all: ['fixes'] as const,
    ofIssue: (issueId: string) => ['fixes', 'issue', issueId] as const,
    one: (id: string | undefined) => ['fixes', 'one', id] as const,
  },
  me: (userKey: string) => ['me', userKey] as const,
  readiness: ['readiness'] as const,
  serverSettings: ['server-settings'] as const,
  gettingStarted: ['getting-started'] as const,
  permissions: ['permissions'] as const,
  tools: ['tools'] as const,
  agents: {
    all: ['agents'] as const,
    list: ['agents', 'list'] as const,
    one: (id: string | undefined) => ['agents', 'one', id] as const,
    versions: (id: string) => ['agents', 'versions', id] as const,
    health: (window: '24h', ids: readonly string[]) => ['agents', 'health', window, ids] as const,
    /** Whether a cached agent query belongs to the agent `id` (its one and its versions). */
    isOf: (key: readonly unknown[], id: string) => key[0] === 'agents' && key[2] === id,
  },
  runs: {
    all: ['runs'] as const,
    list: (status: RunStatus | '') => ['runs', 'list', status] as const,
    recent: ['runs', 'recent'] as const,
    one: (id: string | undefined) => ['runs', 'one', id] as const,
    /** Every conversation's unfinished newest run. */
    opens: ['runs', 'open'] as const,
    open: (conversationId: string | undefined) => ['runs', 'open', conversationId] as const,
  },
  conversations: {
    all: ['conversations'] as const,
    /** Every list of conversations, whatever its search. */
    lists: ['conversations', 'list'] as const,
    list: (q: string) => ['conversations', 'list', q] as const,
    one: (id: string | undefined) => ['conversations', 'one', id] as const,
    messages: (id: string | undefined) => ['conversations', 'messages', id] as const,
  },
  inbox: {
    all: ['inbox'] as const,
    unread: ['inbox', 'unread'] as const,
    list: (view: string) => ['inbox', 'list', view] as const,
    /** The mutation key of bulk actions, so a page can tell one is running. */
    bulk: ['inbox', 'bulk'] as const,
  },
  files: {
    all: ['files'] as const,
    /** One folder's listing, one level down (folders open one at a time). */
    tree: (path: string) => ['files', 'tree', path] as const,
    metadata: (path: string) => ['files', 'metadata', path] as const,
    content: (path: string) => ['files', 'content', path] as const,
    versions: (path: string) => ['files', 'versions', path] as const,
    permissions: (path: string) => ['files', 'permissions', path] as const,
    search: (q: string) => ['files', 'search', q] as const,
  },
  billing: {
    all: ['billing'] as const,
    plans: ['billing', 'plans'] as const,
    subscription: ['billing', 'subscription'] as const,
    invoices: ['billing', 'invoices'] as const,
    events: (filter: { type?: string; status?: string }) => ['billing', 'events', filter] as const,
  },
  tasks: {
    all: ['tasks'] as const,
    list: (filters: object) => ['tasks', 'list', filters] as const,
    one: (id: string | undefined) => ['tasks', 'one', id] as const,
    stats: ['tasks', 'stats'] as const,
  },
  errors: {
    all: ['errors'] as const,
    projects: ['errors', 'projects'] as const,
    /** Every cached issue list, whatever its filters. */
    lists: ['errors', 'issues', 'list'] as const,
    list: (filters: object) => ['errors', 'issues', 'list', filters] as const,
    /** Every cached single issue. */
    ones: ['errors', 'issues', 'one'] as const,
    one: (id: string | undefined) => ['errors', 'issues', 'one', id] as const,
    events: (id: string) => ['errors', 'events', id] as const,
    stats: (q: object) => ['errors', 'stats', q] as const,
    trends: ['errors', 'trends'] as const,
    /** The mutation key of bulk actions, so the page can tell one is running. */
    bulk: ['errors', 'bulk'] as const,
    selfReport: ['errors', 'self-report'] as const,
  },
  members: ['members'] as const,
  roles: ['roles'] as const,
  apiKeys: ['api-keys'] as const,
  audit: (filters: object) => ['audit', filters] as const,
  updates: ['updates'] as const,
  usage: {
    all: ['usage'] as const,
    summary: (q: object) => ['usage', 'summary', q] as const,
    timeline: (q: object) => ['usage', 'timeline', q] as const,
    errors: (q: object) => ['usage', 'errors', q] as const,
    month: ['usage', 'month'] as const,
    budgets: ['usage', 'budgets'] as const,
    prices: ['usage', 'prices'] as const,
  },
  notice: ['notice'] as const,
  admin: {
    statistics: ['admin', 'statistics'] as const,
    systemHealth: ['admin', 'system-health'] as const,
    executionMetrics: (window: MetricWindow) => ['admin', 'execution-metrics', window] as const,
    agentHealth: (window: MetricWindow) => ['admin', 'agent-health', window] as const,
  },
};
