/**
 * A verify command as one line to edit: the program and its arguments separated by spaces, an argument
 * with spaces (or nothing) in double quotes, `\"` and `\\` inside quotes for a quote and a backslash. The
 * server runs it without a shell, so nothing else is special: `$HOME`, `|` and `;` are plain text.
 */
export function parseCommand(line: string): { args: string[] } | { error: string } {
  const args: string[] = [];
  let current = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) {
        current += line[++i];
      } else if (c === '"') {
        quoted = false;
      } else {
        current += c;
      }
    } else if (c === '"') {
      quoted = true;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) args.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quoted) return { error: 'A quote is not closed' };
  if (inWord) args.push(current);
  return { args };
}

/** The line `parseCommand` reads back as the same arguments. */
export function formatCommand(args: readonly string[]): string {
  return args
    .map((a) => (a !== '' && /^[^\s"\\]+$/.test(a) ? a : `"${a.replace(/[\\"]/g, (m) => `\\${m}`)}"`))
    .join(' ');
}
