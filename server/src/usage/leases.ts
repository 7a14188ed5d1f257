import { newId } from '../platform/ids.ts';
import type { SettleItem } from './budget-store.ts';

/** How many calls' worst case a lease asks for (the database grants less when room is short). */
export const LEASE_CALLS = 8;
/** A lease nobody used for this long gives back what it holds, so idle room returns to other replicas. */
export const LEASE_IDLE_MS = 500;
/** A lease is granted room for this long at most; then it closes and the next call opens another. */
export const LEASE_MAX_AGE_MS = 30_000;

/**
 * Room of one hard budget's window that this process holds in the database (one reservation row) for
 * calls it is about to make. Calls take their worst case from it without a round trip; what a call did
 * not spend comes back to it. A closed lease holds only what calls in flight took; they give back the
 * rest of their worst case to the database when they settle.
 */
export interface Lease {
  /** The reservation's id. */
  readonly id: string;
  readonly orgId: string;
  readonly budgetId: string;
  readonly periodStart: Date;
  /** Held and not promised to any call. */
  available: number;
  open: boolean;
  openedAt: number;
  usedAt: number;
}

/**
 * This process's leases, one per budget window at a time. Giving back to the database goes through
 * `release` (the settlement queue), so it is ordered with the settlements of the calls.
 */
export function createLeases(deps: {
  release(item: SettleItem & { orgId: string }): void;
  now: () => number;
}) {
  const now = deps.now;
  const leases = new Map<string, Lease>();
  const keyOf = (budgetId: string, periodStart: Date) => `${budgetId}|${periodStart.getTime()}`;

  /** Releases room a lease holds without spending it. */
  function giveBackToDatabase(lease: Lease, amount: number): void {
    deps.release({
      orgId: lease.orgId,
      reservation: lease.id,
      budgetId: lease.budgetId,
      periodStart: lease.periodStart,
      spentNanos: 0,
      releaseNanos: amount,
    });
  }

  function close(lease: Lease): void {
    if (!lease.open) return;
    lease.open = false;
    leases.delete(keyOf(lease.budgetId, lease.periodStart));
    if (lease.available > 0) {
      giveBackToDatabase(lease, lease.available);
      lease.available = 0;
    }
  }

  return {
    /** The open lease of a window, opened (holding nothing yet) when there is none or it is too old. */
    of(orgId: string, budgetId: string, periodStart: Date): Lease {
      const key = keyOf(budgetId, periodStart);
      const current = leases.get(key);
      const at = now();
      if (current && at - current.openedAt < LEASE_MAX_AGE_MS) return current;
      if (current) close(current);
      const lease: Lease = {
        id: newId('rsv'),
        orgId,
        budgetId,
        periodStart,
        available: 0,
        open: true,
        openedAt: at,
        usedAt: at,
      };
      leases.set(key, lease);
      return lease;
    },

    /** Takes `amount` from every lease if each has it, else nothing; answers whether it did. */
    takeAll(all: Lease[], amount: number): boolean {
      if (!all.every((l) => l.open && l.available >= amount)) return false;
      const at = now();
      for (const l of all) {
        l.available -= amount;
        l.usedAt = at;
      }
      return true;
    },

    /** Puts room back in a lease; one that closed meanwhile gives it back to the database. */
    giveBack(lease: Lease, amount: number): void {
      if (amount <= 0) return;
      if (lease.open) {
        lease.available += amount;
        lease.usedAt = now();
        return;
      }
      giveBackToDatabase(lease, amount);
    },

    /** Closes leases idle or too old to be granted more. */
    sweep(): void {
      const at = now();
      for (const lease of [...leases.values()]) {
        if (at - lease.usedAt >= LEASE_IDLE_MS || at - lease.openedAt >= LEASE_MAX_AGE_MS) close(lease);
      }
    },

    /** Closes an org's leases: its budgets changed, and a lease must not outlive a lower limit. */
    closeOrg(orgId: string): void {
      for (const lease of [...leases.values()]) if (lease.orgId === orgId) close(lease);
    },

    closeAll(): void {
      for (const lease of [...leases.values()]) close(lease);
    },
  };
}

export type Leases = ReturnType<typeof createLeases>;
