import type { Mail } from '../platform/mail.ts';

/** The mails identity sends. Plain text, so the link reads the same in every client. */

export const RESET_MINUTES = 30;
export const VERIFICATION_HOURS = 48;
export const INVITATION_DAYS = 7;

/** A console address under PUBLIC_URL with the token as its query. */
export function linkTo(publicUrl: string, page: string, token: string): string {
  return `${publicUrl.replace(/\/$/, '')}/${page}?token=${encodeURIComponent(token)}`;
}

export function passwordResetMail(to: string, link: string): Mail {
  return {
    to,
    subject: 'Reset your Switchboard password',
    text: [
      'Someone (hopefully you) asked to reset the password of your Switchboard account.',
      '',
      `Choose a new password here within ${RESET_MINUTES} minutes:`,
      link,
      '',
      'The link works once. If you did not ask for this, ignore this mail: your password stays as it is.',
    ].join('\n'),
  };
}

export function verificationMail(to: string, name: string, link: string): Mail {
  return {
    to,
    subject: 'Confirm your email address for Switchboard',
    text: [
      `Hello ${name},`,
      '',
      `Please confirm that ${to} is your address by opening this link within ${VERIFICATION_HOURS} hours:`,
      link,
      '',
      'If you did not create a Switchboard account, ignore this mail.',
    ].join('\n'),
  };
}

export function invitationMail(
  to: string,
  invite: { orgName: string; inviter: string; role: string },
  link: string,
): Mail {
  return {
    to,
    subject: `${invite.inviter} invited you to ${invite.orgName} on Switchboard`,
    text: [
      `${invite.inviter} invited you to join ${invite.orgName} on Switchboard as ${invite.role}.`,
      '',
      `Set your password and join here (the link works once, for ${INVITATION_DAYS} days):`,
      link,
    ].join('\n'),
  };
}

export function addedToOrgMail(
  to: string,
  invite: { orgName: string; inviter: string; role: string },
  signInUrl: string,
): Mail {
  return {
    to,
    subject: `You were added to ${invite.orgName} on Switchboard`,
    text: [
      `${invite.inviter} added you to ${invite.orgName} on Switchboard as ${invite.role}.`,
      '',
      `Sign in with your account to see it: ${signInUrl}`,
    ].join('\n'),
  };
}
