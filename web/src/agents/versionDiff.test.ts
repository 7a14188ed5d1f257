import type { components } from '@switchboard/client';
import { describe, expect, it } from 'vitest';
import type { Guardrail } from './guardrails.ts';
import { fieldChanges } from './versionDiff.ts';

type Agent = components['schemas']['Agent'];

const agent = (overrides: Partial<Agent> = {}): Agent => ({
  id: 'agt_1',
  name: 'Billing',
  slug: 'billing',
  description: '',
  instructions: 'You answer billing questions.',
  model: 'builtin:scripted',
  tools: [],
  handoffs: [],
  modelSettings: {},
  guardrails: [],
  version: 2,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  ...overrides,
});

/** The fields that changed, each with its lines as `- old` / `+ new` / `  kept`. */
function changes(before: Agent, after: Agent) {
  return Object.fromEntries(
    fieldChanges(before, after, (id) => `name of ${id}`)
      .filter(([, lines]) => lines.length > 0)
      .map(([field, lines]) => [
        field,
        lines.map((l) =>
          l.kind === 'skipped'
            ? `… ${l.count}`
            : `${{ same: ' ', added: '+', removed: '-' }[l.kind]} ${l.text}`,
        ),
      ]),
  );
}

describe('fieldChanges', () => {
  it('lists every field in the form’s order, with no lines for the unchanged ones', () => {
    expect(fieldChanges(agent(), agent(), (id) => id)).toEqual([
      ['Name', []],
      ['Description', []],
      ['Model', []],
      ['Instructions', []],
      ['Tools', []],
      ['Hand-offs', []],
      ['Guardrails', []],
      ['Model settings', []],
    ]);
  });

  it('reads a changed guardrail as its old rule removed and its new one added, between the rules kept', () => {
    const pii: Guardrail = { kind: 'pii', on: 'input', types: ['email'] };
    const before = agent({
      guardrails: [pii, { kind: 'blocked_terms', on: 'input', terms: ['refund'] }],
    });
    const after = agent({
      guardrails: [
        pii,
        { kind: 'blocked_terms', on: 'input', terms: ['refund', 'lawsuit'] },
        { kind: 'max_length', on: 'output', chars: 1200 },
      ],
    });
    expect(changes(before, after)).toEqual({
      Guardrails: [
        '  User message: no email addresses',
        '- User message: blocks "refund"',
        '+ User message: blocks "refund", "lawsuit"',
        '+ Reply: at most 1,200 characters',
      ],
    });
  });

  it('names hand-offs and shows single values, settings and empty texts readably', () => {
    const before = agent({ handoffs: ['agt_2'], modelSettings: { temperature: 0.2 } });
    const after = agent({ description: 'Refunds', handoffs: ['agt_3'], modelSettings: {} });
    expect(changes(before, after)).toEqual({
      Description: ['- (empty)', '+ Refunds'],
      'Hand-offs': ['- name of agt_2', '+ name of agt_3'],
      'Model settings': ['- temperature: 0.2', '+ temperature: not set'],
    });
  });
});
