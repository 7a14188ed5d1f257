import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkIn, type SmtpCatcher, startSmtpCatcher } from '../../server/test/kit/smtp.ts';
import { fillSignIn, newAccount, openPage, shot, startBrowserAndServer, unexpected } from './kit.ts';

describe('forgotten password, through the console and a real mail', () => {
  let smtp: SmtpCatcher;
  let started: Awaited<ReturnType<typeof startBrowserAndServer>>;

  beforeAll(async () => {
    smtp = await startSmtpCatcher();
    started = await startBrowserAndServer({ env: { SMTP_URL: smtp.url } });
  });
  afterAll(async () => {
    await started?.stop();
    await smtp?.close();
  });

  it('asks for a link on the sign-in page, follows it from the mail, and signs in with the new password', async () => {
    const { browser, server } = started;
    const person = await newAccount(server, 'Rosalind Reset');
    const { page, problems, close } = await openPage(browser);
    try {
      await page.goto(`${server.url}/signin`);
      await page.getByRole('link', { name: 'Forgot password?' }).click();
      await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
      await page.getByLabel('Email').fill(person.email);
      await page.getByRole('button', { name: 'Send the link' }).click();
      await expect.poll(() => page.getByTestId('reset-requested').textContent()).toContain('on its way');
      await shot(page, 'password-reset-requested');

      const mail = await smtp.waitFor(person.email, 'Reset your Switchboard password');
      const link = new URL(linkIn(mail, 'reset-password').url);
      expect(link.pathname).toBe('/reset-password');
      // The link starts with PUBLIC_URL; the test server listens on a port chosen after its config.
      await page.goto(`${server.url}${link.pathname}${link.search}`);
      await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
      const password = 'a new password 2';
      await page.getByLabel('New password').fill(password);
      await page.getByRole('button', { name: 'Save the new password' }).click();

      await page.waitForURL(/\/signin$/);
      await expect
        .poll(() => page.getByTestId('arrival-notice').textContent())
        .toContain('password is changed');
      await fillSignIn(page, { email: person.email, password: person.password });
      await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('wrong');
      await fillSignIn(page, { email: person.email, password });
      await page.getByRole('heading', { name: `Welcome, ${person.name}` }).waitFor();
      // Following the mailed link proved the address: no reminder to confirm it.
      expect(await page.getByTestId('verify-email-banner').count()).toBe(0);
      await shot(page, 'password-reset-signed-in');

      // The dashboard's getting-started list: nothing done yet; put away, it stays away after a reload.
      const list = page.getByTestId('getting-started');
      await expect.poll(() => list.locator('li[data-done="false"]').count()).toBe(4);
      await list.getByRole('button', { name: 'Hide this list' }).click();
      await expect.poll(() => list.count()).toBe(0);
      // Kept by the server, not only in the page's (persisted) cache.
      const signedIn = await server.api.POST('/api/v1/auth/login', {
        body: { email: person.email, password },
      });
      const asPerson = { headers: { Authorization: `Bearer ${signedIn.data!.accessToken}` } };
      await expect
        .poll(async () => (await server.api.GET('/api/v1/getting-started', asPerson)).data?.dismissed)
        .toBe(true);
      await page.reload();
      await page.getByRole('heading', { name: `Welcome, ${person.name}` }).waitFor();
      expect(await list.count()).toBe(0);

      // The link worked once.
      await page.goto(`${server.url}${link.pathname}${link.search}`);
      await page.getByLabel('New password').fill('yet another password 3');
      await page.getByRole('button', { name: 'Save the new password' }).click();
      await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('already used');

      expect(
        unexpected(problems, [
          { url: '/api/v1/auth/login', status: 401 },
          { url: '/api/v1/auth/password-reset/confirm', status: 400 },
        ]),
      ).toEqual([]);
    } finally {
      await close();
    }
  });
});
