import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.ts';
import { applyToCached, chunked, type ItemAnswer, optimisticBulk } from './optimistic.ts';

interface Row {
  id: string;
  status: string;
}

const LISTS = ['things', 'list'] as const;
const ONE = ['things', 'one'] as const;
const prefixes = [LISTS, ONE];
const resolve = (r: Row): Row => ({ ...r, status: 'resolved' });

function cache() {
  const queryClient = new QueryClient();
  queryClient.setQueryData(['things', 'list', { sort: 'lastSeen' }], {
    pages: [
      {
        items: [
          { id: 'a', status: 'open' },
          { id: 'b', status: 'open' },
        ],
        nextCursor: 'c1',
      },
      { items: [{ id: 'c', status: 'open' }], nextCursor: null },
    ],
    pageParams: [undefined, 'c1'],
  });
  queryClient.setQueryData(['things', 'list', { sort: 'count' }], {
    pages: [
      {
        items: [
          { id: 'c', status: 'open' },
          { id: 'a', status: 'open' },
        ],
        nextCursor: null,
      },
    ],
    pageParams: [undefined],
  });
  queryClient.setQueryData(['things', 'one', 'a'], { id: 'a', status: 'open' });
  // Not a list nor the item: left alone even though it sits under the same prefix.
  queryClient.setQueryData(['things', 'list-stats'], { total: 3 });
  return queryClient;
}

const statuses = (qc: QueryClient, sort: string) =>
  qc
    .getQueryData<{ pages: Array<{ items: Row[] }> }>(['things', 'list', { sort }])!
    .pages.flatMap((p) => p.items.map((i) => `${i.id}:${i.status}`));

describe('applyToCached', () => {
  it('changes the item in every cached list and its own query, and takes it back', () => {
    const qc = cache();
    const restore = applyToCached<Row>(qc, prefixes, 'a', resolve);
    expect(statuses(qc, 'lastSeen')).toEqual(['a:resolved', 'b:open', 'c:open']);
    expect(statuses(qc, 'count')).toEqual(['c:open', 'a:resolved']);
    expect(qc.getQueryData(['things', 'one', 'a'])).toEqual({ id: 'a', status: 'resolved' });
    expect(qc.getQueryData(['things', 'list-stats'])).toEqual({ total: 3 });
    restore();
    expect(statuses(qc, 'lastSeen')).toEqual(['a:open', 'b:open', 'c:open']);
    expect(statuses(qc, 'count')).toEqual(['c:open', 'a:open']);
    expect(qc.getQueryData(['things', 'one', 'a'])).toEqual({ id: 'a', status: 'open' });
  });

  it('leaves a list refetched since (the server has spoken) as it is', () => {
    const qc = cache();
    const restore = applyToCached<Row>(qc, prefixes, 'a', resolve);
    qc.setQueryData(['things', 'list', { sort: 'count' }], {
      pages: [{ items: [{ id: 'a', status: 'ignored' }], nextCursor: null }],
      pageParams: [undefined],
    });
    restore();
    expect(statuses(qc, 'count')).toEqual(['a:ignored']);
    expect(statuses(qc, 'lastSeen')).toEqual(['a:open', 'b:open', 'c:open']);
  });

  it('an item in no cached query changes nothing and has nothing to take back', () => {
    const qc = cache();
    const restore = applyToCached<Row>(qc, prefixes, 'zzz', resolve);
    restore();
    expect(statuses(qc, 'lastSeen')).toEqual(['a:open', 'b:open', 'c:open']);
  });
});

describe('optimisticBulk', () => {
  const items = (qc: QueryClient) =>
    qc
      .getQueryData<{ pages: Array<{ items: Row[] }> }>(['things', 'list', { sort: 'lastSeen' }])!
      .pages.flatMap((p) => p.items);

  it('shows the change before the server answers, then takes back only the items it refused', async () => {
    const qc = cache();
    let seenWhileSending: string[] = [];
    const outcome = await optimisticBulk<Row>({
      queryClient: qc,
      prefixes,
      items: items(qc),
      change: resolve,
      send: async (ids): Promise<ItemAnswer[]> => {
        seenWhileSending = statuses(qc, 'lastSeen');
        return ids.map((id) =>
          id === 'b'
            ? { id, ok: false, error: { code: 'not_found', message: 'issue b was deleted' } }
            : { id, ok: true },
        );
      },
    });
    expect(seenWhileSending).toEqual(['a:resolved', 'b:resolved', 'c:resolved']);
    expect(statuses(qc, 'lastSeen')).toEqual(['a:resolved', 'b:open', 'c:resolved']);
    expect(qc.getQueryData(['things', 'one', 'a'])).toEqual({ id: 'a', status: 'resolved' });
    expect(outcome.map((o) => [o.item.id, o.error])).toEqual([
      ['a', undefined],
      ['b', 'Issue b was deleted'],
      ['c', undefined],
    ]);
  });

  it('sends at most `size` ids a request; a request that fails as a whole takes back all its items', async () => {
    const qc = cache();
    const sent: string[][] = [];
    const outcome = await optimisticBulk<Row>({
      queryClient: qc,
      prefixes,
      items: items(qc),
      change: resolve,
      size: 2,
      send: async (ids) => {
        sent.push(ids);
        if (ids.includes('c'))
          throw new ApiError(503, 'unavailable', 'the database is not answering', 'req_9');
        return ids.map((id) => ({ id, ok: true }));
      },
    });
    expect(sent).toEqual([['a', 'b'], ['c']]);
    expect(statuses(qc, 'lastSeen')).toEqual(['a:resolved', 'b:resolved', 'c:open']);
    expect(statuses(qc, 'count')).toEqual(['c:open', 'a:resolved']);
    expect(outcome.at(-1)).toEqual({
      item: { id: 'c', status: 'open' },
      error: 'The database is not answering (request req_9)',
    });
  });

  it('an item the answer leaves out is taken back too', async () => {
    const qc = cache();
    const outcome = await optimisticBulk<Row>({
      queryClient: qc,
      prefixes,
      items: items(qc),
      change: resolve,
      send: async () => [{ id: 'a', ok: true }],
    });
    expect(statuses(qc, 'lastSeen')).toEqual(['a:resolved', 'b:open', 'c:open']);
    expect(outcome.filter((o) => o.error).map((o) => o.error)).toEqual([
      'The server did not answer for this item',
      'The server did not answer for this item',
    ]);
  });
});

describe('chunked', () => {
  it('cuts in order, the last run shorter', () => {
    expect(chunked([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunked([], 100)).toEqual([]);
  });
});
