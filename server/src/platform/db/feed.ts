import { desc, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';

/*
 * Keyset pages of a feed merged from several sources (the activity feed): every source orders its rows
 * by (time, id) descending and reads from a position on, so a merge of their pages is exact.
 */

/**
 * A place in the feed: an item's time to the microsecond (`2025-01-02T03:04:05.123456Z`, exact, unlike
 * a JS Date) and its id, which breaks ties. Items are ordered by (at, id) descending, ids compared
 * byte-wise (`collate "C"`) so the order is the same in SQL and in JavaScript.
 */
export interface FeedPosition {
  at: string;
  id: string;
}

/** The instant as an exact UTC string with microseconds, sortable as text. */
export const atKey = (at: SQL | AnyPgColumn) =>
  sql<string>`to_char(${at} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Rows strictly after `before` in feed order (older, or as old with a smaller id). */
export function olderThan(at: SQL | AnyPgColumn, id: SQL | AnyPgColumn, before: FeedPosition): SQL {
  return sql`(${at} < ${before.at}::timestamptz or (${at} = ${before.at}::timestamptz and (${id}) collate "C" < ${before.id}))`;
}

export const newestFirst = (at: SQL | AnyPgColumn, id: SQL | AnyPgColumn) => [
  desc(at),
  desc(sql`(${id}) collate "C"`),
];
