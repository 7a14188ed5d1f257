import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import {
  applyAction,
  applyOptimistically,
  bulkSummary,
  bulkTargets,
  type InboxItem,
  type InboxPage,
  settleBounded,
} from './inbox-cache.ts';

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

const notice = (id: string, overrides: Partial<InboxItem> = {}) =>
  item(id, { kind: 'notice', title: `Notice ${id}`, runId: null, ...overrides });

function cache() {
  const client = new QueryClient();
  const list: InboxPage = { items: [item('a'), item('b', { read: true })], nextCursor: null, unread: 1 };
  const badge: InboxPage = { items: [item('a')], nextCursor: null, unread: 1 };
  client.setQueryData(['inbox', 'list', 'open'], list);
  client.setQueryData(['inbox', 'unread'], badge);
  return { client, list, badge };
}

const listOf = (client: QueryClient) => client.getQueryData<InboxPage>(['inbox', 'list', 'open']);

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
    expect(listOf(client)).toMatchObject({ unread: 0, items: [{ id: 'a', read: true }, { id: 'b' }] });
    expect(client.getQueryData<InboxPage>(['inbox', 'unread'])?.unread).toBe(0);
  });

  it('rolls every list back when the server refuses', () => {
    const { client, list, badge } = cache();
    const restore = applyOptimistically(client, 'a', 'approve');
    expect(listOf(client)?.items[0]?.decision).toBe('approved');
    restore();
    expect(listOf(client)).toEqual(list);
    expect(client.getQueryData(['inbox', 'unread'])).toEqual(badge);
  });

  it('rolls back one item and keeps the changes made to others meanwhile', () => {
    const { client } = cache();
    const restoreA = applyOptimistically(client, 'a', 'read');
    applyOptimistically(client, 'b', 'unread');
    restoreA();
    expect(listOf(client)).toMatchObject({
      unread: 2,
      items: [
        { id: 'a', read: false },
        { id: 'b', read: false },
      ],
    });
  });

  it('leaves a list refetched since the change as the server sent it', () => {
    const { client, badge } = cache();
    const restore = applyOptimistically(client, 'a', 'read');
    client.setQueryData(['inbox', 'unread'], badge);
    restore();
    expect(client.getQueryData<InboxPage>(['inbox', 'unread'])?.unread).toBe(1);
    expect(listOf(client)?.unread).toBe(1);
  });

  it('leaves the lists alone for an item none of them holds', () => {
    const { client, list } = cache();
    applyOptimistically(client, 'zzz', 'close');
    expect(listOf(client)).toEqual(list);
  });
});

describe('bulkTargets', () => {
  const selection = [item('a'), notice('n1'), notice('n2', { read: true, status: 'closed' })];

  it('offers approve and reject only when every selected item is a pending approval', () => {
    expect(bulkTargets(selection, 'approve')).toEqual([]);
    expect(bulkTargets([item('a'), item('b')], 'reject').map((i) => i.id)).toEqual(['a', 'b']);
    expect(bulkTargets([item('a', { decision: 'approved', status: 'closed' })], 'approve')).toEqual([]);
    expect(bulkTargets([], 'approve')).toEqual([]);
  });

  it('reads the unread, unreads the read, and closes only what may be closed', () => {
    expect(bulkTargets(selection, 'read').map((i) => i.id)).toEqual(['a', 'n1']);
    expect(bulkTargets(selection, 'unread').map((i) => i.id)).toEqual(['n2']);
    expect(bulkTargets(selection, 'close').map((i) => i.id)).toEqual(['n1']);
  });
});

describe('settleBounded', () => {
  it('runs at most `limit` at once and keeps the input order, failures included', async () => {
    let running = 0;
    let most = 0;
    const results = await settleBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, (7 - n) * 2));
      running--;
      if (n % 3 === 0) throw new Error(`no ${n}`);
      return n * 10;
    });
    expect(most).toBe(3);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason)))).toEqual([
      10,
      20,
      'Error: no 3',
      40,
      50,
      'Error: no 6',
      70,
    ]);
  });

  it('answers at once for nothing to do', async () => {
    expect(await settleBounded([], 4, async () => 1)).toEqual([]);
  });
});

describe('bulkSummary', () => {
  it('counts what succeeded', () => {
    expect(bulkSummary('approve', [{ item: item('a') }, { item: item('b') }])).toEqual({
      ok: true,
      text: 'Approved 2 items.',
      details: [],
    });
    expect(bulkSummary('read', [{ item: notice('n1') }]).text).toBe('Marked 1 item read.');
    expect(bulkSummary('unread', [{ item: notice('n1') }, { item: notice('n2'), error: 'gone' }]).text).toBe(
      'Marked 1 of 2 items unread; 1 failed:',
    );
  });

  it('lists each failure with its item', () => {
    expect(
      bulkSummary('approve', [
        { item: item('a') },
        { item: item('b'), error: 'Inbox item b was already approved' },
      ]),
    ).toEqual({
      ok: false,
      text: 'Approved 1 of 2 items; 1 failed:',
      details: ['Approve b? — Inbox item b was already approved'],
    });
  });
});
