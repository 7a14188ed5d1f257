import type { InputGuardrail, OutputGuardrail } from '@openai/agents';
import { type Guardrail, violation } from '../agents/guardrails.ts';

/**
 * An agent's guardrail rules (agents/guardrails.ts) as the Agents SDK's guardrails. A rule that trips
 * ends the turn as `guardrail`; input rules finish before the model is called.
 */

/** The new user message of a turn's input (the history before it was checked when it was new). */
function lastUserText(input: string | unknown[]): string {
  if (typeof input === 'string') return input;
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i] as { role?: unknown; content?: unknown };
    if (item.role !== 'user') continue;
    if (typeof item.content === 'string') return item.content;
    if (Array.isArray(item.content)) {
      return item.content.map((c: { text?: unknown }) => (typeof c.text === 'string' ? c.text : '')).join('');
    }
  }
  return '';
}

/** What a tripped guardrail reports, read back from the SDK's error. */
export interface GuardrailVerdict {
  reason: string;
}

const verdict = (reason: string | undefined) => ({
  tripwireTriggered: reason !== undefined,
  outputInfo: { reason } satisfies Partial<GuardrailVerdict>,
});

/** The agent's rules as the Agents SDK's guardrails. Input ones finish before the model is called. */
export function sdkGuardrails(agentSlug: string, rules: Guardrail[]) {
  const named = (rule: Guardrail, i: number) => `${agentSlug}:${rule.on}:${rule.kind}:${i}`;
  const input: InputGuardrail[] = rules.flatMap((rule, i) =>
    rule.on === 'input'
      ? [
          {
            name: named(rule, i),
            runInParallel: false,
            execute: async ({ input: items }) => verdict(violation(rule, lastUserText(items), 'the message')),
          },
        ]
      : [],
  );
  const output: OutputGuardrail[] = rules.flatMap((rule, i) =>
    rule.on === 'output'
      ? [
          {
            name: named(rule, i),
            execute: async ({ agentOutput }) =>
              verdict(
                violation(
                  rule,
                  typeof agentOutput === 'string' ? agentOutput : JSON.stringify(agentOutput),
                  'the reply',
                ),
              ),
          },
        ]
      : [],
  );
  return { input, output };
}

/** The reason a tripped guardrail gave, from the SDK error's result. */
export function guardrailReason(result: { output: { outputInfo?: unknown } }): string | undefined {
  const info = result.output.outputInfo as Partial<GuardrailVerdict> | undefined;
  return typeof info?.reason === 'string' ? info.reason : undefined;
}
