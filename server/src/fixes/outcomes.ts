import type { Bus } from '../platform/bus.ts';
import type { Work } from '../platform/db/work.ts';
import type { RunObserver } from '../runs/observers.ts';
import type { RunRecord } from '../runs/store.ts';
import { auditFix, publishFix } from './events.ts';
import type { InboxPort } from './service.ts';
import * as store from './store.ts';
import type { FixStatus } from './tables.ts';

const SYSTEM = { kind: 'system' as const, id: null };
/** Statuses in which a fix is still in its run's hands. */
const WORKED: FixStatus[] = ['queued', 'analyzing'];

/**
 * How a fix run moves its fix. A run observer: it runs in the transaction that records the run's
 * transition, on whichever replica or worker made it, so the fix moves exactly once with the run.
 * Started -> `analyzing`; succeeded with edits -> `proposed` (the run's answer is the root cause) and a
 * review notice in the inbox; succeeded without an edit -> `failed` (`no_patch_proposed`); failed or
 * cancelled -> `failed` with the run's reason.
 */
export function fixRunObserver(bus: Bus, inbox: InboxPort): RunObserver {
  async function fixOf(work: Work, run: RunRecord) {
    if (typeof run.metadata?.fixId !== 'string') return undefined;
    return store.findFixOfRun(work.tx, run.orgId, run.id);
  }

  async function move(work: Work, fix: store.FixRecord, patch: store.FixPatch, action: string) {
    const moved = await store.updateFix(work.tx, fix.orgId, fix.id, patch, { from: WORKED });
    if (!moved) return undefined;
    await auditFix(work.tx, SYSTEM, action, moved, null, { runId: fix.runId });
    publishFix(work, bus, moved);
    return moved;
  }

  return {
    async started(work, run) {
      const fix = await fixOf(work, run);
      if (fix?.status === 'queued') await move(work, fix, { status: 'analyzing' }, 'fix.analyzing');
    },

    async ended(work, run) {
      const fix = await fixOf(work, run);
      if (!fix || !WORKED.includes(fix.status)) return;
      if (run.status === 'succeeded' && fix.edits.length > 0) {
        const rootCause = run.output ?? '';
        const inboxItemId = await inbox.openNotice(
          {
            orgId: fix.orgId,
            title: `Review the proposed fix for ${fix.issueShortId}`,
            body: `${fix.files.join(', ')}: ${rootCause.slice(0, 500)}`,
            audience: 'errors:write',
            payload: { kind: 'fix.review', fixId: fix.id, issueId: fix.issueId, runId: run.id },
          },
          work,
        );
        await move(work, fix, { status: 'proposed', rootCause, inboxItemId }, 'fix.proposed');
        return;
      }
      if (run.status === 'succeeded') {
        const error = {
          code: 'no_patch_proposed',
          message: 'the fixer finished without proposing an edit; its answer says what it found',
        };
        await move(work, fix, { status: 'failed', rootCause: run.output ?? null, error }, 'fix.failed');
        return;
      }
      const error =
        run.status === 'cancelled'
          ? { code: 'cancelled', message: 'the fixer run was cancelled' }
          : { code: run.error?.code ?? 'run_failed', message: run.error?.message ?? 'the fixer run failed' };
      await move(work, fix, { status: 'failed', error }, 'fix.failed');
    },
  };
}
