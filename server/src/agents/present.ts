import type { AgentRecord, AgentVersionRecord } from './store.ts';
import type { AgentSnapshot } from './tables.ts';

export type Agent = ReturnType<typeof presentAgent>;

export const snapshotOf = (a: AgentSnapshot): Required<AgentSnapshot> => ({
  name: a.name,
  slug: a.slug,
  description: a.description,
  instructions: a.instructions,
  model: a.model,
  tools: [...a.tools],
  handoffs: [...a.handoffs],
  modelSettings: { ...a.modelSettings },
  guardrails: structuredClone(a.guardrails ?? []),
});

export const presentAgent = (a: AgentRecord) => ({
  id: a.id,
  ...snapshotOf(a),
  version: a.version,
  createdAt: a.createdAt.toISOString(),
  updatedAt: a.updatedAt.toISOString(),
});

export const presentVersion = (agentId: string, v: AgentVersionRecord) => ({
  version: v.version,
  agent: { id: agentId, ...snapshotOf(v.snapshot) },
  changedBy: v.changedBy,
  createdAt: v.createdAt.toISOString(),
});
