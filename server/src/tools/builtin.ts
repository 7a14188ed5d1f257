import { z } from 'zod';
import { CalculationError, calculate, MAX_EXPRESSION_LENGTH } from './calculator.ts';
import { type HttpGetOptions, httpGetTool } from './http-get.ts';
import { defineTool, type ToolDefinition, ToolError } from './registry.ts';

const timeNow = defineTool({
  name: 'time.now',
  description: 'The current date and time, in UTC and optionally in an IANA time zone.',
  parameters: z.object({
    timezone: z.string().max(64).optional().describe('An IANA time zone such as Europe/Paris; default UTC'),
  }),
  async execute({ timezone }) {
    const now = new Date();
    const zone = timezone ?? 'UTC';
    let local: string;
    try {
      local = new Intl.DateTimeFormat('en-GB', {
        timeZone: zone,
        dateStyle: 'full',
        timeStyle: 'long',
      }).format(now);
    } catch {
      throw new ToolError(`unknown time zone "${zone}"; use an IANA name such as Europe/Paris`);
    }
    return { iso: now.toISOString(), unixSeconds: Math.floor(now.getTime() / 1000), timezone: zone, local };
  },
});

const mathCalculate = defineTool({
  name: 'math.calculate',
  description:
    'Evaluate an arithmetic expression: numbers, + - * / % ^, parentheses, sqrt, cbrt, abs, round, floor, ' +
    'ceil, exp, ln, log (base 10), log2, sin, cos, tan, pow, min, max, and the constants pi, e, tau.',
  parameters: z.object({
    expression: z.string().max(MAX_EXPRESSION_LENGTH).describe('For example "(2 + 3) * sqrt(16)"'),
  }),
  async execute({ expression }) {
    try {
      return { expression, result: calculate(expression) };
    } catch (err) {
      if (err instanceof CalculationError)
        throw new ToolError(`cannot calculate "${expression}": ${err.message}`);
      throw err;
    }
  },
});

const demoApproval = defineTool({
  name: 'demo.approval',
  description: 'A harmless action that needs a person to approve it first; use it to try the approval flow.',
  parameters: z.object({
    action: z.string().max(500).describe('What is about to be done, in words a reviewer understands'),
  }),
  requiresApproval: true,
  async execute({ action }) {
    return { approved: true, action };
  },
});

/** The tools every org has. */
export function builtinTools(http: HttpGetOptions): ToolDefinition[] {
  return [timeNow, mathCalculate, httpGetTool(http), demoApproval];
}
