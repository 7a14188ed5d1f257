/**
 * The rules of the built-in model `builtin:scripted` (API.md "The built-in model"), as a pure
 * parser: a user message becomes an ordered list of steps the model then plays back.
 */

export const MAX_SLEEP_MS = 300_000;
export const MAX_TOKENS = 100_000;

export type Step =
  /** Plain text: the reply is `Echo: <text>`. */
  | { kind: 'text'; text: string }
  /** Call a tool with raw JSON arguments (the runtime validates them). */
  | { kind: 'tool'; name: string; args: string }
  /** Hand the conversation to the agent with this slug; it answers the steps that follow. */
  | { kind: 'handoff'; slug: string }
  | { kind: 'sleep'; ms: number }
  /** Stream exactly this many words. */
  | { kind: 'tokens'; count: number }
  /** The model call fails with this message. */
  | { kind: 'fail'; message: string }
  /** A command that could not be understood; the reply says why. */
  | { kind: 'invalid'; message: string };

const COMMAND = /^\s*\/(tool|handoff|sleep|tokens|fail)(?:\s+([\s\S]*))?$/;

/** Splits `rest` into its first word and what follows it. */
function firstWord(rest: string): [string, string] {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(rest.trim());
  return m ? [m[1]!, m[2]!.trim()] : ['', ''];
}

function count(
  command: string,
  word: string,
  max: number,
  unit: string,
): { ok: true; n: number } | { ok: false; message: string } {
  if (!/^\d+$/.test(word)) {
    return { ok: false, message: `/${command} needs a whole number of ${unit}, e.g. /${command} 100` };
  }
  const n = Number(word);
  if (n > max) return { ok: false, message: `/${command} takes at most ${max} ${unit}` };
  return { ok: true, n };
}

/** Parses a message into steps, in order. Text lines next to each other form one step. */
export function parseScript(message: string): Step[] {
  const steps: Step[] = [];
  let text: string[] = [];
  const flushText = () => {
    const joined = text.join('\n').trim();
    if (joined) steps.push({ kind: 'text', text: joined });
    text = [];
  };

  for (const line of message.split(/\r?\n/)) {
    const m = COMMAND.exec(line);
    if (!m) {
      text.push(line);
      continue;
    }
    flushText();
    const command = m[1]!;
    const rest = (m[2] ?? '').trim();
    if (command === 'fail') {
      steps.push({ kind: 'fail', message: rest || 'the scripted model was told to fail' });
      continue;
    }
    const [word, after] = firstWord(rest);
    if (command === 'tool') {
      if (!word) steps.push({ kind: 'invalid', message: '/tool needs a tool name, e.g. /tool time.now {}' });
      else steps.push({ kind: 'tool', name: word, args: after || '{}' });
      continue;
    }
    if (command === 'handoff') {
      if (!word)
        steps.push({ kind: 'invalid', message: '/handoff needs an agent slug, e.g. /handoff billing' });
      else steps.push({ kind: 'handoff', slug: word });
    } else {
      const isSleep = command === 'sleep';
      const parsed = count(
        command,
        word,
        isSleep ? MAX_SLEEP_MS : MAX_TOKENS,
        isSleep ? 'milliseconds' : 'words',
      );
      if (!parsed.ok) steps.push({ kind: 'invalid', message: parsed.message });
      else steps.push(isSleep ? { kind: 'sleep', ms: parsed.n } : { kind: 'tokens', count: parsed.n });
    }
    // Text after a command on the same line is handled after it, like a following line.
    if (after) text.push(after);
  }
  flushText();
  if (steps.length === 0) steps.push({ kind: 'text', text: '' });
  return steps;
}

/** Whether a step ends a model response with a call (a tool or a hand-off). */
export function isCallStep(step: Step): step is Extract<Step, { kind: 'tool' | 'handoff' }> {
  return step.kind === 'tool' || step.kind === 'handoff';
}

/** The words of `/tokens n`: exactly n of them. */
export function tokenWords(n: number): string {
  return Array.from({ length: n }, (_, i) => `word${i + 1}`).join(' ');
}

/** The reply text of a non-call step, or undefined for steps that print nothing. */
export function stepText(step: Step): string | undefined {
  switch (step.kind) {
    case 'text':
      return `Echo: ${step.text}`;
    case 'tokens':
      return step.count > 0 ? tokenWords(step.count) : undefined;
    case 'invalid':
      return step.message;
    default:
      return undefined;
  }
}

/** A one-line summary of a tool's output, as the scripted model reports it. */
export function summariseToolResult(toolName: string, output: string): string {
  const line = output.replace(/\s+/g, ' ').trim();
  const short = line.length > 200 ? `${line.slice(0, 197)}...` : line;
  if (short.startsWith('Error: ')) return `${toolName} failed: ${short.slice('Error: '.length)}`;
  // The Agents SDK's own answer to arguments that are not JSON.
  if (short.startsWith('An error occurred')) return `${toolName} failed: ${short}`;
  return `${toolName} returned: ${short}`;
}

/** Splits text into stream deltas of one word each; joined, they give the text back exactly. */
export function wordDeltas(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}
