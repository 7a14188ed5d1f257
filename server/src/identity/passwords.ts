import { hash, verify } from '@node-rs/argon2';
import { deriveKey } from '../platform/crypto.ts';

/**
 * argon2id (the library's default algorithm) with a server-side pepper: the pepper is argon2's
 * keyed-hash secret, derived from SWITCHBOARD_SECRET, so a stolen database alone cannot be cracked.
 */
export function createPasswordHasher(secret: string) {
  const pepper = deriveKey(secret, 'password-pepper');
  // A real hash of a random value, verified against on unknown emails so both paths cost the same.
  const decoy = hash(`decoy-${Math.random()}`, { secret: pepper });
  return {
    hash: (password: string) => hash(password, { secret: pepper }),
    verify: (passwordHash: string, password: string) => verify(passwordHash, password, { secret: pepper }),
    /** Spends the same time as a real verify; for logins with an unknown email. */
    async verifyDecoy(password: string) {
      await verify(await decoy, password, { secret: pepper });
      return false;
    },
  };
}

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;

const COMMON = new Set([
  'password123',
  'password1234',
  'qwertyuiop',
  '1234567890',
  '0123456789',
  'iloveyou123',
  'letmein1234',
  'administrator',
  'switchboard',
  'changeme123',
]);

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;

/** Returns what is wrong with a password, in words a person can act on, or an empty list. */
export function passwordProblems(password: string, email: string): string[] {
  const problems: string[] = [];
  if (password.length < PASSWORD_MIN) problems.push(`must be at least ${PASSWORD_MIN} characters`);
  if (password.length > PASSWORD_MAX) problems.push(`must be at most ${PASSWORD_MAX} characters`);
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 2) problems.push('must mix at least two of: lower case, upper case, digits, symbols');
  if (/^(.)\1*$/.test(password)) problems.push('must not be one repeated character');
  if (COMMON.has(password.toLowerCase())) problems.push('is too common');
  const local = email.split('@')[0]?.toLowerCase() ?? '';
  if (local.length >= 4 && password.toLowerCase().includes(local))
    problems.push('must not contain your email name');
  return problems;
}
