/**
 * `npm run bench -- heap [--warm 500] [--more 1500] [--postgres postgres://...]`
 *
 * What stays on the heap per request once warm. One server in this process on 127.0.0.1 (embedded
 * PGlite in memory, or PostgreSQL with --postgres); each step sends one non-streaming `/v1` completion
 * with an API key and submits one background run (`builtin:scripted`). After `--warm` steps and again
 * after `--more`, it waits for the runs to end, collects garbage and takes a heap snapshot; then it
 * prints heap used at both points and the object kinds that grew most between them (count and bytes).
 * A leak shows as kinds growing with the steps (e.g. 1,500 more of one kind after 1,500 steps).
 * The in-memory PGlite's data shows as JSArrayBufferData; it is the database, not a leak.
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { withBenchDatabase } from './lib/database.ts';
import { startBenchServer } from './lib/server.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1 || value > 100_000)
    throw new Error(`--${name} takes 1 to 100000`);
  return value;
}

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Count and bytes per object kind (type and constructor name; strings counted together). */
function kinds(file: string): Map<string, [number, number]> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot;
  const fields = snap.snapshot.meta.node_fields;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const types = snap.snapshot.meta.node_types[0];
  const out = new Map<string, [number, number]>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const name = type.includes('string') ? '(strings)' : snap.strings[snap.nodes[i + nameAt]!]!;
    const key = `${type}: ${name}`.slice(0, 90);
    const entry = out.get(key) ?? [0, 0];
    entry[0]++;
    entry[1] += snap.nodes[i + sizeAt]!;
    out.set(key, entry);
  }
  return out;
}

export async function main(args: string[]): Promise<void> {
  const warm = option(args, 'warm', 500);
  const more = option(args, 'more', 1500);
  const i = args.indexOf('--postgres');
  const postgresUrl = i >= 0 ? args[i + 1] : undefined;
  const files = [
    path.join(tmpdir(), `sb-heap-${process.pid}-1.heapsnapshot`),
    path.join(tmpdir(), `sb-heap-${process.pid}-2.heapsnapshot`),
  ];

  await withBenchDatabase(postgresUrl, async (database) => {
    const s = await startBenchServer(database);
    try {
      const owner = await s.registerOwner();
      const agent = await s.send<{ id: string; slug: string }>(owner, 'POST', '/api/v1/agents', {
        name: 'Heap agent',
        model: 'builtin:scripted',
      });
      const { key } = await s.send<{ key: string }>(owner, 'POST', '/api/v1/api-keys', {
        name: 'heap',
        scopes: ['chat:write', 'agents:read'],
      });
      let ended = 0;
      const unsubscribe = s.ctx.bus.subscribeAll((event) => {
        if (/^run\.(completed|failed)$/.test(event.type)) ended++;
      });
      let submitted = 0;
      const steps = async (n: number) => {
        for (let step = 0; step < n; step++) {
          const res = await fetch(`${s.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            body: JSON.stringify({
              model: agent.slug,
              messages: [{ role: 'user', content: `step ${step}` }],
            }),
          });
          await res.arrayBuffer();
          await s.send(owner, 'POST', '/api/v1/runs', { agentId: agent.id, input: `run ${step}` });
          submitted++;
        }
        // The background runs end after their step; wait for them before counting what stays.
        while (ended < submitted) await new Promise((resolve) => setTimeout(resolve, 50));
        await new Promise((resolve) => setTimeout(resolve, 1000));
        for (let k = 0; k < 5; k++) gc();
        return process.memoryUsage().heapUsed / 1024 / 1024;
      };
      const first = await steps(warm);
      writeHeapSnapshot(files[0]);
      const second = await steps(more);
      writeHeapSnapshot(files[1]);
      unsubscribe();
      process.stdout.write(
        `heap used after ${warm} steps: ${first.toFixed(1)} MB; after ${more} more: ${second.toFixed(1)} MB ` +
          `(${(((second - first) * 1024) / more).toFixed(2)} KiB per step; ${database.kind})\n\n` +
          `${'count'.padStart(8)}${'bytes'.padStart(12)}  kind (grew most between the snapshots)\n`,
      );
    } finally {
      await s.close();
    }
  });
  const [before, after] = files.map(kinds) as [Map<string, [number, number]>, Map<string, [number, number]>];
  const grown = [...after].map(([k, [n, bytes]]) => {
    const [n0, b0] = before.get(k) ?? [0, 0];
    return { k, n: n - n0, bytes: bytes - b0 };
  });
  grown.sort((x, y) => y.bytes - x.bytes);
  for (const g of grown.slice(0, 20)) {
    process.stdout.write(`${String(g.n).padStart(8)}${String(g.bytes).padStart(12)}  ${g.k}\n`);
  }
  for (const f of files) rmSync(f, { force: true });
  process.exit(0);
}
