import { describe, expect, it } from 'vitest';
import { type Guardrail, guardrailSchema, violation } from './guardrails.ts';

describe('guardrail rules', () => {
  it('blocked terms match whole words and phrases, ignoring case', () => {
    const rule: Guardrail = { kind: 'blocked_terms', on: 'input', terms: ['project x', 'secret'] };
    expect(violation(rule, 'Tell me about PROJECT   X please', 'the message')).toBe(
      'the message mentions the blocked term "project x"',
    );
    expect(violation(rule, 'a secret.', 'the message')).toBe(
      'the message mentions the blocked term "secret"',
    );
    expect(violation(rule, 'secretary and secrets', 'the message')).toBeUndefined();
    expect(violation({ ...rule, terms: ['c++'] }, 'I like C++ a lot', 'the message')).toBeDefined();
  });

  it('max length counts characters', () => {
    const rule: Guardrail = { kind: 'max_length', on: 'input', chars: 5 };
    expect(violation(rule, 'hello', 'the message')).toBeUndefined();
    expect(violation(rule, 'hello!', 'the message')).toBe(
      'the message is 6 characters; this agent takes at most 5',
    );
  });

  it('finds email addresses, phone numbers and card numbers that pass the Luhn check', () => {
    const pii = (types: Array<'email' | 'credit_card' | 'phone'>, text: string) =>
      violation({ kind: 'pii', on: 'output', types }, text, 'the reply');
    expect(pii(['email'], 'write to ada@example.com')).toBe('the reply contains an email address');
    expect(pii(['email'], 'the @ sign')).toBeUndefined();
    expect(pii(['credit_card'], 'card 4242 4242 4242 4242 ok')).toBe(
      'the reply contains a payment card number',
    );
    expect(pii(['credit_card'], 'order 4242 4242 4242 4241')).toBeUndefined();
    expect(pii(['phone'], 'call +44 20 7946 0958 now')).toBe('the reply contains a phone number');
    expect(pii(['phone'], 'in 2026 we shipped 3 releases')).toBeUndefined();
  });

  it('rejects unknown kinds, empty term lists and unknown fields', () => {
    expect(guardrailSchema.safeParse({ kind: 'regex', on: 'input', pattern: '.*' }).success).toBe(false);
    expect(guardrailSchema.safeParse({ kind: 'blocked_terms', on: 'input', terms: [] }).success).toBe(false);
    expect(guardrailSchema.safeParse({ kind: 'max_length', on: 'both', chars: 3 }).success).toBe(false);
    expect(guardrailSchema.safeParse({ kind: 'max_length', on: 'input', chars: 3, x: 1 }).success).toBe(
      false,
    );
  });
});
