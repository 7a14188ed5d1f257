import type { components } from '@switchboard/client';

/** One of an agent's guardrails as the API has it (see AgentGuardrail in openapi.json). */
export type Guardrail = components['schemas']['AgentGuardrail'];
export type GuardrailKind = Guardrail['kind'];
export type GuardrailSide = Guardrail['on'];
export type PiiType = Extract<Guardrail, { kind: 'pii' }>['types'][number];

/** The server's limits (server/src/agents/guardrails.ts), checked here so the form can say what is wrong. */
export const MAX_GUARDRAILS = 20;
const MAX_TERMS = 100;
const MAX_TERM_LENGTH = 200;
const MAX_CHARS = 1_000_000;

export const KIND_LABELS: Record<GuardrailKind, string> = {
  blocked_terms: 'Blocked terms',
  max_length: 'Maximum length',
  pii: 'Personal data',
};

export const SIDE_LABELS: Record<GuardrailSide, string> = {
  input: "The user's message (input)",
  output: "The agent's reply (output)",
};

export const PII_LABELS: Record<PiiType, string> = {
  email: 'Email addresses',
  credit_card: 'Payment card numbers',
  phone: 'Phone numbers',
};

const PII_ORDER = Object.keys(PII_LABELS) as PiiType[];

/**
 * A rule as the form edits it. Every kind's field is kept, so switching the kind and back loses nothing
 * typed; `key` tells rules apart while they are added and removed.
 */
export interface GuardrailDraft {
  key: string;
  kind: GuardrailKind;
  on: GuardrailSide;
  /** Terms as typed: separated by commas or line breaks. */
  terms: string;
  /** The maximum as typed. */
  chars: string;
  types: PiiType[];
}

/** What is wrong with a draft rule, by field; empty when it can be saved. */
export type GuardrailProblems = Partial<Record<'terms' | 'chars' | 'types', string>>;

let drafted = 0;
const nextKey = () => `guardrail-${++drafted}`;

/** A new rule: blocked terms on the user's message, nothing filled in yet. */
export function newGuardrailDraft(): GuardrailDraft {
  return { key: nextKey(), kind: 'blocked_terms', on: 'input', terms: '', chars: '', types: [] };
}

/** A saved rule as the form shows it. */
export function draftOfGuardrail(rule: Guardrail): GuardrailDraft {
  const draft = { ...newGuardrailDraft(), kind: rule.kind, on: rule.on };
  if (rule.kind === 'blocked_terms') return { ...draft, terms: rule.terms.join(', ') };
  if (rule.kind === 'max_length') return { ...draft, chars: String(rule.chars) };
  return { ...draft, types: rule.types };
}

/** The terms of a terms field: split at commas and line breaks, trimmed, each once (matching ignores case). */
export function parseTerms(text: string): string[] {
  const seen = new Set<string>();
  return text
    .split(/[,\r\n]+/)
    .map((t) => t.trim())
    .filter((t) => {
      const folded = t.toLowerCase();
      if (!t || seen.has(folded)) return false;
      seen.add(folded);
      return true;
    });
}

/** A whole number typed with or without thousands separators ("2,000", "2 000"), else undefined. */
function parseCount(text: string): number | undefined {
  const digits = text.trim().replace(/[\s,]/g, '');
  return /^\d+$/.test(digits) ? Number(digits) : undefined;
}

function termsProblem(text: string): string | undefined {
  const terms = parseTerms(text);
  if (terms.length === 0) return 'Enter at least one term.';
  if (terms.length > MAX_TERMS)
    return `A rule takes at most ${MAX_TERMS} terms; this one has ${terms.length}.`;
  const long = terms.find((t) => t.length > MAX_TERM_LENGTH);
  return long ? `"${long.slice(0, 30)}…" is longer than ${MAX_TERM_LENGTH} characters.` : undefined;
}

/** Why a draft rule cannot be saved yet; only the field its kind uses is checked. */
export function guardrailProblems(draft: GuardrailDraft): GuardrailProblems {
  if (draft.kind === 'blocked_terms') {
    const terms = termsProblem(draft.terms);
    return terms ? { terms } : {};
  }
  if (draft.kind === 'max_length') {
    const chars = parseCount(draft.chars);
    return chars === undefined || chars < 1 || chars > MAX_CHARS
      ? { chars: `Enter a whole number from 1 to ${MAX_CHARS.toLocaleString('en')}.` }
      : {};
  }
  return draft.types.length === 0 ? { types: 'Tick at least one kind of personal data.' } : {};
}

/** Whether every draft rule can be saved. */
export const guardrailsValid = (drafts: readonly GuardrailDraft[]) =>
  drafts.every((d) => Object.keys(guardrailProblems(d)).length === 0);

/** A valid draft rule as the API takes it. */
export function guardrailOfDraft(draft: GuardrailDraft): Guardrail {
  if (draft.kind === 'blocked_terms')
    return { kind: 'blocked_terms', on: draft.on, terms: parseTerms(draft.terms) };
  if (draft.kind === 'max_length')
    return { kind: 'max_length', on: draft.on, chars: parseCount(draft.chars) ?? 0 };
  // In a fixed order, so ticking boxes in another order does not read as a change.
  return { kind: 'pii', on: draft.on, types: PII_ORDER.filter((t) => draft.types.includes(t)) };
}

/** "a", "a or b", "a, b or c". */
function eitherOf(items: string[]): string {
  return items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/**
 * A rule in one line, for the version diff: what it checks and what it refuses. Terms are quoted as JSON
 * strings, so a term with a comma or a line break still reads as one.
 */
export function describeGuardrail(rule: Guardrail): string {
  const side = rule.on === 'input' ? 'User message' : 'Reply';
  if (rule.kind === 'blocked_terms')
    return `${side}: blocks ${rule.terms.map((t) => JSON.stringify(t)).join(', ')}`;
  if (rule.kind === 'max_length') return `${side}: at most ${rule.chars.toLocaleString('en')} characters`;
  return `${side}: no ${eitherOf(rule.types.map((t) => PII_LABELS[t].toLowerCase()))}`;
}
