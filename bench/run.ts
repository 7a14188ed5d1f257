/**
 * `npm run bench -- <name> [args]` runs `bench/<name>.ts`, which exports `main(args)`.
 * Benchmarks print figures; they assert nothing about speed.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  process.stderr.write(
    `${name ? `no benchmark "${name}"` : 'name a benchmark'}; available: ${available.join(', ')}\n` +
      'usage: npm run bench -- <name> [args]\n',
  );
  process.exit(2);
}
const bench = (await import(new URL(`./${name}.ts`, import.meta.url).href)) as {
  main(args: string[]): Promise<void>;
};
await bench.main(args);
