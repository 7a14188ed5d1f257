import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.ts';
import { explainedByFields, fieldError, fieldErrorWithin } from './FormField.tsx';

const invalid = (...issues: Array<{ path: string; message: string }>) =>
  new ApiError(400, 'validation_failed', `${issues[0]?.path}: ${issues[0]?.message}`, 'req_1', { issues });

describe('fieldError', () => {
  it("finds the server's message for a body field", () => {
    const err = invalid({ path: 'body.email', message: 'invalid email address' });
    expect(fieldError(err, 'email')).toBe('Invalid email address');
    expect(fieldError(err, 'name')).toBeUndefined();
  });

  it('has nothing to say about other errors', () => {
    expect(fieldError(new ApiError(409, 'conflict', 'email taken'), 'email')).toBeUndefined();
    expect(fieldError(new Error('offline'), 'email')).toBeUndefined();
    expect(fieldError(undefined, 'email')).toBeUndefined();
  });
});

describe('fieldErrorWithin', () => {
  it('finds the first issue of a field or of anything inside it, not of its neighbours', () => {
    const err = invalid(
      { path: 'body.guardrails.10.chars', message: 'too big' },
      { path: 'body.guardrails.1.terms.3', message: 'too long' },
    );
    expect(fieldErrorWithin(err, 'guardrails.1.terms')).toBe('Too long');
    expect(fieldErrorWithin(err, 'guardrails.1')).toBe('Too long');
    expect(fieldErrorWithin(err, 'guardrails.10.chars')).toBe('Too big');
    expect(fieldErrorWithin(err, 'guardrails.0')).toBeUndefined();
  });
});

describe('explainedByFields', () => {
  it('is true only when every issue belongs to a field of the form', () => {
    const both = invalid(
      { path: 'body.email', message: 'invalid email address' },
      { path: 'body.name', message: 'too long' },
    );
    expect(explainedByFields(both, ['email', 'name'])).toBe(true);
    expect(explainedByFields(both, ['email'])).toBe(false);
    expect(explainedByFields(new ApiError(409, 'conflict', 'email taken'), ['email'])).toBe(false);
  });
});
