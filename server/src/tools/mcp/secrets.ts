import { decrypt, deriveKey, encrypt } from '../../platform/crypto.ts';
import type { McpTarget } from './connections.ts';
import type { McpServerRecord } from './store.ts';

/** Seals and opens an MCP server's environment and headers, stored as encrypted JSON objects. */
export function createMcpSecrets(secret: string) {
  const key = deriveKey(secret, 'mcp-server-secrets');

  function open(sealed: string | null): Record<string, string> {
    if (!sealed) return {};
    return JSON.parse(decrypt(key, sealed)) as Record<string, string>;
  }

  return {
    /** null for nothing to keep, so "no variables" stores no ciphertext. */
    seal(values: Record<string, string> | undefined): string | null {
      if (!values || Object.keys(values).length === 0) return null;
      return encrypt(key, JSON.stringify(values));
    },
    open,
    /** The server as a connection needs it, secrets decrypted. */
    target(row: McpServerRecord): McpTarget {
      return {
        orgId: row.orgId,
        id: row.id,
        slug: row.slug,
        version: String(row.updatedAt.getTime()),
        transport: row.transport,
        command: row.command,
        args: row.args,
        env: row.transport === 'stdio' ? open(row.envEnc) : {},
        url: row.url,
        headers: row.transport === 'http' ? open(row.headersEnc) : {},
      };
    },
  };
}

export type McpSecrets = ReturnType<typeof createMcpSecrets>;
