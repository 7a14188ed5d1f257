import type { FastifyBaseLogger } from 'fastify';
import type { Bus } from '../platform/bus.ts';
import type { Config } from '../platform/config.ts';
import type { Db } from '../platform/db/index.ts';
import { inTransaction } from '../platform/db/work.ts';
import { AppError } from '../platform/errors.ts';
import { commitEdits, programAllowed, verifyCommit } from './apply.ts';
import { auditFix, publishFix } from './events.ts';
import { openRepository } from './repository.ts';
import { fixBranch } from './service.ts';
import * as store from './store.ts';
import type { FixStatus } from './tables.ts';

const SYSTEM = { kind: 'system' as const, id: null };
const AUTHOR = { name: 'Switchboard', email: 'fixes@switchboard.invalid' };

/**
 * The job an approval queues: commit the fix's edits on `switchboard/fix-<shortId>` (applying ->
 * applied, or failed with the refusal's code: `patch_conflict` when the branch moved under an edit),
 * then run the verify command in a temporary worktree (verifying -> verified or verification_failed).
 * A retry after a crash picks up where the fix stands: a commit already made is found by its marker.
 */
export function createFixJobs(deps: { db: Db; bus: Bus; log: FastifyBaseLogger; settings: Config['fixes'] }) {
  const { db, bus, settings } = deps;

  async function move(fix: store.FixRecord, from: FixStatus[], patch: store.FixPatch, action: string) {
    return inTransaction(db, async (work) => {
      const moved = await store.updateFix(work.tx, fix.orgId, fix.id, patch, { from });
      if (!moved) return undefined;
      await auditFix(work.tx, SYSTEM, action, moved, null, {
        ...(patch.error ? { error: patch.error } : {}),
        ...(patch.commit ? { commit: patch.commit, branch: patch.branch } : {}),
      });
      publishFix(work, bus, moved);
      return moved;
    });
  }

  async function apply(fix: store.FixRecord) {
    try {
      const repo = await openRepository(fix.repositoryPath, settings.repositoryRoots, settings.childEnv);
      const made = await commitEdits(repo, {
        baseBranch: fix.repositoryBranch,
        branch: fixBranch(fix.issueShortId),
        edits: fix.edits,
        message: `Fix ${fix.issueShortId}\n\n${(fix.rootCause ?? '').slice(0, 4000)}`,
        marker: `Switchboard-Fix: ${fix.id}`,
        author: AUTHOR,
      });
      return move(
        fix,
        ['applying'],
        {
          status: 'applied',
          branch: made.branch,
          commit: made.commit,
          committedAt: new Date(),
          holding: true,
        },
        'fix.applied',
      );
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      await move(
        fix,
        ['applying'],
        { status: 'failed', error: { code: err.code, message: err.message } },
        'fix.failed',
      );
      return undefined;
    }
  }

  async function verify(fix: store.FixRecord) {
    const command = fix.verifyCommand;
    if (!command?.length || !fix.commit) return;
    const program = command[0]!;
    if (!programAllowed(program, settings.verifyCommands)) {
      const message = `the verify command's program "${program}" is not allowed by the operator (FIX_VERIFY_COMMANDS)`;
      await move(
        fix,
        ['applied', 'verifying'],
        {
          status: 'verification_failed',
          verify: { command, exitCode: null, outputTail: message },
          error: { code: 'verify_command_not_allowed', message },
        },
        'fix.verification_failed',
      );
      return;
    }
    const verifying =
      fix.status === 'verifying'
        ? fix
        : await move(fix, ['applied'], { status: 'verifying' }, 'fix.verifying');
    if (!verifying) return;
    const repo = await openRepository(fix.repositoryPath, settings.repositoryRoots, settings.childEnv);
    const result = await verifyCommit(repo, fix.commit, command, {
      timeoutMs: settings.verifyTimeoutSeconds * 1000,
      env: settings.childEnv,
    });
    const passed = result.exitCode === 0;
    const error = passed
      ? null
      : result.timedOut
        ? {
            code: 'verify_timeout',
            message: `the verify command ran past ${settings.verifyTimeoutSeconds} s`,
          }
        : {
            code: 'verification_failed',
            message: `the verify command exited with ${result.exitCode ?? 'no code'}`,
          };
    await move(
      verifying,
      ['verifying'],
      {
        status: passed ? 'verified' : 'verification_failed',
        verify: { command: result.command, exitCode: result.exitCode, outputTail: result.outputTail },
        error,
      },
      passed ? 'fix.verified' : 'fix.verification_failed',
    );
  }

  return {
    /** Works one job: whatever of applying and verifying the fix still needs. */
    async run(job: { fixId: string; orgId: string }): Promise<void> {
      let fix = await store.findFix(db, job.orgId, job.fixId);
      if (!fix) return;
      if (fix.status === 'applying') fix = await apply(fix);
      if (fix && (fix.status === 'applied' || fix.status === 'verifying')) await verify(fix);
    },
  };
}
