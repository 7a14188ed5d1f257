/**
 * What every console e2e file needs: a headless Chromium, browser contexts that record each console error
 * and uncaught exception (a test fails on any it did not provoke), screenshots, and people to sign in as.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { startTestServer, type TestServer, uniqueSuffix } from '../../server/test/kit/test-server.ts';
import { SCREENSHOTS_DIR } from '../../server/test/setup/paths.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * The system's Chromium (headless, without the background traffic that would slow a test down) and a
 * test server, started side by side; `stop` closes both.
 */
export async function startBrowserAndServer(options?: Parameters<typeof startTestServer>[0]) {
  const [browser, server] = await Promise.all([
    chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true }),
    startTestServer(options),
  ]);
  const stop = async () => {
    await browser.close();
    await server.close();
  };
  return { browser, server, stop };
}

/**
 * For a `describe` block: starts the browser and a server before its tests, closes what a test asked
 * to (`closeAfterTest`) after each one, and stops both at the end.
 */
export function useBrowserAndServer(options?: Parameters<typeof startTestServer>[0]) {
  let started: Awaited<ReturnType<typeof startBrowserAndServer>> | undefined;
  const closers: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    started = await startBrowserAndServer(options);
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  afterAll(() => started?.stop());
  const get = () => {
    if (!started) throw new Error('the browser and server start in beforeAll');
    return started;
  };
  return {
    get browser(): Browser {
      return get().browser;
    },
    get server(): TestServer {
      return get().server;
    },
    closeAfterTest(close: () => Promise<void>): void {
      closers.push(close);
    },
  };
}

/** A console error or uncaught exception, with the address of the script or request it came from. */
export interface Problem {
  text: string;
  url: string;
}

/** Every console error and uncaught exception of every page of a context, opened now or later. */
export function watch(context: BrowserContext): Problem[] {
  const problems: Problem[] = [];
  const attach = (page: Page) => {
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push({ text: message.text(), url: message.location().url });
    });
    page.on('pageerror', (err) => problems.push({ text: `uncaught: ${err.message}`, url: '' }));
  };
  context.on('page', attach);
  for (const page of context.pages()) attach(page);
  return problems;
}

/**
 * The problems left once the browser's own reports of answers the test provoked on purpose are set aside
 * (Chromium logs "the server responded with a status of 409" for every refused request).
 */
export function unexpected(problems: Problem[], provoked: Array<{ url: string; status: number }>): Problem[] {
  return problems.filter(
    (p) => !provoked.some((e) => p.url.endsWith(e.url) && p.text.includes(`status of ${e.status}`)),
  );
}

export interface ContextOptions {
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
}

/** A fresh browser context (its own storage, so its own session), watched for problems. */
export async function openContext(browser: Browser, options: ContextOptions = {}) {
  const { viewport = { width: 1280, height: 820 }, colorScheme = 'light' } = options;
  const context = await browser.newContext({ viewport, colorScheme });
  return { context, problems: watch(context) };
}

/** A page in a fresh watched context; `close` closes the context with it. */
export async function openPage(browser: Browser, options: ContextOptions = {}) {
  const { context, problems } = await openContext(browser, options);
  const page = await context.newPage();
  return { context, page, problems, close: () => context.close() };
}

/**
 * A screenshot in test-results/screenshots/<name>.png, of the full page unless `fullPage` is false (a
 * full-page shot scrolls boxes with their own scroll, like the chat pane, back to their top).
 */
export async function shot(page: Page, name: string, { fullPage = true } = {}): Promise<void> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  // A full-page shot of a scrolled page draws the sticky header where the scroll left it.
  if (fullPage) await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}.png`), fullPage });
}

/** A link of the main navigation. */
export const nav = (page: Page, name: string | RegExp) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });

/**
 * An access token of the signed-in tab's user, for calls the test makes beside the browser. The console
 * keeps its own only in memory, so this spends the refresh cookie the way the console does: from the
 * page, under the console's cross-tab refresh lock, so the two never spend the same cookie.
 */
export async function tokenOf(page: Page): Promise<string> {
  return page.evaluate(() =>
    navigator.locks.request('switchboard.refresh', async () => {
      const res = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-switchboard-client': 'console' },
        body: '{}',
      });
      if (!res.ok) throw new Error(`refresh answered ${res.status}`);
      return ((await res.json()) as { accessToken: string }).accessToken;
    }),
  );
}

/** Someone who can sign in; `name` is what the dashboard welcomes them with, when the test knows it. */
export interface Person {
  email: string;
  password: string;
  name?: string;
}

/** Someone made through the API, with the header to call it as them. */
export interface Account extends Person {
  name: string;
  auth: { headers: { Authorization: string } };
}

/** A unique address for a person: their first name in lower case and a random suffix. */
export const emailFor = (name: string) =>
  `${name.split(' ')[0]!.toLowerCase()}-${uniqueSuffix()}@example.com`;

/** Fills in the registration form (the page is on it); the organisation name only when given. */
export async function fillRegistration(page: Page, person: Person & { name: string; org?: string }) {
  await page.getByLabel('Your name').fill(person.name);
  await page.getByLabel('Email').fill(person.email);
  await page.getByLabel('Password').fill(person.password);
  if (person.org) await page.getByLabel(/Organisation/).fill(person.org);
}

/** Registers in the browser and waits for the dashboard's welcome. */
export async function register(
  page: Page,
  server: TestServer,
  person: Person & { name: string; org?: string },
) {
  await page.goto(`${server.url}/register`);
  await fillRegistration(page, person);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: `Welcome, ${person.name}` }).waitFor();
}

/** Fills in and sends the sign-in form (the page is on it, wherever it was headed). */
export async function fillSignIn(page: Page, person: Person): Promise<void> {
  await page.getByLabel('Email').fill(person.email);
  await page.getByLabel('Password').fill(person.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs in from the sign-in page and waits for the dashboard's welcome. */
export async function signIn(page: Page, server: TestServer, person: Person): Promise<void> {
  await page.goto(`${server.url}/signin`);
  await fillSignIn(page, person);
  await page.getByRole('heading', { name: person.name ? `Welcome, ${person.name}` : /^Welcome/ }).waitFor();
}

/** A new user with an org of its own, registered through the API. */
export async function newAccount(
  server: TestServer,
  name: string,
  options: { password?: string; org?: string } = {},
): Promise<Account> {
  const { password = 'e2e password 1', org } = options;
  const email = emailFor(name);
  const registered = await server.api.POST('/api/v1/auth/register', {
    body: { email, password, name, ...(org ? { orgName: org } : {}) },
  });
  expect(registered.response.status).toBe(201);
  return {
    email,
    password,
    name,
    auth: { headers: { Authorization: `Bearer ${registered.data!.accessToken}` } },
  };
}

/** A member added to the owner's org with one of its roles (e.g. viewer), who can then sign in. */
export async function addMember(
  server: TestServer,
  owner: Account,
  member: { name: string; role: string; password?: string },
): Promise<Person & { name: string }> {
  const roles = await server.api.GET('/api/v1/roles', owner.auth);
  const role = roles.data!.items.find((r) => r.name === member.role)!;
  const person = {
    name: member.name,
    email: emailFor(member.name),
    password: member.password ?? 'member password 1',
  };
  const added = await server.api.POST('/api/v1/members', {
    ...owner.auth,
    body: { ...person, roleId: role.id },
  });
  expect(added.response.status).toBe(201);
  return person;
}
