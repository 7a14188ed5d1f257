import { z } from 'zod';

/** MCP server slugs are one word of a tool name: `mcp.<slug>.<tool>`. */
export const MCP_SLUG = /^[a-z][a-z0-9_]{0,23}$/;
const slug = z
  .string()
  .regex(MCP_SLUG, 'must start with a letter and hold only a-z, 0-9 and _, at most 24 long, e.g. github')
  .meta({
    description:
      'Unique in the org; its tools are named mcp.<slug>.<tool>. Derived from the name when not given',
  });

const MAX_ENTRIES = 50;
const limitEntries = (v: Record<string, string>) => Object.keys(v).length <= MAX_ENTRIES;

const env = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name'),
    z.string().max(8_000),
  )
  .refine(limitEntries, `at most ${MAX_ENTRIES} variables`)
  .meta({
    description:
      'Variables for the command, stored encrypted and never returned (only their names); replaces all of them',
  });

const headers = z
  .record(
    z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, 'must be an HTTP header name'),
    z.string().max(8_000),
  )
  .refine(limitEntries, `at most ${MAX_ENTRIES} headers`)
  .meta({
    description:
      'Sent with every request (e.g. authorization), stored encrypted and never returned (only their names); replaces all of them',
  });

const fields = {
  name: z.string().trim().min(1).max(120),
  description: z.string().max(2000),
  requiresApproval: z
    .boolean()
    .meta({ description: 'Whether every tool of this server waits for a person to approve each call' }),
  command: z
    .string()
    .min(1)
    .max(500)
    .meta({ description: 'The program to start; the operator lists the allowed ones in MCP_STDIO_COMMANDS' }),
  args: z.array(z.string().max(4_000)).max(64),
  url: z
    .url({ protocol: /^https?$/ })
    .max(2_000)
    .meta({ description: 'The streamable HTTP endpoint' }),
};

const common = {
  name: fields.name,
  slug: slug.optional(),
  description: fields.description.optional(),
  requiresApproval: fields.requiresApproval.optional().meta({ description: 'Default false' }),
};

export const createMcpServerBody = z
  .discriminatedUnion('transport', [
    z.strictObject({
      transport: z.literal('stdio'),
      ...common,
      command: fields.command,
      args: fields.args.optional(),
      env: env.optional(),
    }),
    z.strictObject({
      transport: z.literal('http'),
      ...common,
      url: fields.url,
      headers: headers.optional(),
    }),
  ])
  .meta({ id: 'CreateMcpServerRequest' });

export const updateMcpServerBody = z
  .strictObject({
    name: fields.name.optional(),
    description: fields.description.optional(),
    requiresApproval: fields.requiresApproval.optional(),
    command: fields.command.optional().meta({ description: 'stdio servers only' }),
    args: fields.args.optional().meta({ description: 'stdio servers only' }),
    env: env.optional().meta({ description: 'stdio servers only; replaces every variable' }),
    url: fields.url.optional().meta({ description: 'http servers only' }),
    headers: headers.optional().meta({ description: 'http servers only; replaces every header' }),
  })
  .meta({
    id: 'UpdateMcpServerRequest',
    description: 'The transport and slug cannot change: agents name its tools by the slug',
  });

export type CreateMcpServerInput = z.infer<typeof createMcpServerBody>;
export type UpdateMcpServerInput = z.infer<typeof updateMcpServerBody>;

export const mcpStatusSchema = z
  .object({
    state: z.enum(['idle', 'connecting', 'connected', 'error']).meta({
      description: 'idle: not opened yet on this server (connections open when first needed)',
    }),
    message: z.string().nullable().meta({ description: 'With error: what went wrong' }),
    since: z.string().nullable(),
  })
  .meta({ id: 'McpServerStatus' });

export const mcpServerSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    slug: z.string(),
    description: z.string(),
    transport: z.enum(['stdio', 'http']),
    command: z.string().nullable(),
    args: z.array(z.string()),
    envNames: z
      .array(z.string())
      .meta({ description: 'Names of the stored variables; values are never returned' }),
    url: z.string().nullable(),
    headerNames: z
      .array(z.string())
      .meta({ description: 'Names of the stored headers; values are never returned' }),
    requiresApproval: z.boolean(),
    status: mcpStatusSchema,
    tools: z
      .array(
        z.object({
          name: z.string().meta({ description: 'The registry name agents list: mcp.<slug>.<tool>' }),
          mcpName: z.string().meta({ description: 'The name on the MCP server' }),
          description: z.string(),
        }),
      )
      .meta({ description: 'Live when connected, else as last listed' }),
    toolsUpdatedAt: z.string().nullable().meta({ description: 'When the tools were last listed' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'McpServer' });

export type McpServerView = z.infer<typeof mcpServerSchema>;
export type McpStatus = z.infer<typeof mcpStatusSchema>;
