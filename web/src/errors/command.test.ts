import { describe, expect, it } from 'vitest';
import { formatCommand, parseCommand } from './command.ts';

describe('parseCommand', () => {
  it('splits on spaces and keeps quoted arguments whole', () => {
    expect(parseCommand('npm test -- --run')).toEqual({ args: ['npm', 'test', '--', '--run'] });
    expect(parseCommand('  node  "my script.js" ""  x"y z"  ')).toEqual({
      args: ['node', 'my script.js', '', 'xy z'],
    });
    expect(parseCommand('echo "say \\"hi\\" \\\\ there"')).toEqual({ args: ['echo', 'say "hi" \\ there'] });
  });

  it('leaves shell syntax as text (no shell runs it)', () => {
    expect(parseCommand('echo $HOME; rm -rf / | cat')).toEqual({
      args: ['echo', '$HOME;', 'rm', '-rf', '/', '|', 'cat'],
    });
  });

  it('refuses an unclosed quote', () => {
    expect(parseCommand('npm "test')).toEqual({ error: 'A quote is not closed' });
    expect(parseCommand('')).toEqual({ args: [] });
  });
});

describe('formatCommand', () => {
  it('reads back as the same arguments', () => {
    for (const args of [
      ['npm', 'test'],
      ['node', 'my script.js', ''],
      ['echo', 'say "hi" \\ there'],
      ['a\tb'],
    ]) {
      const line = formatCommand(args);
      expect(parseCommand(line)).toEqual({ args });
    }
    expect(formatCommand(['npm', 'run', 'check'])).toBe('npm run check');
  });
});
