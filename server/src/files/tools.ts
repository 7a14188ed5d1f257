import { z } from 'zod';
import { asTool, defineTool, type ToolSource } from '../tools/registry.ts';
import type { Callers } from './callers.ts';
import type { Reads } from './reads.ts';
import type { TreeEntry } from './schema.ts';
import type { Writes } from './writes.ts';

/** Text handed back to a model is cut here; it reads the rest of a large file in another way or not at all. */
const MAX_TEXT_CHARS = 50_000;
const TEXTUAL = /^(text\/|application\/(json|xml|javascript|yaml|x-yaml|toml|sql|x-sh)|[^;]*\+(json|xml))/i;

function flatten(entries: TreeEntry[]): Array<{ path: string; type: string; size?: number; access: string }> {
  return entries.flatMap((e) => [
    { path: e.path, type: e.type, ...(e.size === undefined ? {} : { size: e.size }), access: e.access },
    ...flatten(e.children ?? []),
  ]);
}

/**
 * `files.list`, `files.read` and `files.write` for agents: each call acts as the agent, so it sees and
 * changes only what rules naming that agent allow (with no rule, nothing), and what it writes is
 * attributed to it (`updatedBy`, and an audit row whose actor is the agent).
 */
export function filesToolSource(deps: { callers: Callers; reads: Reads; writes: Writes }): ToolSource {
  const agent = (ctx: { orgId: string; agentId: string }) => deps.callers.ofAgent(ctx.orgId, ctx.agentId);
  const tools = [
    defineTool({
      name: 'files.list',
      source: 'workspace',
      description: 'List the workspace files and folders under a folder that this agent may read.',
      parameters: z.object({
        path: z.string().max(1024).default('/').describe('An absolute folder path such as /docs; default /'),
        depth: z.number().int().min(1).max(3).default(1).describe('Levels below the folder (1-3)'),
      }),
      execute: ({ path, depth }, ctx) =>
        asTool(async () => {
          const tree = await deps.reads.tree(await agent(ctx), path, depth);
          return { path: tree.path, entries: flatten(tree.children), truncated: tree.truncated };
        }),
    }),
    defineTool({
      name: 'files.read',
      source: 'workspace',
      description: 'Read a workspace file this agent may read: its text, content type, size and ETag.',
      parameters: z.object({
        path: z.string().max(1024).describe('An absolute file path such as /docs/plan.md'),
      }),
      execute: ({ path }, ctx) =>
        asTool(async () => {
          const file = await deps.reads.content(await agent(ctx), path);
          const facts = {
            path: file.path,
            contentType: file.contentType,
            size: file.bytes.length,
            etag: file.etag,
          };
          if (!TEXTUAL.test(file.contentType))
            return { ...facts, content: null, note: 'binary content is not shown' };
          const text = file.bytes.toString('utf8');
          return {
            ...facts,
            content: text.slice(0, MAX_TEXT_CHARS),
            truncated: text.length > MAX_TEXT_CHARS,
          };
        }),
    }),
    defineTool({
      name: 'files.write',
      source: 'workspace',
      description:
        'Create or replace a workspace file (parent folders are made) where this agent may write. ' +
        'Pass the ETag you read as ifMatch to refuse the write when someone changed the file meanwhile.',
      parameters: z.object({
        path: z.string().max(1024).describe('An absolute file path such as /notes/summary.md'),
        content: z.string().describe('The whole new text of the file'),
        contentType: z.string().max(200).optional().describe('Default: from the name, e.g. text/markdown'),
        ifMatch: z.string().max(200).optional().describe('The ETag from files.read'),
      }),
      execute: ({ path, content, contentType, ifMatch }, ctx) =>
        asTool(async () => {
          const body = { bytes: Buffer.from(content, 'utf8'), contentType, ifMatch };
          const { created, metadata } = await deps.writes.write(await agent(ctx), path, body);
          return {
            path: metadata.path,
            created,
            version: metadata.version,
            size: metadata.size,
            etag: metadata.etag,
          };
        }),
    }),
  ];
  return { name: 'files', prefix: 'files.', tools: async () => tools };
}
