/** Which Sentry SDK a snippet is for. */
export type SdkKind = 'node' | 'browser';

export const SDKS: ReadonlyArray<{ value: SdkKind; label: string; install: string }> = [
  { value: 'node', label: 'Node.js (@sentry/node)', install: 'npm install @sentry/node' },
  { value: 'browser', label: 'Browser (@sentry/browser)', install: 'npm install @sentry/browser' },
];

/**
 * The lines that connect an application to a project: any Sentry SDK works unchanged, so these are the
 * SDK's own set-up with the project's DSN. The DSN is quoted as a JSON string, so whatever it holds stays
 * a valid literal.
 */
export function sdkSnippet(kind: SdkKind, dsn: string, platform?: string | null): string {
  const pkg = kind === 'node' ? '@sentry/node' : '@sentry/browser';
  const name = platform && /^[a-z][\w-]*$/i.test(platform) ? platform : 'my-app';
  return [
    `import * as Sentry from '${pkg}';`,
    '',
    'Sentry.init({',
    `  dsn: ${JSON.stringify(dsn)},`,
    "  environment: 'production',",
    `  release: '${name}@1.0.0',`,
    '});',
    '',
    '// From here on uncaught errors are reported; or report one yourself:',
    "Sentry.captureException(new Error('Hello from Switchboard'));",
  ].join('\n');
}
