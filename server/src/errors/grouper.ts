import type { FastifyBaseLogger } from 'fastify';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import { inTransaction, type Work } from '../platform/db/work.ts';
import { newId } from '../platform/ids.ts';
import { auditIssue, publishIssueEvent } from './events.ts';
import { culpritOf, fingerprintOf } from './grouping.ts';
import { type NormalisedEvent, normaliseEvent, userKeyOf } from './normalise.ts';
import type { IssueRecord, RawEventRecord } from './store.ts';
import * as store from './store.ts';

interface Prepared {
  raw: RawEventRecord;
  event: NormalisedEvent;
  fingerprint: string;
  userKey: string | null;
}

/** Events of one issue from one release in a pass, the last received when (fixes check regressions). */
export interface Arrival {
  orgId: string;
  issueId: string;
  release: string;
  receivedAt: Date;
}

/**
 * What one grouping pass did: how many raw events it took, when each had been received, and which
 * issues saw which releases.
 */
export interface Grouped {
  count: number;
  receivedAt: Date[];
  arrivals: Arrival[];
}

const SYSTEM = { kind: 'system', id: null } as const;

function prepare(raw: RawEventRecord): Prepared {
  const event = normaliseEvent(raw.payload, raw.receivedAt);
  return { raw, event, fingerprint: fingerprintOf(event), userKey: userKeyOf(event) };
}

const byKey = <T>(items: T[], key: (t: T) => string): Map<string, T[]> => {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
};

/**
 * Groups claimed raw events into issues in the caller's transaction: new issues are made (numbered per
 * project), events written, users counted, and every issue's figures moved, all before the raw rows go.
 * Projects are locked first, in id order, so groupers on other replicas take turns per project instead
 * of racing to make the same issue or deadlocking over it.
 */
async function groupRows(work: Work, bus: Bus, rows: RawEventRecord[]): Promise<Arrival[]> {
  const { tx } = work;
  const arrivals = new Map<string, Arrival>();
  const prepared = rows.map(prepare);
  const projects = await store.lockProjects(tx, [...new Set(rows.map((r) => r.projectId))]);
  for (const [projectId, events] of [...byKey(prepared, (p) => p.raw.projectId)].sort(([a], [b]) =>
    a < b ? -1 : 1,
  )) {
    const project = projects.get(projectId);
    if (!project) continue; // deleted meanwhile: its raw rows went with it
    const groups = byKey(events, (p) => p.fingerprint);
    const fingerprints = [...groups.keys()].sort();
    const existing = new Map(
      (await store.lockIssuesByFingerprint(tx, projectId, fingerprints)).map((i) => [i.fingerprint, i]),
    );
    const created = new Set<string>();
    const issueOf = new Map<string, IssueRecord>();
    for (const fingerprint of fingerprints) {
      const found = existing.get(fingerprint);
      if (found) {
        issueOf.set(fingerprint, found);
        continue;
      }
      const first = groups.get(fingerprint)![0]!;
      const n = await store.nextIssueNumber(tx, projectId);
      const issue = await store.insertIssue(tx, {
        id: newId('iss'),
        orgId: project.orgId,
        projectId,
        shortId: `${project.slug}-${n}`,
        fingerprint,
        title: first.event.title,
        culprit: culpritOf(first.event),
        message: (first.event.message ?? first.event.exceptions.at(-1)?.value ?? '').slice(0, 2000),
        level: first.event.level,
        status: 'unresolved',
        count: 0,
        userCount: 0,
        firstSeen: first.raw.receivedAt,
        lastSeen: first.raw.receivedAt,
      });
      created.add(issue.id);
      issueOf.set(fingerprint, issue);
    }

    await store.insertEvents(
      tx,
      events.map((p) => ({
        id: newId('evt'),
        orgId: project.orgId,
        projectId,
        issueId: issueOf.get(p.fingerprint)!.id,
        eventId: p.raw.eventId,
        level: p.event.level,
        occurredAt: new Date(p.event.timestamp),
        receivedAt: p.raw.receivedAt,
        userKey: p.userKey,
        data: { ...p.event } as unknown as Record<string, unknown>,
      })),
    );
    const users = await store.addIssueUsers(
      tx,
      [
        ...new Set(
          events.filter((p) => p.userKey).map((p) => `${issueOf.get(p.fingerprint)!.id}\u0000${p.userKey}`),
        ),
      ].map((k) => {
        const [issueId, userKey] = k.split('\u0000') as [string, string];
        return { orgId: project.orgId, issueId, userKey };
      }),
    );

    for (const p of events) {
      const release = p.event.release;
      if (!release) continue;
      const issueId = issueOf.get(p.fingerprint)!.id;
      const key = `${issueId}\u0000${release}`;
      const seen = arrivals.get(key);
      if (!seen || seen.receivedAt < p.raw.receivedAt)
        arrivals.set(key, { orgId: project.orgId, issueId, release, receivedAt: p.raw.receivedAt });
    }

    const updated = await store.addToIssues(
      tx,
      fingerprints.map((fingerprint) => {
        const before = issueOf.get(fingerprint)!;
        const group = groups.get(fingerprint)!;
        const times = group.map((p) => p.raw.receivedAt.getTime());
        return {
          id: before.id,
          count: group.length,
          users: users.get(before.id) ?? 0,
          firstSeen: new Date(Math.min(...times)),
          lastSeen: new Date(Math.max(...times)),
          level: group.at(-1)!.event.level,
          ...(before.status === 'resolved' ? { status: 'regressed' as const } : {}),
        };
      }),
    );
    for (const fingerprint of fingerprints) {
      const before = issueOf.get(fingerprint)!;
      const regressed = before.status === 'resolved';
      const after = updated.get(before.id)!;
      if (created.has(after.id)) {
        await auditIssue(tx, SYSTEM, 'issue.create', after, null, { level: after.level });
        publishIssueEvent(work, bus, 'issue.created', after);
      } else if (regressed) {
        await auditIssue(tx, SYSTEM, 'issue.regress', after, null, {
          status: { from: 'resolved', to: 'regressed' },
        });
        publishIssueEvent(work, bus, 'issue.regressed', after);
      } else {
        publishIssueEvent(work, bus, 'issue.updated', after);
      }
    }
  }
  await store.deleteRawEvents(
    tx,
    rows.map((r) => r.seq),
  );
  return [...arrivals.values()];
}

/**
 * One grouping pass: claims up to `limit` raw events no other grouper holds (FOR UPDATE SKIP LOCKED)
 * and groups them in one transaction. A batch that fails is taken again one event at a time, so one
 * event the grouper cannot take (it should not happen: normalising never throws) is dropped with a log
 * line instead of holding up every event behind it.
 */
export async function groupPending(
  db: Db,
  bus: Bus,
  log: FastifyBaseLogger,
  limit: number,
): Promise<Grouped> {
  try {
    return await inTransaction(db, async (work) => {
      const rows = await store.claimRawEvents(work.tx, limit);
      const arrivals = rows.length > 0 ? await groupRows(work, bus, rows) : [];
      return { count: rows.length, receivedAt: rows.map((r) => r.receivedAt), arrivals };
    });
  } catch (err) {
    log.error({ err }, 'errors: a grouping batch failed; grouping its events one at a time');
  }
  const done: Grouped = { count: 0, receivedAt: [], arrivals: [] };
  for (let i = 0; i < limit; i++) {
    let claimed: RawEventRecord | undefined;
    try {
      const arrivals = await inTransaction(db, async (work) => {
        [claimed] = await store.claimRawEvents(work.tx, 1);
        return claimed ? groupRows(work, bus, [claimed]) : [];
      });
      if (!claimed) break;
      done.count++;
      done.receivedAt.push(claimed.receivedAt);
      done.arrivals.push(...arrivals);
    } catch (err) {
      if (!claimed) throw err;
      // This event alone fails: drop it, so the ones behind it go on.
      const { seq, eventId, projectId } = claimed;
      await inTransaction(db, (work) => store.deleteRawEvents(work.tx, [seq]));
      log.error({ err, eventId, projectId }, 'errors: dropped an event that cannot be grouped');
    }
  }
  return done;
}
