import { describe, expect, it } from 'vitest';
import {
  describeGuardrail,
  draftOfGuardrail,
  type GuardrailDraft,
  guardrailOfDraft,
  guardrailProblems,
  guardrailsValid,
  newGuardrailDraft,
  parseTerms,
} from './guardrails.ts';

const draft = (fields: Partial<GuardrailDraft>): GuardrailDraft => ({ ...newGuardrailDraft(), ...fields });

describe('parseTerms', () => {
  it('splits at commas and line breaks, trims, and keeps each term once whatever its case', () => {
    expect(parseTerms(' refund, Lawsuit\nchargeback\r\n\n,lawsuit , ')).toEqual([
      'refund',
      'Lawsuit',
      'chargeback',
    ]);
  });
});

describe('guardrailProblems', () => {
  it('asks for at least one term, at most 100, none longer than 200 characters', () => {
    expect(guardrailProblems(draft({ terms: ' , \n' }))).toEqual({ terms: 'Enter at least one term.' });
    const many = Array.from({ length: 101 }, (_, i) => `t${i}`).join(',');
    expect(guardrailProblems(draft({ terms: many }))).toEqual({
      terms: 'A rule takes at most 100 terms; this one has 101.',
    });
    expect(guardrailProblems(draft({ terms: `ok, ${'x'.repeat(201)}` })).terms).toMatch(
      /^"x{30}…" is longer than 200 characters\.$/,
    );
    expect(guardrailProblems(draft({ terms: 'refund' }))).toEqual({});
  });

  it('asks for a whole number of characters from 1 to 1,000,000, separators allowed', () => {
    const problem = { chars: 'Enter a whole number from 1 to 1,000,000.' };
    for (const chars of ['', '0', '2.5', 'ten', '1000001']) {
      expect(guardrailProblems(draft({ kind: 'max_length', chars }))).toEqual(problem);
    }
    expect(guardrailProblems(draft({ kind: 'max_length', chars: '2,000' }))).toEqual({});
  });

  it('asks for at least one kind of personal data, and checks only the field the kind uses', () => {
    expect(guardrailProblems(draft({ kind: 'pii' }))).toEqual({
      types: 'Tick at least one kind of personal data.',
    });
    expect(guardrailsValid([draft({ kind: 'pii', types: ['phone'], terms: '' })])).toBe(true);
    expect(guardrailsValid([draft({ terms: 'x' }), draft({ kind: 'max_length' })])).toBe(false);
  });
});

describe('guardrailOfDraft and draftOfGuardrail', () => {
  it('turn a draft into what the API takes and back', () => {
    expect(guardrailOfDraft(draft({ on: 'output', terms: 'a, b\nc' }))).toEqual({
      kind: 'blocked_terms',
      on: 'output',
      terms: ['a', 'b', 'c'],
    });
    expect(guardrailOfDraft(draft({ kind: 'max_length', chars: '1 500' }))).toEqual({
      kind: 'max_length',
      on: 'input',
      chars: 1500,
    });
    // Ticked in any order, saved in one.
    expect(guardrailOfDraft(draft({ kind: 'pii', types: ['phone', 'email'] }))).toEqual({
      kind: 'pii',
      on: 'input',
      types: ['email', 'phone'],
    });
    expect(draftOfGuardrail({ kind: 'blocked_terms', on: 'input', terms: ['a', 'b'] })).toMatchObject({
      terms: 'a, b',
    });
    expect(draftOfGuardrail({ kind: 'max_length', on: 'output', chars: 80 })).toMatchObject({
      kind: 'max_length',
      on: 'output',
      chars: '80',
    });
  });

  it('give every draft its own key', () => {
    expect(newGuardrailDraft().key).not.toBe(newGuardrailDraft().key);
  });
});

describe('describeGuardrail', () => {
  it('says in one line what a rule checks and refuses', () => {
    expect(describeGuardrail({ kind: 'blocked_terms', on: 'input', terms: ['refund', 'a, b'] })).toBe(
      'User message: blocks "refund", "a, b"',
    );
    expect(describeGuardrail({ kind: 'max_length', on: 'output', chars: 2000 })).toBe(
      'Reply: at most 2,000 characters',
    );
    expect(describeGuardrail({ kind: 'pii', on: 'input', types: ['email', 'credit_card', 'phone'] })).toBe(
      'User message: no email addresses, payment card numbers or phone numbers',
    );
  });
});
