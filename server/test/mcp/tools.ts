import { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';

/**
 * The tools of the test MCP servers (stdio and HTTP alike): `echo`, `add`, `whoami` (its process id and
 * the GREETING variable), a tool that reports failure, and one that never answers.
 */
export function testMcpServer(): McpServer {
  const server = new McpServer({ name: 'switchboard-test', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echoes the text back', inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool(
    'add',
    {
      description: 'Adds two numbers',
      inputSchema: z.object({ a: z.number().describe('first'), b: z.number().describe('second') }),
      outputSchema: z.object({ sum: z.number() }),
    },
    async ({ a, b }) => ({
      content: [{ type: 'text', text: String(a + b) }],
      structuredContent: { sum: a + b },
    }),
  );
  server.registerTool(
    'whoami',
    { description: 'The process id and the GREETING variable of the server' },
    async () => ({
      content: [
        { type: 'text', text: JSON.stringify({ pid: process.pid, greeting: process.env.GREETING ?? null }) },
      ],
    }),
  );
  server.registerTool(
    'Break-It',
    { description: 'Always reports a failure', inputSchema: z.object({}) },
    async () => ({ content: [{ type: 'text', text: 'the widget is broken' }], isError: true }),
  );
  server.registerTool(
    'hang',
    { description: 'Never answers', inputSchema: z.object({}) },
    () => new Promise(() => {}),
  );
  return server;
}
