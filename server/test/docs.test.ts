import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES } from '../src/platform/config.ts';
import { ROOT } from './setup/paths.ts';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe('the documentation keeps up with the code', () => {
  it.each(['README.md', '.env.example'])('%s documents every configuration variable', (file) => {
    const text = read(file);
    const missing = ENV_VARIABLES.filter((name) => !new RegExp(`\\b${name}\\b`).test(text));
    expect(missing, `add these to ${file}`).toEqual([]);
  });

  it('the README starts with the two commands', () => {
    const head = read('README.md').split('\n').slice(0, 15).join('\n');
    expect(head).toContain('npm ci && npm start');
    expect(head).toContain('npm test');
  });
});
