// The Drizzle schema: every domain's tables, for typed queries and for drizzle-kit to diff migrations.
export * from '../../audit/tables.ts';
export * from '../../identity/tables.ts';
