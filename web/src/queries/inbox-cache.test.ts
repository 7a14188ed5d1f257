import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { applyAction, applyOptimistically, type InboxItem, type InboxPage } from './inbox-cache.ts';

const item = (id: string, overrides: Partial<InboxItem> = {}): InboxItem => ({
  id,
  kind: 'approval',
  title: `Approve ${id}?`,
  body: '',
  payload: {},
  runId: 'run_1',
  status: 'open',
  read: false,
  readAt: null,
  closedAt: null,
  createdAt: '2026-01-01T00:00:00Z',
  decidedBy: null,
  decision: null,
  decisionReason: null,
  ...overrides,
});

function cache() {
  const client = new QueryClient();
  const list: InboxPage = { items: [item('a'), item('b', { read: true })], nextCursor: null, unread: 1 };
  const badge: InboxPage = { items: [item('a')], nextCursor: null, unread: 1 };
  client.setQueryData(['inbox', 'list', 'open'], list);
  client.setQueryData(['inbox', 'unread'], badge);
  return { client, list, badge };
}

describe('applyAction', () => {
  it('approving closes the item, reads it and records the decision', () => {
    expect(applyAction(item('a'), 'approve')).toMatchObject({
      status: 'closed',
      read: true,
      decision: 'approved',
    });
    expect(applyAction(item('a', { read: true }), 'unread')).toMatchObject({ read: false, readAt: null });
  });
});

describe('applyOptimistically', () => {
  it('changes every cached list and the unread count at once', () => {
    const { client } = cache();
    applyOptimistically(client, 'a', 'read');
    expect(client.getQueryData<InboxPage>(['inbox', 'list', 'open'])).toMatchObject({
      unread: 0,
      items: [{ id: 'a', read: true }, { id: 'b' }],
    });
    expect(client.getQueryData<InboxPage>(['inbox', 'unread'])?.unread).toBe(0);
  });

  it('rolls every list back when the server refuses', () => {
    const { client, list, badge } = cache();
    const restore = applyOptimistically(client, 'a', 'approve');
    expect(client.getQueryData<InboxPage>(['inbox', 'list', 'open'])?.items[0]?.decision).toBe('approved');
    restore();
    expect(client.getQueryData(['inbox', 'list', 'open'])).toEqual(list);
    expect(client.getQueryData(['inbox', 'unread'])).toEqual(badge);
  });

  it('leaves the lists alone for an item none of them holds', () => {
    const { client, list } = cache();
    applyOptimistically(client, 'zzz', 'close');
    expect(client.getQueryData(['inbox', 'list', 'open'])).toEqual(list);
  });
});
