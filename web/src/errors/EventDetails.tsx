import type { ReactNode } from 'react';
import type { IssueEvent } from '../queries/errors.ts';

/** A value from an event as text: strings as they are, anything else as compact JSON. */
export function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** Pairs as a definition list; nothing at all when there are none. */
function Facts({ rows, testId }: { rows: Array<[string, ReactNode]>; testId?: string }) {
  const shown = rows.filter(([, v]) => v !== '' && v !== null && v !== undefined);
  if (shown.length === 0) return <p className="muted small">None sent.</p>;
  return (
    <dl className="facts event-facts" data-testid={testId}>
      {shown.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd className="mono">{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function Section({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <section className="card event-section" data-testid={testId}>
      <h2 className="section-title">{title}</h2>
      {children}
    </section>
  );
}

const time = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleTimeString() : '');

/** Tags as chips: `key: value`. */
export function Tags({ tags }: { tags: IssueEvent['tags'] }) {
  const entries = Object.entries(tags ?? {});
  if (entries.length === 0) return <p className="muted small">No tags.</p>;
  return (
    <ul className="tag-list" data-testid="event-tags">
      {entries.map(([k, v]) => (
        <li key={k} className="tag event-tag">
          <span className="muted">{k}:</span> {asText(v)}
        </li>
      ))}
    </ul>
  );
}

/** The steps the SDK recorded before the error, oldest first, as Sentry shows them. */
export function Breadcrumbs({ crumbs }: { crumbs: IssueEvent['breadcrumbs'] }) {
  const list = crumbs ?? [];
  if (list.length === 0) return <p className="muted small">No breadcrumbs were recorded.</p>;
  return (
    <div className="table-wrap">
      <table className="table breadcrumbs" data-testid="breadcrumbs">
        <thead>
          <tr>
            <th>Time</th>
            <th>Category</th>
            <th>Message</th>
            <th>Level</th>
          </tr>
        </thead>
        <tbody>
          {list.map((c, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: breadcrumbs have no id; their order is their identity
            <tr key={i} className={`crumb crumb-${c.level ?? 'info'}`}>
              <td className="mono small-inline">{time(c.timestamp)}</td>
              <td>
                <span className="tag">{c.category ?? c.type ?? 'default'}</span>
              </td>
              <td className="wrap mono small-inline">{c.message ?? asText(c.data)}</td>
              <td className="muted">{c.level ?? 'info'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Everything an event carries besides its stack trace: tags, breadcrumbs, request, user, release. */
export function EventDetails({ event }: { event: IssueEvent }) {
  const request = event.request;
  const user = event.user;
  return (
    <div className="event-details">
      <Section title="Tags" testId="event-tags-section">
        <Tags tags={event.tags} />
      </Section>
      <Section title="Release and environment">
        <Facts
          testId="event-release"
          rows={[
            ['Release', event.release ?? ''],
            ['Environment', event.environment ?? ''],
            ['Platform', event.platform ?? ''],
            ['SDK', event.sdk ? `${event.sdk.name ?? ''} ${event.sdk.version ?? ''}`.trim() : ''],
            ['Server', event.serverName ?? ''],
            ['Transaction', event.transaction ?? ''],
            ['Occurred', new Date(event.timestamp).toLocaleString()],
            ['Received', new Date(event.receivedAt).toLocaleString()],
            ['Event id', event.eventId],
          ]}
        />
      </Section>
      <Section title="Request">
        {request ? (
          <Facts
            testId="event-request"
            rows={[
              ['URL', request.url ?? ''],
              ['Method', request.method ?? ''],
              ['Query', asText(request.queryString)],
              ...Object.entries(request.headers ?? {}).map(([k, v]): [string, string] => [k, asText(v)]),
            ]}
          />
        ) : (
          <p className="muted small">No request came with this event.</p>
        )}
      </Section>
      <Section title="User">
        {user ? (
          <Facts
            testId="event-user"
            rows={[
              ['Id', user.id ?? ''],
              ['Email', user.email ?? ''],
              ['Username', user.username ?? ''],
              ['IP address', user.ipAddress ?? ''],
            ]}
          />
        ) : (
          <p className="muted small">No user came with this event.</p>
        )}
      </Section>
      <Section title="Breadcrumbs">
        <Breadcrumbs crumbs={event.breadcrumbs} />
      </Section>
    </div>
  );
}
