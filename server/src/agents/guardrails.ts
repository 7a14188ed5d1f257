import { z } from 'zod';

/**
 * Per-agent guardrails: checks on what reaches the agent (`input`: the new user message) and on what
 * it answers (`output`: its final reply). A check that trips ends the turn as `guardrail`, with a
 * message that says which rule and why; the model is not called for a tripped input.
 *
 * The rules are fixed kinds with server-written matchers, not user regular expressions: a pattern
 * from an org would run on the server's event loop, where a catastrophic one could stall everyone.
 */
const side = z.enum(['input', 'output']).meta({ description: 'input: the user message; output: the reply' });

export const guardrailSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('blocked_terms'),
      on: side,
      terms: z
        .array(z.string().trim().min(1).max(200))
        .min(1)
        .max(100)
        .meta({ description: 'Matched as whole words or phrases, ignoring case' }),
    }),
    z.strictObject({
      kind: z.literal('max_length'),
      on: side,
      chars: z.number().int().min(1).max(1_000_000),
    }),
    z.strictObject({
      kind: z.literal('pii'),
      on: side,
      types: z
        .array(z.enum(['email', 'credit_card', 'phone']))
        .min(1)
        .max(3)
        .meta({ description: 'credit_card numbers must pass the Luhn check' }),
    }),
  ])
  .meta({ id: 'AgentGuardrail' });

export const guardrailsSchema = z
  .array(guardrailSchema)
  .max(20)
  .meta({ description: 'Checks on the user message (input) and the reply (output); see AgentGuardrail' });

export type Guardrail = z.infer<typeof guardrailSchema>;

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;
// Runs of 13-19 digits, optionally split by single spaces or dashes.
const CARD_CANDIDATE = /\b\d(?:[ -]?\d){12,18}\b/g;
// An international or North American style number: 10-15 digits with the usual separators.
const PHONE = /(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?)?\d{2,4}[ .-]\d{3,4}[ .-]\d{3,4}\b/;

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const hasCard = (text: string) =>
  [...text.matchAll(CARD_CANDIDATE)].some((m) => luhn(m[0].replace(/[ -]/g, '')));

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether `text` mentions `term` as a whole word or phrase, ignoring case. */
function mentions(text: string, term: string): boolean {
  const words = term.split(/\s+/).map(escapeRegExp).join('\\s+');
  return new RegExp(`(?<![\\p{L}\\p{N}])${words}(?![\\p{L}\\p{N}])`, 'iu').test(text);
}

const PII_NAMES = {
  email: 'an email address',
  credit_card: 'a payment card number',
  phone: 'a phone number',
};

/** Why `text` breaks `rule`, or undefined when it passes. `what` names the text ("the message"). */
export function violation(rule: Guardrail, text: string, what: string): string | undefined {
  if (rule.kind === 'max_length') {
    return text.length > rule.chars
      ? `${what} is ${text.length.toLocaleString('en')} characters; this agent takes at most ${rule.chars.toLocaleString('en')}`
      : undefined;
  }
  if (rule.kind === 'blocked_terms') {
    const term = rule.terms.find((t) => mentions(text, t));
    return term ? `${what} mentions the blocked term "${term}"` : undefined;
  }
  const found = rule.types.find((t) =>
    t === 'email' ? EMAIL.test(text) : t === 'phone' ? PHONE.test(text) : hasCard(text),
  );
  return found ? `${what} contains ${PII_NAMES[found]}` : undefined;
}
