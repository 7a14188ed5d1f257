import { randomBytes } from 'node:crypto';
import type { Agent } from '../src/agents/present.ts';
import { call, type Session } from './factories.ts';
import type { TestServer } from './harness.ts';

/** Creates an agent through the API with unique defaults; fails the test on anything but 201. */
export async function makeAgent(
  server: TestServer,
  session: Session,
  overrides: Record<string, unknown> = {},
): Promise<Agent> {
  const label = randomBytes(4).toString('hex');
  const res = await call<Agent>(server, 'POST', '/api/v1/agents', {
    token: session.accessToken,
    body: { name: `Agent ${label}`, instructions: 'Be helpful.', ...overrides },
  });
  if (res.status !== 201) throw new Error(`create agent failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Sets the org's http.get allow-list. */
export async function allowHosts(server: TestServer, session: Session, hosts: string[]): Promise<void> {
  const res = await call(server, 'PUT', '/api/v1/tools/http-allowlist', {
    token: session.accessToken,
    body: { hosts },
  });
  if (res.status !== 200) throw new Error(`allow-list failed: ${res.status} ${JSON.stringify(res.body)}`);
}
