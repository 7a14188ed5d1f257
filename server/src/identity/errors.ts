import { AppError } from '../platform/errors.ts';

/** The errors of identity, one code each with one status. */
export const IdentityErrors = {
  weakPassword: (problems: string[]) =>
    new AppError(400, 'weak_password', `password ${problems.join('; ')}`, { problems }),
  invalidCredentials: () => new AppError(401, 'invalid_credentials', 'the email or password is wrong'),
  /** A session whose membership has ended since it was issued: its credential is no longer good. */
  membershipEnded: () =>
    new AppError(401, 'membership_ended', 'you are no longer a member of this organisation'),
  /** Signing in to an org the account does not belong to. */
  notAMember: () => new AppError(403, 'not_a_member', 'you are not a member of that organisation'),
  emailTaken: (email: string) =>
    new AppError(409, 'email_taken', `an account with ${email} already exists; sign in instead`),
  addressLocked: (seconds: number) =>
    new AppError(
      429,
      'login_locked',
      'too many failed sign-ins from your address; try again later',
      { retryAfterSeconds: seconds },
      { 'retry-after': String(seconds) },
    ),
  accountLocked: (seconds: number) =>
    new AppError(
      429,
      'account_locked',
      `this account is locked after repeated failed sign-ins; try again in ${seconds} s`,
      { retryAfterSeconds: seconds },
      { 'retry-after': String(seconds) },
    ),
  invalidRefreshToken: (why: 'not valid' | 'has expired') =>
    new AppError(
      401,
      'invalid_refresh_token',
      why === 'not valid'
        ? 'the refresh token is not valid; sign in again'
        : 'the refresh token has expired; sign in again',
    ),
  missingRefreshToken: () =>
    new AppError(
      401,
      'invalid_refresh_token',
      'no refresh token: send refreshToken in the body (the console sends its cookie); or sign in again',
    ),
  refreshTokenReused: () =>
    new AppError(
      401,
      'refresh_token_reused',
      'this refresh token was already used; every session from that sign-in has been signed out',
    ),
  /** An access token issued before its user's or membership's sessions were ended (role, removal, password). */
  sessionRevoked: () =>
    new AppError(
      401,
      'session_revoked',
      'this access token was revoked (your role, membership or password changed); refresh it or sign in again',
    ),
  tokenExpired: () => new AppError(401, 'token_expired', 'the access token has expired; refresh it'),
  invalidToken: () => new AppError(401, 'invalid_token', 'the access token is not valid'),
  invalidApiKey: () => new AppError(401, 'invalid_api_key', 'the API key is not valid, revoked or expired'),
  permissionEscalation: (what: string, missing: string[]) =>
    new AppError(
      403,
      'permission_escalation',
      `you cannot grant ${what} permissions you do not hold: ${missing.join(', ')}`,
      { missing },
    ),
  lastOwner: () =>
    new AppError(
      409,
      'last_owner',
      'the organisation needs at least one owner; make someone else owner first',
    ),
  alreadyMember: (email: string) =>
    new AppError(409, 'already_member', `${email} is already a member of this organisation`),
  /** A mailed link that is unknown, already used or past its time; the message says what to do. */
  invalidLink: (what: 'reset' | 'verification' | 'invitation') =>
    new AppError(
      400,
      'invalid_link',
      what === 'reset'
        ? 'this password reset link is not valid, was already used or has expired; ask for a new one'
        : what === 'verification'
          ? 'this verification link is not valid, was already used or has expired; send a new one from the console'
          : 'this invitation is not valid, was already used or has expired; ask whoever invited you to add you again',
    ),
  emailAlreadyVerified: () =>
    new AppError(409, 'email_already_verified', 'your email address is already verified'),
  roleNameTaken: (name: string) =>
    new AppError(409, 'role_name_taken', `a role named "${name}" already exists`),
  roleBuiltin: (name: string, verb: 'changed' | 'deleted') =>
    new AppError(409, 'role_builtin', `the built-in role "${name}" cannot be ${verb}`),
  roleInUse: (name: string, holders: number) =>
    new AppError(
      409,
      'role_in_use',
      `the role "${name}" is held by ${holders} member(s); give them another role first`,
    ),
};
