import { type ReactNode, useId } from 'react';
import { ApiError } from '../api/errors.ts';
import { ErrorMessage } from './states.tsx';

/** What a field's control needs to be labelled, described and marked invalid. */
export interface FieldControlProps {
  id: string;
  'aria-describedby'?: string;
  'aria-invalid'?: true;
}

/**
 * A labelled form control with an optional hint and error message under it. The control comes from
 * `children`, called with the id and ARIA attributes to spread on it, so any input or select fits:
 *
 *   <FormField label="Email" error={fieldError(err, 'email')}>
 *     {(field) => <input {...field} type="email" required />}
 *   </FormField>
 */
export function FormField({
  label,
  hint,
  error,
  children,
}: {
  label: ReactNode;
  hint?: ReactNode;
  error?: string | undefined;
  children: (control: FieldControlProps) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : undefined, error ? errorId : undefined].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
        ...(error ? { 'aria-invalid': true } : {}),
      })}
      {hint ? (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

interface Issue {
  path: string;
  message: string;
}

/** The issues of a `validation_failed` answer: `{details: {issues: [{path: 'body.email', message}]}}`. */
function issuesOf(error: unknown): Issue[] {
  if (!(error instanceof ApiError) || error.code !== 'validation_failed') return [];
  const issues = (error.details as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues)) return [];
  return issues.filter((i): i is Issue => typeof i?.path === 'string' && typeof i?.message === 'string');
}

const asSentence = (issue: Issue | undefined) =>
  issue ? issue.message.charAt(0).toUpperCase() + issue.message.slice(1) : undefined;

/** The server's complaint about one field of the request body, to show under that field. */
export function fieldError(error: unknown, field: string): string | undefined {
  return asSentence(issuesOf(error).find((i) => i.path === `body.${field}`));
}

/**
 * The server's first complaint about a field or anything inside it (`guardrails.0.terms` also takes the
 * issues of `guardrails.0.terms.3`), for fields whose parts have no control of their own.
 */
export function fieldErrorWithin(error: unknown, field: string): string | undefined {
  const path = `body.${field}`;
  return asSentence(issuesOf(error).find((i) => i.path === path || i.path.startsWith(`${path}.`)));
}

/** Whether every problem of a failed submit belongs to one of `fields`, each shown under its field. */
export function explainedByFields(error: unknown, fields: string[]): boolean {
  const issues = issuesOf(error);
  return issues.length > 0 && issues.every((i) => fields.some((f) => i.path === `body.${f}`));
}

/** A failed submit's error for the whole form, unless the fields already say all of it. */
export function FormError({ error, fields }: { error: unknown; fields: string[] }) {
  if (!error || explainedByFields(error, fields)) return null;
  return <ErrorMessage error={error} />;
}

/** The password rule the server checks (identity/passwords.ts), said where a new one is chosen. */
const NEW_PASSWORD_HINT = 'At least 10 characters, mixing letters with digits or symbols.';

/** A field for choosing a password (`name="password"`), with the server's rule as its hint. */
export function NewPasswordField({ label = 'Password', error }: { label?: ReactNode; error: unknown }) {
  return (
    <FormField label={label} hint={NEW_PASSWORD_HINT} error={fieldError(error, 'password')}>
      {(field) => (
        <input
          {...field}
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
        />
      )}
    </FormField>
  );
}
