import { AppError, Errors } from '../platform/errors.ts';

/** The errors of tools and MCP servers, one code each with one status. */
export const ToolErrors = {
  invalidHosts: (invalid: string[]) =>
    new AppError(
      400,
      'invalid_host',
      `not a host name: ${invalid.map((h) => `"${h}"`).join(', ')}; give a host (example.com), a sub-domain wildcard (*.example.com) or an IP address, without scheme, port or path`,
      { invalid },
    ),
  mcpServerNotFound: (id: string) => Errors.notFound('MCP server', id),
  mcpSlugTaken: (slug: string) =>
    new AppError(409, 'slug_taken', `an MCP server with slug "${slug}" already exists in this organisation`),
  mcpCommandNotAllowed: (command: string, allowed: string[]) =>
    new AppError(
      403,
      'mcp_command_not_allowed',
      allowed.length
        ? `"${command}" is not a command this server allows for stdio MCP servers; allowed: ${allowed.join(', ')}`
        : 'stdio MCP servers are turned off on this server: they run commands on its host, and its operator allows them by listing the commands in MCP_STDIO_COMMANDS',
    ),
  reservedHeaders: (reserved: string[]) =>
    new AppError(
      400,
      'invalid_header',
      `the MCP transport sets ${reserved.join(', ')} itself; leave ${reserved.length > 1 ? 'them' : 'it'} out`,
      { headers: reserved },
    ),
  mcpServerInUse: (slug: string, users: Array<{ id: string; slug: string }>) =>
    new AppError(
      409,
      'mcp_server_in_use',
      `MCP server ${slug} has tools used by ${users.map((a) => `${a.slug} (${a.id})`).join(', ')}; remove them from those agents first`,
      { agents: users.map((a) => ({ id: a.id, slug: a.slug })) },
    ),
};
