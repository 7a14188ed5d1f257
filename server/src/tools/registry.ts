import { z } from 'zod';
import { AppError } from '../platform/errors.ts';

/** What a tool knows about the call it serves. */
export interface ToolContext {
  orgId: string;
  agentId: string;
  /** The run the call belongs to (its metadata says what it works on); absent for a bare agent turn. */
  run?: { id: string; metadata: Record<string, unknown> } | undefined;
  /** Aborts when the run is cancelled; long tools must honour it. */
  signal: AbortSignal | undefined;
}

/**
 * A tool as the registry holds it. `parameters` validates the model's arguments and is also the
 * JSON schema the model and `GET /tools` see.
 */
export interface ToolDefinition {
  name: string;
  description: string;
  parameters: z.ZodObject;
  /**
   * The JSON schema to show instead of one derived from `parameters`: for tools described by someone
   * else (MCP servers), which check their own arguments.
   */
  jsonSchema?: Record<string, unknown> | undefined;
  requiresApproval: boolean;
  /** Where the tool comes from: `builtin`, later `workspace` or `mcp:<server>`. */
  source: string;
  /** Runs the tool with arguments that already passed `parameters`. */
  execute(args: unknown, ctx: ToolContext): Promise<unknown>;
}

/** A failure the model should read (bad arguments, a refused host); its message is shown as is. */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}

/**
 * Runs a tool's work, turning a refusal of the platform (an AppError under 500: not found, not allowed, a
 * bad path) into a ToolError the model reads and can act on, instead of a failed run.
 */
export async function asTool<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof AppError && err.status < 500) throw new ToolError(err.message);
    throw err;
  }
}

/** Declares a tool with typed arguments; the registry stores it type-erased. */
export function defineTool<S extends z.ZodObject>(tool: {
  name: string;
  description: string;
  parameters: S;
  requiresApproval?: boolean;
  source?: string;
  execute(args: z.infer<S>, ctx: ToolContext): Promise<unknown>;
}): ToolDefinition {
  assertToolName(tool.name);
  return {
    name: tool.name,
    description: tool.description,
    parameters: tool.parameters,
    requiresApproval: tool.requiresApproval ?? false,
    source: tool.source ?? 'builtin',
    execute: (args, ctx) => tool.execute(args as z.infer<S>, ctx),
  };
}

/**
 * A provider of tools. Static sources (the built-ins) answer the same for every org; later sources
 * (workspace files, an org's MCP servers) answer per org.
 */
export interface ToolSource {
  name: string;
  /**
   * Every tool of this source is named with this prefix (`mcp.`). A source that says so is not asked
   * for its tools when none of the names wanted has it (listing it may cost queries and connections).
   */
  prefix?: string;
  tools(orgId: string): Promise<ToolDefinition[]>;
}

const TOOL_NAME = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;

/** Tool names are at most this long. */
export const MAX_TOOL_NAME = 64;

/** Whether `name` is a valid registry name: dot-separated lower-case words, at most 64 long. */
export function isToolName(name: string): boolean {
  return TOOL_NAME.test(name) && name.length <= MAX_TOOL_NAME;
}

function assertToolName(name: string): void {
  if (!isToolName(name)) {
    throw new Error(
      `tool name "${name}" must be dot-separated lower-case words (a-z, 0-9, _), at most 64 long`,
    );
  }
}

/**
 * The name a model sees: function names may not hold dots, so `http.get` is offered as `http_get`.
 * The same rule the Agents SDK applies to tool names, so both sides agree.
 */
export function modelToolName(name: string): string {
  return name.replace(/[^a-zA-Z0-9]/g, '_');
}

/** The JSON schema of a tool's arguments, as the model and the API see it. */
export function parametersJsonSchema(tool: ToolDefinition): Record<string, unknown> {
  if (tool.jsonSchema) return tool.jsonSchema;
  const { $schema: _ignored, ...schema } = z.toJSONSchema(tool.parameters, { io: 'input' }) as Record<
    string,
    unknown
  >;
  return schema;
}

/** Every tool an org can give its agents, merged from all sources. */
export function createToolRegistry(sources: ToolSource[] = []) {
  const all = [...sources];

  /** The org's tools; with `wanting`, sources that cannot hold any of those names are skipped. */
  async function list(orgId: string, wanting?: readonly string[]): Promise<ToolDefinition[]> {
    if (wanting?.length === 0) return []; // an agent without tools (asked for on every turn)
    const seen = new Map<string, ToolDefinition>();
    const asked = (source: ToolSource) =>
      !wanting || !source.prefix || wanting.some((name) => name.startsWith(source.prefix!));
    for (const source of all.filter(asked)) {
      for (const tool of await source.tools(orgId)) {
        // Two names that a model would see alike (a.b, a_b) cannot both exist: the first source wins.
        const key = modelToolName(tool.name);
        if (!seen.has(key)) seen.set(key, tool);
      }
    }
    return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  return {
    /** Adds a source; later domains (workspace, MCP) call this when they start. */
    addSource(source: ToolSource): void {
      if (all.some((s) => s.name === source.name))
        throw new Error(`tool source ${source.name} is already added`);
      all.push(source);
    },
    list,
    async find(orgId: string, name: string): Promise<ToolDefinition | undefined> {
      return (await list(orgId)).find((t) => t.name === name);
    },
  };
}

export type ToolRegistry = ReturnType<typeof createToolRegistry>;

/** A source of tools that are the same for every org. */
export function staticSource(name: string, tools: ToolDefinition[]): ToolSource {
  return { name, tools: async () => tools };
}
