import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import {
  applyAction,
  applyOptimistically,
  bulkSummary,
  bulkTargets,
  chunked,
  type InboxItem,
  type InboxPage,
  settleBulk,
} from './inbox-cache.ts';
import { keys } from './keys.ts';

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
  client.setQueryData(keys.inbox.list('open'), list);
  client.setQueryData(keys.inbox.unread, badge);
  return { client, list, badge };
}

const listOf = (client: QueryClient) => client.getQueryData<InboxPage>(keys.inbox.list('open'));

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
    expect(client.getQueryData<InboxPage>(keys.inbox.unread)?.unread).toBe(0);
  });

  it('rolls every list back when the server refuses', () => {
    const { client, list, badge } = cache();
    const restore = applyOptimistically(client, 'a', 'approve');
    expect(listOf(client)?.items[0]?.decision).toBe('approved');
    restore();
    expect(listOf(client)).toEqual(list);
    expect(client.getQueryData(keys.inbox.unread)).toEqual(badge);
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
    client.setQueryData(keys.inbox.unread, badge);
    restore();
    expect(client.getQueryData<InboxPage>(keys.inbox.unread)?.unread).toBe(1);
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

describe('settleBulk', () => {
  /** Both cached items shown approved at once, as a bulk approve does before it asks the server. */
  function approvedOptimistically() {
    const { client } = cache();
    const items = listOf(client)!.items;
    const restore = new Map(items.map((i) => [i.id, applyOptimistically(client, i.id, 'approve')]));
    return { client, items, restore };
  }

  it('keeps what the server did and rolls back only the items it refused', () => {
    const { client, items, restore } = approvedOptimistically();
    const outcome = settleBulk(
      items,
      [
        { id: 'a', ok: true, item: { ...items[0]!, decision: 'approved', status: 'closed', read: true } },
        {
          id: 'b',
          ok: false,
          error: { code: 'already_decided', message: 'inbox item b was already rejected' },
        },
      ],
      restore,
    );
    expect(outcome).toEqual([
      { item: items[0] },
      { item: items[1], error: 'Inbox item b was already rejected' },
    ]);
    expect(listOf(client)).toMatchObject({
      unread: 0,
      items: [
        { id: 'a', decision: 'approved', status: 'closed' },
        { id: 'b', decision: null, status: 'open', read: true },
      ],
    });
    expect(listOf(client)?.unconfirmed).toEqual({ a: expect.anything() });
    expect(bulkSummary('approve', outcome)).toEqual({
      ok: false,
      text: 'Approved 1 of 2 items; 1 failed:',
      details: ['Approve b? — Inbox item b was already rejected'],
    });
  });

  it('matches answers by id, and fails an item left unanswered', () => {
    const { client, items, restore } = approvedOptimistically();
    const outcome = settleBulk(items, [{ id: 'b', ok: true, item: items[1]! }], restore);
    expect(outcome).toEqual([
      { item: items[0], error: 'The server did not answer for this item' },
      { item: items[1] },
    ]);
    expect(listOf(client)?.items.map((i) => i.decision)).toEqual([null, 'approved']);
  });

  it('rolls back every item of a request that failed as a whole, with its reason', () => {
    const { client, items, restore } = approvedOptimistically();
    const outcome = settleBulk(items, [], restore, 'the network is down');
    expect(outcome.map((o) => o.error)).toEqual(['the network is down', 'the network is down']);
    expect(listOf(client)).toEqual(cache().list);
    expect(client.getQueryData(keys.inbox.unread)).toEqual(cache().badge);
  });
});

describe('chunked', () => {
  it('cuts a list into runs of at most the size, in order', () => {
    expect(chunked([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunked([1, 2], 100)).toEqual([[1, 2]]);
    expect(chunked([], 100)).toEqual([]);
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
