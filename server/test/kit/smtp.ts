import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { expect } from 'vitest';

/** One mail the catcher received, parsed. */
export interface CaughtMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
}

/**
 * A real SMTP server on a free 127.0.0.1 port that keeps every mail it is given, so tests read the
 * links the platform mails. Point the server at it with `SMTP_URL: catcher.url`.
 */
export interface SmtpCatcher {
  /** `smtp://127.0.0.1:<port>` */
  url: string;
  mails: CaughtMail[];
  /** Mails to this address, oldest first. */
  to(address: string): CaughtMail[];
  /**
   * Waits (expect.poll) for the `n`th mail to an address (1 = the first), of those whose subject starts
   * with `subject` when given, and returns it.
   */
  waitFor(address: string, subject?: string, n?: number): Promise<CaughtMail>;
  close(): Promise<void>;
}

export async function startSmtpCatcher(): Promise<SmtpCatcher> {
  const mails: CaughtMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
          });
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  const to = (address: string) => mails.filter((m) => m.to.includes(address.toLowerCase()));
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    to,
    async waitFor(address, subject, n = 1) {
      const matching = () => to(address).filter((m) => !subject || m.subject.startsWith(subject));
      await expect
        .poll(() => matching().length, { message: `mail #${n} "${subject ?? ''}" to ${address}` })
        .toBeGreaterThanOrEqual(n);
      return matching()[n - 1]!;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The token of the link to a console page (`/reset-password`, `/verify-email`, `/accept-invitation`) in a mail. */
export function linkIn(mail: CaughtMail, page: string): { url: string; token: string } {
  const match = new RegExp(`(https?://\\S+/${page}\\?token=([\\w%-]+))`).exec(mail.text);
  if (!match) throw new Error(`no /${page} link in the mail "${mail.subject}":\n${mail.text}`);
  return { url: match[1]!, token: decodeURIComponent(match[2]!) };
}
