import { z } from 'zod';
import { PASSWORD_MAX } from './passwords.ts';

const email = z.email().max(254);
const password = z.string().min(1).max(PASSWORD_MAX);
const name = z.string().trim().min(1).max(120);
const id = z.string().min(1).max(100);

export const userSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    emailVerified: z.boolean().meta({
      description: 'The person followed a link mailed to this address (verification, reset, invitation)',
    }),
    createdAt: z.string(),
  })
  .meta({ id: 'User' });
export const orgSchema = z
  .object({ id: z.string(), name: z.string(), createdAt: z.string() })
  .meta({ id: 'Org' });

export const registerBody = z
  .object({ email, password, name, orgName: name.optional() })
  .meta({ id: 'RegisterRequest' });
export const loginBody = z
  .object({
    email,
    password,
    orgId: id.optional().meta({ description: 'Sign in to this org; default: the first you joined' }),
  })
  .meta({ id: 'LoginRequest' });
export const refreshBody = z
  .object({
    refreshToken: z.string().min(1).max(200).optional().meta({
      description: "Without it, the console's refresh cookie is spent (sent only by the browser)",
    }),
  })
  .meta({ id: 'RefreshRequest' });

/** `X-Switchboard-Client: console`: the refresh token travels as an HttpOnly cookie, not in the body. */
export const clientHeaders = z.object({
  'x-switchboard-client': z
    .enum(['console'])
    .optional()
    .meta({
      description:
        '`console`: keep the refresh token in an HttpOnly, Secure, SameSite=Strict cookie scoped to ' +
        "/api/v1/auth instead of returning it (only from pages of this server's own origin)",
    }),
});
export const logoutBody = z.object({ refreshToken: z.string().min(1).max(200).optional() }).meta({
  id: 'LogoutRequest',
  description: 'Without a refresh token, every session of yours in this org ends',
});

export const tokenPairSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string().optional().meta({
      description: 'Absent when the console asked for the refresh cookie (X-Switchboard-Client: console)',
    }),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().meta({ description: 'Seconds until the access token expires' }),
    user: userSchema,
    org: orgSchema,
  })
  .meta({ id: 'TokenPair' });

export const meSchema = z
  .object({
    user: userSchema.nullable(),
    apiKey: z.object({ id: z.string(), name: z.string() }).nullable(),
    org: orgSchema,
    role: z.object({ id: z.string(), name: z.string() }).nullable(),
    permissions: z.array(z.string()),
  })
  .meta({ id: 'Me' });

export const permissionSchema = z
  .object({ name: z.string(), description: z.string() })
  .meta({ id: 'Permission' });

export const roleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    permissions: z.array(z.string()),
    builtin: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Role' });

const roleName = z
  .string()
  .trim()
  .min(1)
  .max(60)
  .regex(/^[\w .-]+$/, 'may hold letters, digits, spaces, dots, dashes and underscores');
const permissionList = z.array(z.string().max(60)).max(100);

export const createRoleBody = z
  .object({ name: roleName, description: z.string().max(500).optional(), permissions: permissionList })
  .meta({ id: 'CreateRoleRequest' });
export const updateRoleBody = z
  .object({
    name: roleName.optional(),
    description: z.string().max(500).optional(),
    permissions: permissionList.optional(),
  })
  .meta({ id: 'UpdateRoleRequest' });

export const memberSchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    email: z.string(),
    name: z.string(),
    emailVerified: z.boolean().meta({
      description: 'False until the person follows a link mailed to them (an invitation not yet accepted)',
    }),
    role: z.object({ id: z.string(), name: z.string() }),
    permissions: z.array(z.string()),
    createdAt: z.string(),
  })
  .meta({ id: 'Member' });

export const addMemberBody = z
  .object({
    email,
    roleId: id,
    name: name
      .optional()
      .meta({ description: 'For a person with no account yet (default: the start of their address)' }),
    password: password.optional().meta({
      description:
        'An initial password for a person with no account yet; without one they are mailed an invitation to set their own',
    }),
  })
  .meta({ id: 'AddMemberRequest' });
export const updateMemberBody = z.object({ roleId: id }).meta({ id: 'UpdateMemberRequest' });

export const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().meta({ description: 'The first characters of the key, to recognise it' }),
    scopes: z.array(z.string()),
    createdBy: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'ApiKey' });

export const createApiKeyBody = z
  .object({
    name: name,
    scopes: permissionList.min(1),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .meta({ id: 'CreateApiKeyRequest' });

export const createdApiKeySchema = z
  .object({ apiKey: apiKeySchema, key: z.string().meta({ description: 'The secret; shown this once only' }) })
  .meta({ id: 'CreatedApiKey' });

const token = z.string().min(16).max(200);

export const passwordResetBody = z.object({ email }).meta({ id: 'PasswordResetRequest' });
export const passwordResetAnswer = z
  .object({ message: z.string() })
  .meta({ id: 'PasswordResetAnswer', description: 'The same whether or not an account has that address' });
export const passwordResetConfirmBody = z
  .object({ token, password })
  .meta({ id: 'PasswordResetConfirmRequest' });
export const verifyEmailBody = z.object({ token }).meta({ id: 'VerifyEmailRequest' });
export const acceptInvitationBody = z
  .object({ token, password, name: name.optional() })
  .meta({ id: 'AcceptInvitationRequest' });
export const mailSentSchema = z.object({ message: z.string() }).meta({ id: 'MailSent' });
