import { READINESS_REFRESH_MS, useReadiness } from './queries/status.ts';

const LINKS = [
  { href: '/docs', title: 'API reference', text: 'Browse and try every endpoint.' },
  { href: '/openapi.json', title: 'OpenAPI document', text: 'The machine-readable contract (OpenAPI 3.1).' },
  { href: '/metrics', title: 'Metrics', text: 'Prometheus counters and timings.' },
];

function Overall({ state }: { state: 'loading' | 'ready' | 'not_ready' | 'unreachable' }) {
  const label = {
    loading: 'Checking…',
    ready: 'Ready',
    not_ready: 'Not ready',
    unreachable: 'Unreachable',
  }[state];
  return (
    <span className={`badge badge-${state}`} data-testid="overall-status">
      {label}
    </span>
  );
}

/** The console's landing page: is the platform up, and does each dependency answer. */
export function StatusPage() {
  const readiness = useReadiness();
  const result = readiness.data;
  const state = result
    ? result.ready
      ? 'ready'
      : 'not_ready'
    : readiness.isError
      ? 'unreachable'
      : 'loading';

  return (
    <div className="page">
      <header className="masthead">
        <div className="brand">
          <img src="/favicon.svg" alt="" width="36" height="36" />
          <div>
            <h1>Switchboard</h1>
            <p className="tagline">Self-hosted platform for teams of AI agents</p>
          </div>
        </div>
      </header>

      <main>
        <section className="card" aria-labelledby="status-heading">
          <div className="card-head">
            <h2 id="status-heading">Platform status</h2>
            <Overall state={state} />
          </div>

          {readiness.isError && !result ? (
            <p className="problem" role="alert">
              The server did not answer: {readiness.error.message}
            </p>
          ) : null}

          {result?.message ? (
            <p className="problem" role="alert">
              {result.message}
              {result.requestId ? <span className="muted"> (request {result.requestId})</span> : null}
            </p>
          ) : null}

          {result ? (
            <ul className="checks" aria-live="polite">
              {result.checks.map((check) => (
                <li key={check.name} className="check" data-testid={`check-${check.name}`}>
                  <span className={`dot ${check.ok ? 'dot-ok' : 'dot-failed'}`} aria-hidden="true" />
                  <span className="check-name">{check.name}</span>
                  <span className="check-state">{check.ok ? 'answering' : (check.error ?? 'failed')}</span>
                </li>
              ))}
            </ul>
          ) : null}

          {result ? (
            <p className="muted small">
              Checked at{' '}
              <time dateTime={result.checkedAt.toISOString()}>{result.checkedAt.toLocaleTimeString()}</time>
              {`, refreshing every ${READINESS_REFRESH_MS / 1000} s.`}
            </p>
          ) : null}
        </section>

        <section aria-labelledby="links-heading">
          <h2 id="links-heading" className="section-title">
            For developers
          </h2>
          <ul className="links">
            {LINKS.map((link) => (
              <li key={link.href}>
                <a className="card link-card" href={link.href}>
                  <span className="link-title">{link.title}</span>
                  <span className="muted">{link.text}</span>
                  <code>{link.href}</code>
                </a>
              </li>
            ))}
          </ul>
        </section>
      </main>
    </div>
  );
}
