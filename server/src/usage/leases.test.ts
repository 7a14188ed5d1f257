import { describe, expect, it } from 'vitest';
import type { SettleItem } from './budget-store.ts';
import { createLeases, LEASE_IDLE_MS, LEASE_MAX_AGE_MS } from './leases.ts';

function setup() {
  let at = 1_000;
  const released: Array<SettleItem & { orgId: string }> = [];
  const leases = createLeases({ release: (item) => released.push(item), now: () => at });
  return {
    leases,
    released,
    advance(ms: number) {
      at += ms;
    },
  };
}

const day = new Date('2026-12-06T00:00:00Z');

describe('budget leases', () => {
  it('keeps one open lease per budget window, and a new one for the next period', () => {
    const { leases } = setup();
    const a = leases.of('org_1', 'bud_1', day);
    expect(leases.of('org_1', 'bud_1', day)).toBe(a);
    expect(leases.of('org_1', 'bud_1', new Date('2026-12-07T00:00:00Z'))).not.toBe(a);
    expect(leases.of('org_1', 'bud_2', day)).not.toBe(a);
  });

  it('takes a call from every lease only when each has room for it', () => {
    const { leases } = setup();
    const a = leases.of('org_1', 'bud_1', day);
    const b = leases.of('org_1', 'bud_2', day);
    leases.giveBack(a, 30);
    leases.giveBack(b, 10);
    expect(leases.takeAll([a, b], 20)).toBe(false);
    expect([a.available, b.available]).toEqual([30, 10]);
    expect(leases.takeAll([a, b], 10)).toBe(true);
    expect([a.available, b.available]).toEqual([20, 0]);
  });

  it('gives back to the database what an idle lease holds', () => {
    const { leases, released, advance } = setup();
    const a = leases.of('org_1', 'bud_1', day);
    leases.giveBack(a, 70);
    advance(LEASE_IDLE_MS - 1);
    leases.sweep();
    expect(released).toEqual([]);
    advance(1);
    leases.sweep();
    expect(released).toEqual([
      {
        orgId: 'org_1',
        reservation: a.id,
        budgetId: 'bud_1',
        periodStart: day,
        spentNanos: 0,
        releaseNanos: 70,
      },
    ]);
    expect(a.open).toBe(false);
    // What a call still in flight hands back after the lease closed goes to the database too.
    leases.giveBack(a, 5);
    expect(released.at(-1)).toMatchObject({ reservation: a.id, releaseNanos: 5 });
    expect(leases.of('org_1', 'bud_1', day)).not.toBe(a);
  });

  it('closes a lease in use once it is too old to be granted more', () => {
    const { leases, advance } = setup();
    const a = leases.of('org_1', 'bud_1', day);
    for (let t = 0; t < LEASE_MAX_AGE_MS; t += LEASE_IDLE_MS / 2) {
      leases.giveBack(a, 1);
      advance(LEASE_IDLE_MS / 2);
      leases.sweep();
    }
    expect(a.open).toBe(false);
  });

  it('closes the leases of an org whose budgets changed, and only those', () => {
    const { leases, released } = setup();
    const mine = leases.of('org_1', 'bud_1', day);
    const theirs = leases.of('org_2', 'bud_9', day);
    leases.giveBack(mine, 10);
    leases.giveBack(theirs, 10);
    leases.closeOrg('org_1');
    expect([mine.open, theirs.open]).toEqual([false, true]);
    expect(released.map((r) => r.budgetId)).toEqual(['bud_1']);
    // A closed lease admits nothing, whatever it held.
    expect(leases.takeAll([mine], 1)).toBe(false);
  });
});
