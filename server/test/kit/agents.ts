import { randomBytes } from 'node:crypto';
import { clientAs, type Schema } from './api-client.ts';
import type { TestServer } from './test-server.ts';
import type { Session } from './users.ts';

/** Creates an agent through the API with unique defaults; fails the test on anything but 201. */
export async function makeAgent(
  server: TestServer,
  session: Session,
  overrides: Partial<Schema<'CreateAgentRequestInput'>> = {},
): Promise<Schema<'Agent'>> {
  const label = randomBytes(4).toString('hex');
  const res = await clientAs(server, session).POST('/api/v1/agents', {
    body: { name: `Agent ${label}`, instructions: 'Be helpful.', ...overrides },
  });
  if (res.response.status !== 201) {
    throw new Error(`create agent failed: ${res.response.status} ${JSON.stringify(res.error)}`);
  }
  return res.data!;
}

/** Sets the org's http.get allow-list. */
export async function allowHosts(server: TestServer, session: Session, hosts: string[]): Promise<void> {
  const res = await clientAs(server, session).PUT('/api/v1/tools/http-allowlist', { body: { hosts } });
  if (res.response.status !== 200) {
    throw new Error(`allow-list failed: ${res.response.status} ${JSON.stringify(res.error)}`);
  }
}
