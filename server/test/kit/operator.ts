import { startTestServer, type TestServer } from './test-server.ts';
import { login, type Session, testPassword, uniqueEmail } from './users.ts';

/**
 * A test server whose start-up admin (SWITCHBOARD_ADMIN_*) owns the operator org, and that admin
 * signed in. `options` are the test server's (more env, test routes).
 */
export async function startOperatorServer(
  options: Parameters<typeof startTestServer>[0] = {},
): Promise<{ server: TestServer; admin: Session }> {
  const email = uniqueEmail('operator');
  const password = testPassword();
  const server = await startTestServer({
    ...options,
    env: { ...options.env, SWITCHBOARD_ADMIN_EMAIL: email, SWITCHBOARD_ADMIN_PASSWORD: password },
  });
  await server.domains.identity.auth.ensureOwner({ email, password });
  return { server, admin: await login(server, email, password) };
}
