import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PASSWORD_MARKER } from './users.ts';

/** What a secret looks like in text: tokens, keys, hashes and the test suite's passwords. */
export const SECRET_PATTERNS: ReadonlyArray<{ name: string; pattern: RegExp }> = [
  { name: 'access token (JWT)', pattern: /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/ },
  { name: 'refresh token', pattern: /\brt_[\w-]{30,}/ },
  { name: 'API key', pattern: /\bsbk_[\w-]{30,}/ },
  { name: 'password hash', pattern: /\$argon2(id|i|d)\$/ },
  { name: 'test password', pattern: new RegExp(PASSWORD_MARKER) },
  { name: 'token hash', pattern: /"(token_hash|key_hash|password_hash)"\s*:\s*"[0-9a-f$]/ },
];

export interface Finding {
  file: string;
  line: number;
  kind: string;
}

/** Scans text line by line and names every secret it finds (never echoing the secret itself). */
export function scanText(text: string, file: string): Finding[] {
  const findings: Finding[] = [];
  text.split('\n').forEach((line, i) => {
    for (const { name, pattern } of SECRET_PATTERNS) {
      if (pattern.test(line)) findings.push({ file, line: i + 1, kind: name });
    }
  });
  return findings;
}

export function scanDirectory(dir: string): { files: number; lines: number; findings: Finding[] } {
  let files = 0;
  let lines = 0;
  const findings: Finding[] = [];
  for (const name of readdirSync(dir)) {
    const text = readFileSync(path.join(dir, name), 'utf8');
    files++;
    lines += text.split('\n').length - 1;
    findings.push(...scanText(text, name));
  }
  return { files, lines, findings };
}
