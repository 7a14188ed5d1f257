import { timestamp } from 'drizzle-orm/pg-core';

/** A timestamptz column read as a Date: every table's times are UTC instants. */
export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** `created_at`, set by the database when the row is inserted. */
export const createdAt = () => ts('created_at').notNull().defaultNow();
