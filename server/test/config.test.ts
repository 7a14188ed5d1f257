import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_SECRET, loadConfig } from '../src/platform/config.ts';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 8080,
      host: '127.0.0.1',
      dataDir: path.resolve('./data'),
      databaseUrl: undefined,
      redisUrl: undefined,
      publicUrl: 'http://127.0.0.1:8080',
      logLevel: 'info',
      corsOrigins: [],
      bodyLimitBytes: 1024 * 1024,
      secret: DEV_SECRET,
      admin: undefined,
      accessTokenTtlSeconds: 900,
      refreshTokenTtlSeconds: 30 * 86_400,
      providers: { openai: undefined, anthropic: undefined },
      trustProxy: false,
      workersInProcess: true,
      shutdownTimeoutMs: 10_000,
    });
  });

  it('reads mail settings: an SMTP address, the sender (defaulting to the public host) and the hourly limit', () => {
    expect(loadConfig({}).mail).toEqual({
      smtpUrl: undefined,
      from: 'Switchboard <no-reply@localhost>',
      perAddressPerHour: 5,
    });
    expect(
      loadConfig({ PUBLIC_URL: 'https://agents.example.com', SMTP_URL: 'smtps://u:p@mail.example.com:465' })
        .mail,
    ).toMatchObject({
      smtpUrl: 'smtps://u:p@mail.example.com:465',
      from: 'Switchboard <no-reply@agents.example.com>',
    });
    expect(problemsOf({ SMTP_URL: 'http://mail.example.com', MAIL_FROM: 'nobody' })).toEqual([
      'SMTP_URL must start with smtp:// or smtps:// (got "http://mail.example.com")',
      'MAIL_FROM must be an address, e.g. "Switchboard <no-reply@example.com>"',
    ]);
  });

  it('parses numbers, flags, lists and pairs', () => {
    const config = loadConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      CORS_ORIGINS: 'https://a.example, https://b.example,',
      TRUST_PROXY: 'yes',
      WORKERS_IN_PROCESS: '0',
      SWITCHBOARD_ADMIN_EMAIL: 'owner@example.com',
      SWITCHBOARD_ADMIN_PASSWORD: 'a long password',
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: 'http://127.0.0.1:9999/v1',
      PUBLIC_URL: 'https://switchboard.example',
    });
    expect(config.port).toBe(9000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.trustProxy).toBe(true);
    expect(config.workersInProcess).toBe(false);
    expect(config.admin).toEqual({ email: 'owner@example.com', password: 'a long password' });
    expect(config.providers.openai).toEqual({ apiKey: 'sk-test', baseUrl: 'http://127.0.0.1:9999/v1' });
    expect(config.publicUrl).toBe('https://switchboard.example');
  });

  it('limits chat streams per user and org, and allows no stdio MCP command unless listed', () => {
    expect(loadConfig({})).toMatchObject({
      chat: { maxStreamsPerUser: 4, maxStreamsPerOrg: 64, inlineMax: 64 },
      mcp: { stdioCommands: [], connectTimeoutMs: 10_000, callTimeoutMs: 60_000 },
    });
    const config = loadConfig({
      CHAT_MAX_STREAMS_PER_USER: '2',
      CHAT_MAX_STREAMS_PER_ORG: '10',
      MCP_STDIO_COMMANDS: 'npx, /usr/bin/uvx,',
      CHAT_INLINE_MAX: '0',
    });
    expect(config.chat).toEqual({ maxStreamsPerUser: 2, maxStreamsPerOrg: 10, inlineMax: 0 });
    expect(config.mcp.stdioCommands).toEqual(['npx', '/usr/bin/uvx']);
    expect(problemsOf({ CHAT_MAX_STREAMS_PER_USER: '0' })).toEqual([
      'CHAT_MAX_STREAMS_PER_USER Too small: expected number to be >=1 (got "0")',
    ]);
  });

  it('allows no fix repository or verify program unless listed, and wants absolute repository folders', () => {
    expect(loadConfig({ PATH: '/usr/bin', SWITCHBOARD_SECRET: 'x'.repeat(20) }).fixes).toEqual({
      repositoryRoots: [],
      verifyCommands: [],
      verifyTimeoutSeconds: 300,
      childEnv: { PATH: '/usr/bin' },
    });
    const config = loadConfig({
      FIX_REPOSITORY_ROOTS: '/srv/repos, /home/code/',
      FIX_VERIFY_COMMANDS: 'npm, node,',
      FIX_VERIFY_TIMEOUT_SECONDS: '30',
    });
    expect(config.fixes).toMatchObject({
      repositoryRoots: ['/srv/repos', '/home/code'],
      verifyCommands: ['npm', 'node'],
      verifyTimeoutSeconds: 30,
    });
    expect(problemsOf({ FIX_REPOSITORY_ROOTS: '/srv/repos,relative/code' })).toEqual([
      'FIX_REPOSITORY_ROOTS must be absolute folder paths, separated by commas (got "/srv/repos,relative/code")',
    ]);
  });

  it('treats empty strings as unset, so `FOO=` in a .env file falls back to the default', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' })).toMatchObject({ port: 8080, databaseUrl: undefined });
  });

  it('lists every invalid variable at once, one line each, naming it and the value', () => {
    const problems = problemsOf({
      PORT: '99999',
      DATABASE_URL: 'mysql://db',
      LOG_LEVEL: 'loud',
      BODY_LIMIT_BYTES: '10',
      TRUST_PROXY: 'maybe',
    });
    expect(problems).toEqual([
      'PORT Too big: expected number to be <=65535 (got "99999")',
      'DATABASE_URL must start with postgres:// or postgresql:// (got "mysql://db")',
      'LOG_LEVEL Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent" (got "loud")',
      'BODY_LIMIT_BYTES Too small: expected number to be >=1024 (got "10")',
      'TRUST_PROXY Invalid option: expected one of "0"|"1"|"true"|"false"|"yes"|"no" (got "maybe")',
    ]);
  });

  it('puts all problems in the error message, one per line', () => {
    expect(() => loadConfig({ PORT: 'abc', REDIS_URL: 'http://cache' })).toThrow(
      'invalid configuration: PORT must be a number (got "abc"); REDIS_URL must start with redis:// or rediss:// (got "http://cache")',
    );
  });

  it('never echoes secret values in a problem', () => {
    const problems = problemsOf({ SWITCHBOARD_SECRET: 'short-secret' });
    expect(problems).toEqual(['SWITCHBOARD_SECRET must be at least 16 characters']);
    expect(problems.join('\n')).not.toContain('short-secret');
  });

  it('refuses production without a secret of its own', () => {
    const message =
      'SWITCHBOARD_SECRET is missing or the development default; production needs a secret of your own';
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([message]);
    expect(problemsOf({ NODE_ENV: 'production', SWITCHBOARD_SECRET: DEV_SECRET })).toEqual([message]);
    expect(
      loadConfig({ NODE_ENV: 'production', SWITCHBOARD_SECRET: 'a-real-secret-of-32-characters!!' }).env,
    ).toBe('production');
  });

  it('accepts the development default secret outside production', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).secret).toBe(DEV_SECRET);
  });

  it('requires the admin email and password together', () => {
    expect(problemsOf({ SWITCHBOARD_ADMIN_EMAIL: 'owner@example.com' })).toEqual([
      'SWITCHBOARD_ADMIN_PASSWORD must be set together with its pair (SWITCHBOARD_ADMIN_EMAIL and SWITCHBOARD_ADMIN_PASSWORD)',
    ]);
  });

  // Cross-variable rules are checked on the raw input, so they are not hidden behind another problem.
  it('reports the production-secret problem together with other invalid variables', () => {
    expect(problemsOf({ NODE_ENV: 'production', PORT: 'abc' })).toEqual([
      'PORT must be a number (got "abc")',
      'SWITCHBOARD_SECRET is missing or the development default; production needs a secret of your own',
    ]);
  });
});
