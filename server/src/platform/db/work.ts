import type { Db, Tx } from './index.ts';

/**
 * One unit of work across domains: a transaction, and what to do once it has committed (publish the
 * events it wrote, wake a worker). A domain's service function that takes a `Work` joins the caller's
 * transaction instead of opening its own, so two domains' writes commit together or not at all, and
 * neither needs the other's tables: each writes its own through its own store.
 *
 * After-commit callbacks run in the order they were added, once, and only when the outermost
 * transaction commits; a rollback drops them (the outbox rule: nobody hears of a change that did not
 * happen).
 */
export interface Work {
  readonly tx: Tx;
  afterCommit(fn: () => unknown): void;
}

/** Runs `fn` in `outer` when given (joining it), else in a new transaction, then runs the callbacks. */
export async function inTransaction<T>(db: Db, fn: (work: Work) => Promise<T>, outer?: Work): Promise<T> {
  if (outer) return fn(outer);
  const callbacks: Array<() => unknown> = [];
  const result = await db.transaction((tx) =>
    fn({ tx, afterCommit: (callback) => void callbacks.push(callback) }),
  );
  for (const callback of callbacks) await callback();
  return result;
}
