import type { FixRecord } from './store.ts';

/** A fix as the API shows it. */
export const presentFix = (f: FixRecord) => ({
  id: f.id,
  issueId: f.issueId,
  issueShortId: f.issueShortId,
  projectId: f.projectId,
  agentId: f.agentId,
  status: f.status,
  runId: f.runId,
  instructions: f.instructions,
  rootCause: f.rootCause,
  diff: f.diff,
  files: f.files,
  edits: f.edits,
  repository: { path: f.repositoryPath, branch: f.repositoryBranch, baseCommit: f.baseCommit },
  branch: f.branch,
  commit: f.commit,
  committedAt: f.committedAt?.toISOString() ?? null,
  verify: f.verify,
  error: f.error,
  requestedBy: f.requestedBy,
  decidedBy: f.decidedBy,
  decidedAt: f.decidedAt?.toISOString() ?? null,
  rejectReason: f.rejectReason,
  holding: f.holding,
  regressedAt: f.regressedAt?.toISOString() ?? null,
  regressedRelease: f.regressedRelease,
  createdAt: f.createdAt.toISOString(),
  updatedAt: f.updatedAt.toISOString(),
});

export type Fix = ReturnType<typeof presentFix>;
