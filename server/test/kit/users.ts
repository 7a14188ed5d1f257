import { randomBytes } from 'node:crypto';
import { anonymousClient, clientAs, type RawAnswer, rawRequest, type Schema } from './api-client.ts';
import type { TestServer } from './test-server.ts';

/**
 * Plain HTTP with JSON in and out: for raw cases only (a body the typed client cannot express, an odd
 * header). Tests talk to the server through the typed client (`clientAs`); `call` stays
 * for tests not yet converted and is the same function as `rawRequest`.
 */
export const call = rawRequest;
export type CallResult<T = Record<string, unknown>> = RawAnswer<T>;

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

function sessionFrom(body: Schema<'TokenPair'>, email: string, password: string): Session {
  if (!body.refreshToken) throw new Error('the answer has no refresh token (did the console header go?)');
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
  const res = await anonymousClient(server).POST('/api/v1/auth/register', {
    body: { email, password, name: `Test ${label}`, orgName: `Org ${label}` },
  });
  if (res.response.status !== 201 || !res.data)
    throw new Error(`register failed: ${res.response.status} ${JSON.stringify(res.error)}`);
  return sessionFrom(res.data, email, password);
}

export async function login(server: TestServer, email: string, password: string): Promise<Session> {
  const res = await anonymousClient(server).POST('/api/v1/auth/login', { body: { email, password } });
  if (res.response.status !== 200 || !res.data)
    throw new Error(`login failed: ${res.response.status} ${JSON.stringify(res.error)}`);
  return sessionFrom(res.data, email, password);
}

/** The id of one of the org's roles, by name. */
export async function roleId(server: TestServer, owner: Session, name: string): Promise<string> {
  const res = await clientAs(server, owner).GET('/api/v1/roles');
  const role = res.data?.items.find((r) => r.name === name);
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
  const res = await clientAs(server, owner).POST('/api/v1/members', {
    body: { email, roleId: await roleId(server, owner, role), name: `Test ${role}`, password },
  });
  if (res.response.status !== 201 || !res.data)
    throw new Error(`add member failed: ${res.response.status} ${JSON.stringify(res.error)}`);
  return { ...(await login(server, email, password)), memberId: res.data.id };
}
