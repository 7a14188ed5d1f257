import { randomBytes } from 'node:crypto';
import type { TestServer } from './harness.ts';

export interface CallResult<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** Plain HTTP call with JSON in and out, so tests assert on exactly what a client sees. */
export async function call<T = Record<string, unknown>>(
  server: { url: string },
  method: string,
  path: string,
  opts: { token?: string | undefined; body?: unknown; headers?: Record<string, string> } = {},
): Promise<CallResult<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // non-JSON bodies (metrics, HTML) stay text
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

/** Every test password carries this marker, so the suite-wide log scan can look for it. */
export const PASSWORD_MARKER = 'S3cret-pass-';

export function testPassword(): string {
  return `${PASSWORD_MARKER}${randomBytes(6).toString('hex')}`;
}

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(5).toString('hex')}@example.test`;
}

export interface Session {
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  userId: string;
  orgId: string;
}

interface TokenPairBody {
  accessToken: string;
  refreshToken: string;
  user: { id: string };
  org: { id: string };
}

function sessionFrom(body: TokenPairBody, email: string, password: string): Session {
  return {
    email,
    password,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
    userId: body.user.id,
    orgId: body.org.id,
  };
}

/** Registers a new user who owns a new org. */
export async function registerOwner(server: TestServer, label = 'owner'): Promise<Session> {
  const email = uniqueEmail(label);
  const password = testPassword();
  const res = await call<TokenPairBody>(server, 'POST', '/api/v1/auth/register', {
    body: { email, password, name: `Test ${label}`, orgName: `Org ${label}` },
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return sessionFrom(res.body, email, password);
}

export async function login(server: TestServer, email: string, password: string): Promise<Session> {
  const res = await call<TokenPairBody>(server, 'POST', '/api/v1/auth/login', { body: { email, password } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return sessionFrom(res.body, email, password);
}

/** The id of one of the org's roles, by name. */
export async function roleId(server: TestServer, owner: Session, name: string): Promise<string> {
  const res = await call<{ items: Array<{ id: string; name: string }> }>(server, 'GET', '/api/v1/roles', {
    token: owner.accessToken,
  });
  const role = res.body.items.find((r) => r.name === name);
  if (!role) throw new Error(`no role ${name}`);
  return role.id;
}

/** Adds a new person to the owner's org with the given role and signs them in. */
export async function addMember(
  server: TestServer,
  owner: Session,
  role: string,
): Promise<Session & { memberId: string }> {
  const email = uniqueEmail(role.replace(/\W/g, ''));
  const password = testPassword();
  const res = await call<{ id: string }>(server, 'POST', '/api/v1/members', {
    token: owner.accessToken,
    body: { email, roleId: await roleId(server, owner, role), name: `Test ${role}`, password },
  });
  if (res.status !== 201) throw new Error(`add member failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...(await login(server, email, password)), memberId: res.body.id };
}
