import type { FastifyBaseLogger } from 'fastify';
import type { Transporter } from 'nodemailer';
import type { Config } from './config.ts';

/** One message: plain text always (the link readable in any client), HTML optional. */
export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  /** True when an SMTP server is configured; the console reads it to explain what mail can do. */
  readonly configured: boolean;
  /**
   * Sends one mail and resolves when the SMTP server took it. Without SMTP, development and test write
   * the mail (link included) to the log instead; production logs a warning that it was not sent.
   */
  send(mail: Mail): Promise<void>;
  /**
   * Sends in the background: the caller does not wait (a request answers the same, and as fast,
   * whether or not a mail goes out) and a failure is logged, never thrown.
   */
  sendLater(mail: Mail, what: string): void;
  /** Waits for the mails still being sent (shutdown, tests). */
  flush(): Promise<void>;
  close(): void;
}

/** Masks an address for logs: `al***@example.com`. */
export function maskAddress(address: string): string {
  const [local = '', domain = ''] = address.split('@');
  return `${local.slice(0, 2)}***@${domain}`;
}

/** The mailer of this server: SMTP through nodemailer when `SMTP_URL` is set, else the log. */
export function createMailer(config: Pick<Config, 'env' | 'mail'>, log: FastifyBaseLogger): Mailer {
  const { smtpUrl, from } = config.mail;
  // nodemailer is loaded with the first mail: a server that mails nobody never loads it.
  let transport: Promise<Transporter> | undefined;
  const smtp = (url: string) => {
    transport ??= import('nodemailer').then((m) => m.default.createTransport(url));
    return transport;
  };
  const pending = new Set<Promise<void>>();

  async function send(mail: Mail): Promise<void> {
    if (smtpUrl) {
      await (await smtp(smtpUrl)).sendMail({ from, ...mail });
      log.info({ to: maskAddress(mail.to), subject: mail.subject }, 'mail sent');
      return;
    }
    if (config.env === 'production') {
      log.warn(
        { to: maskAddress(mail.to), subject: mail.subject },
        'mail not sent: no SMTP server is configured (set SMTP_URL)',
      );
      return;
    }
    // Development and tests: the whole mail, so whoever runs the server can follow its link.
    log.info({ mail: { from, ...mail } }, `mail (not sent, SMTP_URL is not set): ${mail.subject}`);
  }

  return {
    configured: !!smtpUrl,
    send,
    sendLater(mail, what) {
      const sending = send(mail)
        .catch((err: unknown) => {
          log.error({ err, to: maskAddress(mail.to) }, `mail not sent: ${what}`);
        })
        .finally(() => pending.delete(sending));
      pending.add(sending);
    },
    async flush() {
      await Promise.all([...pending]);
    },
    close() {
      void transport?.then((t) => t.close()).catch(() => {});
    },
  };
}
