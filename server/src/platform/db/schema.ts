// The Drizzle schema: every domain's tables, for typed queries and for drizzle-kit to diff migrations.

export * from '../../agents/tables.ts';
export * from '../../audit/tables.ts';
export * from '../../conversations/tables.ts';
export * from '../../identity/tables.ts';
export * from '../../runs/tables.ts';
export * from '../../usage/tables.ts';
export * from '../../workspace/tables.ts';
export * from '../tables.ts';
