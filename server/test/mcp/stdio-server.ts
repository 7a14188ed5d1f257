// A tiny MCP server over stdio, for the tests: `node stdio-server.ts` (Node 24 strips the types).
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { testMcpServer } from './tools.ts';

await testMcpServer().connect(new StdioServerTransport());
