import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';
import { MIGRATIONS_DIR, openDatabase } from '../../src/platform/db/index.ts';
import { ROOT } from './paths.ts';
import './provided.ts';

const CACHE_DIR = path.join(ROOT, 'node_modules/.cache/switchboard-test');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => path.join(dir, name))
    .filter((file) => statSync(file).isFile())
    .sort();
}

/** Changes whenever the migrations or the PGlite version change, so a cached template is never stale. */
function templateKey(): string {
  const hash = createHash('sha256');
  const pgliteVersion: unknown = JSON.parse(
    readFileSync(path.join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8'),
  ).version;
  hash.update(String(pgliteVersion));
  for (const file of filesUnder(MIGRATIONS_DIR)) {
    hash.update(path.relative(MIGRATIONS_DIR, file));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Makes one migrated PGlite database and dumps it to a tarball that every test loads in memory
 * (~0.3 s) instead of running initdb (~3-4 s). The tarball is kept between runs, keyed by the
 * migrations, so most runs do not even pay for one initdb.
 */
export default async function setup(project: TestProject): Promise<void> {
  const file = path.join(CACHE_DIR, `pglite-template-${templateKey()}.tar`);
  let exists = false;
  try {
    exists = statSync(file).size > 0;
  } catch {}
  if (!exists) {
    const database = await openDatabase({ kind: 'pglite' });
    try {
      await database.migrate();
      const pglite = database.pglite as PGlite;
      const dump = await pglite.dumpDataDir('none');
      mkdirSync(CACHE_DIR, { recursive: true });
      const partial = `${file}.${process.pid}.partial`;
      writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
      renameSync(partial, file);
    } finally {
      await database.close();
    }
  }
  project.provide('pgliteTemplatePath', file);
}
