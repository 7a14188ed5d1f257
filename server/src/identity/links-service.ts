import type { FastifyBaseLogger } from 'fastify';
import { recordAudit } from '../audit/service.ts';
import type { Principal } from '../platform/auth.ts';
import { sha256 } from '../platform/crypto.ts';
import type { Db, Tx } from '../platform/db/index.ts';
import { Errors } from '../platform/errors.ts';
import type { RequestMeta } from '../platform/http.ts';
import { newId, randomToken } from '../platform/ids.ts';
import type { Mailer } from '../platform/mail.ts';
import { assertStrongPassword, normaliseEmail } from './auth-service.ts';
import { IdentityErrors } from './errors.ts';
import * as links from './link-store.ts';
import {
  addedToOrgMail,
  INVITATION_DAYS,
  invitationMail,
  linkTo,
  passwordResetMail,
  RESET_MINUTES,
  VERIFICATION_HOURS,
  verificationMail,
} from './mails.ts';
import type { PasswordHasher } from './passwords.ts';
import type { SessionGuard } from './sessions.ts';
import * as store from './store.ts';

export interface LinksDeps {
  db: Db;
  hasher: PasswordHasher;
  mailer: Mailer;
  log: FastifyBaseLogger;
  /** A reset ends every session of the person, on every replica. */
  sessions: Pick<SessionGuard, 'endUserSessions' | 'revoked'>;
  /** The address people reach the console at; every mailed link starts with it. */
  publicUrl: string;
  now?: () => Date;
}

/** The answer to a reset request, the same whether or not the address has an account. */
export const RESET_REQUESTED =
  'If an account uses that address, a link to choose a new password is on its way. It works once, for 30 minutes.';

const MINUTE = 60_000;

/**
 * Links mailed to people: password resets, email verification and invitations. A link's token is
 * random, kept only as its SHA-256, works once, and expires.
 */
export function createLinksService(deps: LinksDeps) {
  const { db, hasher, mailer, log } = deps;
  const now = deps.now ?? (() => new Date());
  const background = new Set<Promise<void>>();

  /** Makes a link for a person; the token leaves this function only inside the mail. */
  async function issue(
    tx: Tx,
    userId: string,
    purpose: links.LinkPurpose,
    ttlMs: number,
    orgId: string | null = null,
  ): Promise<string> {
    const at = now();
    // One live link per purpose (and org): asking again replaces the one mailed before.
    if (purpose !== 'invitation') await links.spendLinksOf(tx, userId, purpose, at);
    const token = randomToken(32);
    await links.insertLink(tx, {
      id: newId('utk'),
      userId,
      purpose,
      orgId,
      tokenHash: sha256(token),
      expiresAt: new Date(at.getTime() + ttlMs),
    });
    return token;
  }

  /** Runs work after the answer has gone (reset requests answer before looking the address up). */
  function later(work: () => Promise<void>, what: string): void {
    const running = work()
      .catch((err: unknown) => log.error({ err }, `identity: ${what} failed`))
      .finally(() => background.delete(running));
    background.add(running);
  }

  async function sendReset(email: string, meta: RequestMeta): Promise<void> {
    const user = await store.findUserByEmail(db, email);
    if (!user) return;
    const token = await db.transaction(async (tx) => {
      const t = await issue(tx, user.id, 'password_reset', RESET_MINUTES * MINUTE);
      await recordAudit(tx, {
        action: 'auth.password_reset.requested',
        orgId: null,
        actor: { kind: 'anonymous', id: null },
        resource: { type: 'user', id: user.id },
        outcome: 'success',
        meta,
      });
      return t;
    });
    await mailer.send(passwordResetMail(user.email, linkTo(deps.publicUrl, 'reset-password', token)));
  }

  /** Issues a person a new verification link (their earlier one stops working) and mails it. */
  async function mailVerification(user: { id: string; email: string; name: string }): Promise<void> {
    const token = await db.transaction((tx) =>
      issue(tx, user.id, 'email_verification', VERIFICATION_HOURS * 60 * MINUTE),
    );
    mailer.sendLater(
      verificationMail(user.email, user.name, linkTo(deps.publicUrl, 'verify-email', token)),
      'an email verification',
    );
  }

  return {
    /**
     * Answers at once and the same for every address; the lookup, the link and the mail happen after,
     * so neither the body nor the time tells whether the account exists.
     */
    requestPasswordReset(input: { email: string }, meta: RequestMeta): { message: string } {
      const email = normaliseEmail(input.email);
      later(() => sendReset(email, meta), 'a password reset mail');
      return { message: RESET_REQUESTED };
    },

    /** Sets a new password from a reset link; the link is spent and every session of the person ends. */
    async confirmPasswordReset(input: { token: string; password: string }, meta: RequestMeta): Promise<void> {
      const tokenHash = sha256(input.token);
      const link = await links.findUsableLink(db, tokenHash, 'password_reset', now());
      const user = link && (await store.findUser(db, link.userId));
      if (!link || !user) throw IdentityErrors.invalidLink('reset');
      assertStrongPassword(input.password, user.email);
      const passwordHash = await hasher.hash(input.password);
      const revocation = await db.transaction(async (tx) => {
        const at = now();
        if (!(await links.spendLink(tx, tokenHash, 'password_reset', at)))
          throw IdentityErrors.invalidLink('reset');
        await store.updateUserPassword(tx, user.id, passwordHash);
        // The link arrived in their mailbox: the address is theirs.
        await store.markEmailVerified(tx, user.id, at);
        const revocation = await deps.sessions.endUserSessions(tx, user.id);
        await recordAudit(tx, {
          action: 'auth.password_reset.completed',
          orgId: null,
          actor: { kind: 'user', id: user.id },
          resource: { type: 'user', id: user.id },
          outcome: 'success',
          meta,
        });
        return revocation;
      });
      await deps.sessions.revoked(revocation);
    },

    /** Mails a new account its verification link (after its registration committed). */
    async sendVerification(userId: string): Promise<void> {
      const user = await store.findUser(db, userId);
      if (!user || user.emailVerifiedAt) return;
      await mailVerification(user);
    },

    /** Sends the caller a fresh verification link (the earlier one stops working). */
    async resendVerification(p: Principal): Promise<{ message: string }> {
      if (!p.userId) throw Errors.badRequest('API keys have no email address to verify');
      const user = await store.findUser(db, p.userId);
      if (!user) throw IdentityErrors.membershipEnded();
      if (user.emailVerifiedAt) throw IdentityErrors.emailAlreadyVerified();
      await mailVerification(user);
      return { message: `A new verification link is on its way to ${user.email}.` };
    },

    async verifyEmail(input: { token: string }, meta: RequestMeta): Promise<void> {
      await db.transaction(async (tx) => {
        const at = now();
        const link = await links.spendLink(tx, sha256(input.token), 'email_verification', at);
        if (!link) throw IdentityErrors.invalidLink('verification');
        await store.markEmailVerified(tx, link.userId, at);
        await recordAudit(tx, {
          action: 'auth.email_verified',
          orgId: null,
          actor: { kind: 'user', id: link.userId },
          resource: { type: 'user', id: link.userId },
          outcome: 'success',
          meta,
        });
      });
    },

    /**
     * Inside the transaction that adds a member: an invitation link for a person whose account was
     * just made without a password. Returns what to mail once the transaction commits.
     */
    async invitationFor(
      tx: Tx,
      invite: { userId: string; email: string; orgId: string; role: string; inviterId: string },
    ) {
      const token = await issue(
        tx,
        invite.userId,
        'invitation',
        INVITATION_DAYS * 24 * 60 * MINUTE,
        invite.orgId,
      );
      const details = await inviteDetails(tx, invite);
      return () =>
        mailer.sendLater(
          invitationMail(invite.email, details, linkTo(deps.publicUrl, 'accept-invitation', token)),
          'an invitation',
        );
    },

    /** Inside the transaction that adds an existing account to an org: the notice to mail after commit. */
    async addedNoticeFor(
      tx: Tx,
      invite: { userId: string; email: string; orgId: string; role: string; inviterId: string },
    ) {
      const details = await inviteDetails(tx, invite);
      return () =>
        mailer.sendLater(
          addedToOrgMail(invite.email, details, `${deps.publicUrl.replace(/\/$/, '')}/signin`),
          'a member notice',
        );
    },

    /** Sets the invited person's password (and name); they then sign in as usual. */
    async acceptInvitation(
      input: { token: string; password: string; name?: string | undefined },
      meta: RequestMeta,
    ): Promise<{ email: string; orgId: string }> {
      const tokenHash = sha256(input.token);
      const link = await links.findUsableLink(db, tokenHash, 'invitation', now());
      const user = link && (await store.findUser(db, link.userId));
      if (!link?.orgId || !user) throw IdentityErrors.invalidLink('invitation');
      const orgId = link.orgId;
      assertStrongPassword(input.password, user.email);
      const passwordHash = await hasher.hash(input.password);
      await db.transaction(async (tx) => {
        const at = now();
        if (!(await links.spendLink(tx, tokenHash, 'invitation', at)))
          throw IdentityErrors.invalidLink('invitation');
        if (!(await store.findMembershipOfUser(tx, user.id, orgId)))
          throw IdentityErrors.invalidLink('invitation');
        await store.updateUserPassword(tx, user.id, passwordHash, input.name?.trim());
        await store.markEmailVerified(tx, user.id, at);
        await recordAudit(tx, {
          action: 'auth.invitation_accepted',
          orgId,
          actor: { kind: 'user', id: user.id },
          resource: { type: 'user', id: user.id },
          outcome: 'success',
          meta,
        });
      });
      return { email: user.email, orgId };
    },

    /** Waits for background work (tests, shutdown). */
    async flush(): Promise<void> {
      await Promise.all([...background]);
      await mailer.flush();
    },
  };

  async function inviteDetails(tx: Tx, invite: { orgId: string; role: string; inviterId: string }) {
    const [org, inviter] = await Promise.all([
      store.findOrg(tx, invite.orgId),
      store.findUser(tx, invite.inviterId),
    ]);
    return {
      orgName: org?.name ?? 'an organisation',
      inviter: inviter?.name ?? 'An administrator',
      role: invite.role,
    };
  }
}

export type LinksService = ReturnType<typeof createLinksService>;
