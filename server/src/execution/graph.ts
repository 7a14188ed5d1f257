import { createHash } from 'node:crypto';
import { Agent, type ModelSettings, tool } from '@openai/agents';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { Agent as AgentSpec } from '../agents/present.ts';
import type { AgentModelSettings } from '../agents/tables.ts';
import { type ModelResolver, parseModelRef } from '../providers/models/resolver.ts';
import type { ProvidersService } from '../providers/service.ts';
import {
  modelToolName,
  parametersJsonSchema,
  type ToolContext,
  type ToolDefinition,
  ToolError,
  type ToolRegistry,
} from '../tools/registry.ts';
import type { ModelCallUsage } from './events.ts';
import { sdkGuardrails } from './guardrails.ts';
import { type CallGate, MeteredModel, UnavailableModel } from './metered-model.ts';

/** At most this many agents of a hand-off chain are loaded; hand-offs beyond it are left out. */
export const MAX_GRAPH_AGENTS = 50;
/**
 * What the SDK answers, by itself, when a model sends arguments that are not JSON (it parses them
 * before our tool runs, so no error hook of ours is called).
 */
export const SDK_INVALID_JSON_OUTPUT =
  'An error occurred while parsing tool arguments. Please try again with valid JSON.';
/** Tool output handed back to the model is cut at this many characters. */
const MAX_TOOL_OUTPUT = 64 * 1024;

/** Makes tool calls exactly-once across retries of a run (see execution/queued.ts). */
export interface StepOptions {
  /** Runs `fn` once per step id; a repeat gets the stored result. */
  step?: <T>(stepId: string, fn: () => Promise<T>) => Promise<T>;
  /** Distinguishes the segments of a run split by approvals, so their call ordinals do not collide. */
  stepPrefix?: string;
}

/**
 * A tool call's step id: its place in the turn, the tool and a hash of its arguments. A deterministic
 * model repeats the same calls on a retry, so each finds its stored result; a different call never
 * does, because its name or arguments differ.
 */
export function toolStepId(prefix: string, ordinal: number, toolName: string, input: unknown): string {
  const hash = createHash('sha256')
    .update(JSON.stringify(input) ?? '')
    .digest('hex')
    .slice(0, 16);
  return `${prefix}:${ordinal}:${toolName}:${hash}`;
}

export interface GraphDeps {
  /** The org's agents by id (hand-off targets); the agents domain answers. */
  agents: { findMany(orgId: string, ids: string[]): Promise<AgentSpec[]> };
  tools: ToolRegistry;
  resolver: ModelResolver;
  providers: Pick<ProvidersService, 'orgProvider'>;
  log: FastifyBaseLogger;
}

/** What every model call of a turn goes through: the usage record, and the gate before the call. */
export interface Metering {
  record(usage: ModelCallUsage): void;
  gate?: CallGate | undefined;
}

/** The SDK agents of one turn, and how to map their names back to Switchboard ids and tool names. */
export interface AgentGraph {
  root: Agent;
  /** SDK agent name (the slug) -> Switchboard agent. */
  bySdkName: Map<string, AgentSpec>;
  /** Model-facing tool name (`http_get`) -> registry name (`http.get`). */
  toolNames: Map<string, string>;
  /** Call ids whose tool failed, so results can say `isError`. */
  failedCalls: Set<string>;
}

function sdkModelSettings(s: AgentModelSettings): ModelSettings {
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as ModelSettings;
}

function stringify(output: unknown): string {
  const text = typeof output === 'string' ? output : (JSON.stringify(output) ?? 'null');
  return text.length > MAX_TOOL_OUTPUT ? `${text.slice(0, MAX_TOOL_OUTPUT)}... (output cut)` : text;
}

/**
 * Loads the agent and every agent reachable through hand-offs (same org only), and builds the SDK
 * graph: each agent gets its own model and only its own tools, so a call to any other tool is
 * refused by the SDK's runner.
 */
export async function buildAgentGraph(
  deps: GraphDeps,
  orgId: string,
  rootSpec: AgentSpec,
  signal: AbortSignal | undefined,
  metering: Metering,
  steps: StepOptions = {},
  run?: ToolContext['run'],
): Promise<AgentGraph> {
  const specs = new Map<string, AgentSpec>([[rootSpec.id, rootSpec]]);
  let frontier = rootSpec.handoffs.filter((id) => !specs.has(id));
  while (frontier.length && specs.size < MAX_GRAPH_AGENTS) {
    const found = await deps.agents.findMany(orgId, frontier);
    for (const spec of found) specs.set(spec.id, spec);
    frontier = [...new Set(found.flatMap((a) => a.handoffs))].filter((id) => !specs.has(id));
  }

  const wanted = [...specs.values()].flatMap((s) => s.tools);
  const registry = new Map((await deps.tools.list(orgId, wanted)).map((t) => [t.name, t]));
  const failedCalls = new Set<string>();
  const toolNames = new Map<string, string>();
  for (const name of registry.keys()) toolNames.set(modelToolName(name), name);

  let ordinal = 0;
  const sdkTool = (def: ToolDefinition, spec: AgentSpec) => {
    const schema = parametersJsonSchema(def);
    return tool({
      name: def.name,
      description: def.description,
      parameters: {
        type: 'object',
        properties: (schema.properties ?? {}) as Record<string, Record<string, unknown>>,
        required: (schema.required ?? []) as string[],
        additionalProperties: true,
      },
      strict: false,
      needsApproval: def.requiresApproval,
      async execute(input, _context, details) {
        const parsed = def.parameters.safeParse(input);
        if (!parsed.success) {
          throw new ToolError(
            `invalid arguments for ${def.name}: ${z.prettifyError(parsed.error).replaceAll('\n', ' ')}`,
          );
        }
        const call = () =>
          def.execute(parsed.data, {
            orgId,
            agentId: spec.id,
            run,
            signal: details?.signal ?? signal,
          });
        const stepId = toolStepId(steps.stepPrefix ?? 'turn', ordinal++, def.name, parsed.data);
        const output = steps.step ? await steps.step(stepId, call) : await call();
        return stringify(output);
      },
      errorFunction(_context, error, details) {
        const callId = details?.toolCall?.callId;
        if (callId) failedCalls.add(callId);
        if (error instanceof ToolError) return `Error: ${error.message}`;
        deps.log.error({ err: error, tool: def.name, orgId }, 'tool failed unexpectedly');
        return `Error: ${def.name} failed unexpectedly`;
      },
    });
  };

  const sdkAgents = new Map<string, Agent>();
  for (const spec of specs.values()) {
    const ref = parseModelRef(spec.model);
    let model: MeteredModel;
    const info = { agentId: spec.id, model: spec.model };
    try {
      const orgProvider = ref ? await deps.providers.orgProvider(orgId, ref.provider) : undefined;
      model = new MeteredModel(
        deps.resolver.resolve(spec.model, orgProvider),
        info,
        metering.record,
        metering.gate,
      );
    } catch (err) {
      model = new MeteredModel(new UnavailableModel(err as Error), info, metering.record, metering.gate);
    }
    const agentTools = spec.tools.flatMap((name) => {
      const def = registry.get(name);
      return def ? [sdkTool(def, spec)] : [];
    });
    const guardrails = sdkGuardrails(spec.slug, spec.guardrails);
    sdkAgents.set(
      spec.id,
      new Agent({
        name: spec.slug,
        instructions: spec.instructions,
        handoffDescription: spec.description,
        model,
        modelSettings: sdkModelSettings(spec.modelSettings),
        tools: agentTools,
        inputGuardrails: guardrails.input,
        outputGuardrails: guardrails.output,
      }),
    );
  }
  for (const spec of specs.values()) {
    const agent = sdkAgents.get(spec.id)!;
    agent.handoffs = spec.handoffs.flatMap((id) => {
      const target = sdkAgents.get(id);
      return target ? [target] : [];
    });
  }
  return {
    root: sdkAgents.get(rootSpec.id)!,
    bySdkName: new Map([...specs.values()].map((s) => [s.slug, s])),
    toolNames,
    failedCalls,
  };
}
