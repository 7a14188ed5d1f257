import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorResponses, idParams, requestMeta } from '../platform/http.ts';
import { pageOf, pageQuerySchema } from '../platform/pagination.ts';
import type { AccessService } from './access-service.ts';
import type { AuthService } from './auth-service.ts';
import { refreshCookie } from './cookie.ts';
import type { Keyring } from './keyring.ts';
import type { LinksService } from './links-service.ts';
import { PERMISSIONS } from './permissions.ts';
import {
  acceptInvitationBody,
  addMemberBody,
  apiKeySchema,
  clientHeaders,
  createApiKeyBody,
  createdApiKeySchema,
  createRoleBody,
  loginBody,
  logoutBody,
  mailSentSchema,
  memberSchema,
  meSchema,
  passwordResetAnswer,
  passwordResetBody,
  passwordResetConfirmBody,
  permissionSchema,
  refreshBody,
  registerBody,
  roleSchema,
  tokenPairSchema,
  updateMemberBody,
  updateRoleBody,
  verifyEmailBody,
} from './schema.ts';

/** `/.well-known/jwks.json`: public signing keys with a strong ETag so verifiers can cache them. */
export function jwksRoutes(keyring: Keyring) {
  return async (root: FastifyInstance) => {
    root.get(
      '/.well-known/jwks.json',
      {
        config: { auth: 'public' },
        schema: {
          operationId: 'getJwks',
          tags: ['identity'],
          summary: 'Public keys that verify access tokens',
        },
      },
      async (request, reply) => {
        const { body, etag } = await keyring.jwks();
        reply.header('cache-control', 'public, max-age=300, must-revalidate').header('etag', etag);
        const match = request.headers['if-none-match'];
        if (match?.split(',').some((m) => m.trim() === etag)) return reply.status(304).send();
        return reply.type('application/json').send(body);
      },
    );
  };
}

/**
 * Sign-up, sign-in, tokens and the caller's identity. API clients get both tokens in the body; the
 * console (`X-Switchboard-Client: console`) gets the refresh token as an HttpOnly cookie instead.
 */
export function authRoutes(auth: AuthService, settings: { refreshTokenTtlSeconds: number }) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['auth'];
    const cookie = refreshCookie(settings.refreshTokenTtlSeconds);

    app.post(
      '/auth/register',
      {
        config: { auth: 'public', rateLimit: 'ip' },
        schema: {
          operationId: 'register',
          tags,
          summary: 'Create an account and a new organisation you own',
          headers: clientHeaders,
          body: registerBody,
          response: { 201: tokenPairSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const pair = await auth.register(request.body, requestMeta(request));
        return reply.status(201).send(cookie.answer(reply, pair, cookie.isConsole(request)));
      },
    );

    app.post(
      '/auth/login',
      {
        config: { auth: 'public', rateLimit: 'ip' },
        schema: {
          operationId: 'login',
          tags,
          summary: 'Sign in with email and password',
          headers: clientHeaders,
          body: loginBody,
          response: { 200: tokenPairSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        cookie.answer(reply, await auth.login(request.body, requestMeta(request)), cookie.isConsole(request)),
    );

    app.post(
      '/auth/refresh',
      {
        config: { auth: 'public', rateLimit: 'ip' },
        schema: {
          operationId: 'refreshToken',
          tags,
          summary: 'Trade a refresh token for a new pair (the old one is spent)',
          description:
            'Without `refreshToken` in the body, the refresh cookie is spent and a new one set ' +
            '(the console). Cookie requests from another origin are refused with 403 `csrf_rejected`.',
          headers: clientHeaders,
          body: refreshBody.nullish(),
          response: { 200: tokenPairSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const fromBody = request.body?.refreshToken;
        const token = fromBody ?? cookie.read(request);
        const asCookie = fromBody === undefined || cookie.isConsole(request);
        try {
          return cookie.answer(reply, await auth.refresh(token, requestMeta(request)), asCookie);
        } catch (err) {
          // A spent, revoked or expired cookie is of no further use: the browser drops it.
          if (fromBody === undefined && token !== undefined) cookie.clear(reply);
          throw err;
        }
      },
    );

    app.post(
      '/auth/logout',
      {
        config: { auth: 'authenticated' },
        schema: {
          operationId: 'logout',
          tags,
          summary: "Sign out (revokes refresh tokens; clears the console's refresh cookie)",
          body: logoutBody.nullish(),
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        const fromCookie = cookie.read(request);
        const token = request.body?.refreshToken ?? fromCookie;
        await auth.logout(principalOf(request), token, requestMeta(request));
        if (fromCookie !== undefined || cookie.isConsole(request)) cookie.clear(reply);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/auth/me',
      {
        config: { auth: 'authenticated' },
        schema: {
          operationId: 'getMe',
          tags,
          summary: 'Who you are: user, org, role and permissions',
          response: { 200: meSchema, ...errorResponses },
        },
      },
      async (request) => auth.me(principalOf(request)),
    );

    app.get(
      '/permissions',
      {
        config: { auth: 'authenticated' },
        schema: {
          operationId: 'listPermissions',
          tags: ['roles'],
          summary: 'Every permission a role or API key can hold',
          response: { 200: z.object({ items: z.array(permissionSchema) }), ...errorResponses },
        },
      },
      async () => ({
        items: Object.entries(PERMISSIONS).map(([name, description]) => ({ name, description })),
      }),
    );
  };
}

/** Links mailed to people: password resets, email verification, invitations; and whether mail is on. */
export function linkRoutes(links: LinksService, mail: { configured: boolean }) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['auth'];

    app.get(
      '/server-settings',
      {
        config: { auth: 'public' },
        schema: {
          operationId: 'getServerSettings',
          tags: ['operations'],
          summary: 'What this server offers that the console explains to people (is mail on?)',
          response: {
            200: z
              .object({
                mail: z.object({
                  configured: z.boolean().meta({
                    description:
                      'An SMTP server is set (SMTP_URL); without one reset, verification and invitation mails are not delivered',
                  }),
                }),
              })
              .meta({ id: 'ServerSettings' }),
          },
        },
      },
      async () => ({ mail: { configured: mail.configured } }),
    );

    app.post(
      '/auth/password-reset',
      {
        config: {
          auth: 'public',
          rateLimit: 'ip',
          mailRecipient: (request) => (request.body as { email?: string } | undefined)?.email,
        },
        schema: {
          operationId: 'requestPasswordReset',
          tags,
          summary: 'Mail a link to choose a new password (the same answer whether or not the account exists)',
          body: passwordResetBody,
          response: { 202: passwordResetAnswer, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(202).send(links.requestPasswordReset(request.body, requestMeta(request))),
    );

    app.post(
      '/auth/password-reset/confirm',
      {
        config: { auth: 'public', rateLimit: 'ip' },
        schema: {
          operationId: 'confirmPasswordReset',
          tags,
          summary: 'Set a new password with a mailed link; every session of the account ends',
          body: passwordResetConfirmBody,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await links.confirmPasswordReset(request.body, requestMeta(request));
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/auth/verify-email',
      {
        config: { auth: 'public', rateLimit: 'ip' },
        schema: {
          operationId: 'verifyEmail',
          tags,
          summary: 'Confirm an email address with the mailed link',
          body: verifyEmailBody,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await links.verifyEmail(request.body, requestMeta(request));
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/auth/verify-email/resend',
      {
        config: { auth: 'authenticated', mailRecipient: (request) => request.principal?.id },
        schema: {
          operationId: 'resendVerificationEmail',
          tags,
          summary: 'Mail yourself a new verification link (the earlier one stops working)',
          response: { 202: mailSentSchema, ...errorResponses },
        },
      },
      async (request, reply) => reply.status(202).send(await links.resendVerification(principalOf(request))),
    );

    app.post(
      '/auth/invitations/accept',
      {
        config: { auth: 'public', rateLimit: 'ip' },
        schema: {
          operationId: 'acceptInvitation',
          tags,
          summary: 'Set your password from an invitation link; then sign in as usual',
          body: acceptInvitationBody,
          response: {
            200: z
              .object({ email: z.string(), orgId: z.string() })
              .meta({ id: 'AcceptedInvitation', description: 'Who to sign in as, and to which org' }),
            ...errorResponses,
          },
        },
      },
      async (request) => links.acceptInvitation(request.body, requestMeta(request)),
    );
  };
}

/** Members, roles and API keys. */
export function accessRoutes(access: AccessService) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();

    app.get(
      '/members',
      {
        config: { auth: { permission: 'members:read' } },
        schema: {
          operationId: 'listMembers',
          tags: ['members'],
          querystring: pageQuerySchema,
          response: { 200: pageOf(memberSchema), ...errorResponses },
        },
      },
      async (request) => access.listMembers(principalOf(request), request.query),
    );
    app.post(
      '/members',
      {
        config: { auth: { permission: 'members:write' } },
        schema: {
          operationId: 'addMember',
          tags: ['members'],
          summary: 'Add a person by email (creating their account if they have none)',
          body: addMemberBody,
          response: { 201: memberSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await access.addMember(principalOf(request), request.body, requestMeta(request))),
    );
    app.patch(
      '/members/:id',
      {
        config: { auth: { permission: 'members:write' } },
        schema: {
          operationId: 'updateMember',
          tags: ['members'],
          params: idParams,
          body: updateMemberBody,
          response: { 200: memberSchema, ...errorResponses },
        },
      },
      async (request) =>
        access.changeMemberRole(
          principalOf(request),
          request.params.id,
          request.body.roleId,
          requestMeta(request),
        ),
    );
    app.delete(
      '/members/:id',
      {
        config: { auth: { permission: 'members:write' } },
        schema: {
          operationId: 'removeMember',
          tags: ['members'],
          params: idParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await access.removeMember(principalOf(request), request.params.id, requestMeta(request));
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/roles',
      {
        config: { auth: { permission: 'roles:read' } },
        schema: {
          operationId: 'listRoles',
          tags: ['roles'],
          response: { 200: pageOf(roleSchema), ...errorResponses },
        },
      },
      async (request) => access.listRoles(principalOf(request)),
    );
    app.post(
      '/roles',
      {
        config: { auth: { permission: 'roles:write' } },
        schema: {
          operationId: 'createRole',
          tags: ['roles'],
          body: createRoleBody,
          response: { 201: roleSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await access.createRole(principalOf(request), request.body, requestMeta(request))),
    );
    app.get(
      '/roles/:id',
      {
        config: { auth: { permission: 'roles:read' } },
        schema: {
          operationId: 'getRole',
          tags: ['roles'],
          params: idParams,
          response: { 200: roleSchema, ...errorResponses },
        },
      },
      async (request) => access.getRole(principalOf(request), request.params.id),
    );
    app.patch(
      '/roles/:id',
      {
        config: { auth: { permission: 'roles:write' } },
        schema: {
          operationId: 'updateRole',
          tags: ['roles'],
          params: idParams,
          body: updateRoleBody,
          response: { 200: roleSchema, ...errorResponses },
        },
      },
      async (request) =>
        access.updateRole(principalOf(request), request.params.id, request.body, requestMeta(request)),
    );
    app.delete(
      '/roles/:id',
      {
        config: { auth: { permission: 'roles:write' } },
        schema: {
          operationId: 'deleteRole',
          tags: ['roles'],
          params: idParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await access.deleteRole(principalOf(request), request.params.id, requestMeta(request));
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api-keys',
      {
        config: { auth: { permission: 'api_keys:read' } },
        schema: {
          operationId: 'listApiKeys',
          tags: ['api-keys'],
          querystring: pageQuerySchema,
          response: { 200: pageOf(apiKeySchema), ...errorResponses },
        },
      },
      async (request) => access.listApiKeys(principalOf(request), request.query),
    );
    app.post(
      '/api-keys',
      {
        config: { auth: { permission: 'api_keys:write' } },
        schema: {
          operationId: 'createApiKey',
          tags: ['api-keys'],
          summary: 'Create a scoped key for a service account; the secret is shown once',
          body: createApiKeyBody,
          response: { 201: createdApiKeySchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await access.createApiKey(principalOf(request), request.body, requestMeta(request))),
    );
    app.delete(
      '/api-keys/:id',
      {
        config: { auth: { permission: 'api_keys:write' } },
        schema: {
          operationId: 'revokeApiKey',
          tags: ['api-keys'],
          params: idParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await access.revokeApiKey(principalOf(request), request.params.id, requestMeta(request));
        return reply.status(204).send(null);
      },
    );
  };
}
