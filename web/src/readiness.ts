import type { ErrorEnvelope, paths } from '@switchboard/client';

type ReadyBody = paths['/health/ready']['get']['responses'][200]['content']['application/json'];
export type Check = ReadyBody['checks'][string];

/** What the status page shows: overall state, one row per dependency, and why when not ready. */
export interface Readiness {
  ready: boolean;
  checks: Array<{ name: string } & Check>;
  /** The server's own words when it is not ready (e.g. "not ready: database failed"). */
  message: string | undefined;
  requestId: string | undefined;
}

function isCheck(value: unknown): value is Check {
  return typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean';
}

/** The 503 envelope carries the same checks under `details.checks`; anything else there is ignored. */
function checksOfEnvelope(envelope: ErrorEnvelope): Record<string, Check> {
  const details = envelope.error.details;
  if (typeof details !== 'object' || details === null) return {};
  const checks = (details as { checks?: unknown }).checks;
  if (typeof checks !== 'object' || checks === null) return {};
  return Object.fromEntries(
    Object.entries(checks).filter((entry): entry is [string, Check] => isCheck(entry[1])),
  );
}

function rows(checks: Record<string, Check>): Readiness['checks'] {
  return Object.entries(checks)
    .map(([name, check]) => ({ name, ...check }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Turns either answer of `GET /health/ready` (200 body or 503 envelope) into what the page shows. */
export function readinessFrom(answer: { data?: ReadyBody; error?: ErrorEnvelope }): Readiness {
  if (answer.data) {
    return {
      ready: answer.data.status === 'ready',
      checks: rows(answer.data.checks),
      message: undefined,
      requestId: undefined,
    };
  }
  if (answer.error) {
    return {
      ready: false,
      checks: rows(checksOfEnvelope(answer.error)),
      message: answer.error.error.message,
      requestId: answer.error.error.requestId,
    };
  }
  throw new Error('the server answered /health/ready with neither a status nor an error');
}
