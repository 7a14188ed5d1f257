import type { components } from '@switchboard/client';
import {
  changedKeys,
  type DiffLine,
  type DiffRow,
  diffLists,
  diffSequences,
  diffTexts,
} from '../components/diff.ts';
import { describeGuardrail, type Guardrail } from './guardrails.ts';

type Agent = components['schemas']['Agent'];
type AgentVersion = components['schemas']['AgentVersion'];

/** A field of the agent and how it changed, as diff lines (none when it did not). */
export type FieldChange = [field: string, lines: DiffRow[]];

const shown = (value: unknown) => (value === undefined ? 'not set' : JSON.stringify(value));

/** A single value's change as a removed line and an added one. */
const valueChange = (before: string, after: string): DiffLine[] =>
  before === after
    ? []
    : [
        { kind: 'removed', text: before || '(empty)' },
        { kind: 'added', text: after || '(empty)' },
      ];

/** A list's change: what only the chosen version has, then what only the current one has. */
function listChange(before: string[], after: string[], nameOf: (id: string) => string): DiffLine[] {
  const { added, removed } = diffLists(before, after);
  return [
    ...removed.map((v): DiffLine => ({ kind: 'removed', text: nameOf(v) })),
    ...added.map((v): DiffLine => ({ kind: 'added', text: nameOf(v) })),
  ];
}

/** Texts line by line, with unchanged stretches folded. */
function textChange(before: string, after: string): DiffRow[] {
  return diffTexts(before, after);
}

/**
 * Guardrails one rule a line, in order (the first rule that trips is the one reported): a changed rule
 * reads as its old line removed and its new one added, between the rules kept.
 */
function guardrailChange(before: Guardrail[], after: Guardrail[]): DiffRow[] {
  return diffSequences(before.map(describeGuardrail), after.map(describeGuardrail));
}

function settingsChange(before: Agent['modelSettings'], after: Agent['modelSettings']): DiffLine[] {
  return changedKeys(before, after).flatMap(({ key, before: was, after: now }): DiffLine[] => [
    { kind: 'removed', text: `${key}: ${shown(was)}` },
    { kind: 'added', text: `${key}: ${shown(now)}` },
  ]);
}

/** Every field of a version against the agent now, in the form's order; unchanged fields have no lines. */
export function fieldChanges(
  version: AgentVersion['agent'],
  current: Agent,
  nameOf: (id: string) => string,
): FieldChange[] {
  return [
    ['Name', valueChange(version.name, current.name)],
    ['Description', valueChange(version.description, current.description)],
    ['Model', valueChange(version.model, current.model)],
    ['Instructions', textChange(version.instructions, current.instructions)],
    ['Tools', listChange(version.tools, current.tools, (t) => t)],
    ['Hand-offs', listChange(version.handoffs, current.handoffs, nameOf)],
    ['Guardrails', guardrailChange(version.guardrails, current.guardrails)],
    ['Model settings', settingsChange(version.modelSettings, current.modelSettings)],
  ];
}
