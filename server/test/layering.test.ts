import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The shape of the server, checked on every run (DESIGN.md "Who calls whom"): `platform/` imports no
 * domain, and no two domains import each other, directly or around a circle. A domain that needs a
 * later one gets a function from the composition root (domains.ts) instead of importing it.
 */

const SRC = fileURLToPath(new URL('../src', import.meta.url));
/** Files at the top of src/ wire the domains together; they may import anything. */
const ROOT = '(root)';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => path.join(dir, f));
}

const domainOf = (file: string): string => {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length === 1 ? ROOT : rel[0]!;
};

/** Every relative import (type-only ones too: a type is a dependency) of each file, as domains. */
function domainGraph(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  const pattern = /(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const file of sourceFiles(SRC)) {
    const from = domainOf(file);
    const edges = graph.get(from) ?? new Map<string, string[]>();
    graph.set(from, edges);
    for (const match of readFileSync(file, 'utf8').matchAll(pattern)) {
      const to = domainOf(path.resolve(path.dirname(file), match[1]!));
      if (to === from) continue;
      edges.set(to, [...(edges.get(to) ?? []), path.relative(SRC, file)]);
    }
  }
  return graph;
}

/** The cycles among domains (strongly connected components of more than one), each sorted. */
function cycles(graph: Map<string, Map<string, string[]>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return found;
}

describe('the shape of the server', () => {
  const graph = domainGraph();

  it('has domains to check (the walk found the source)', () => {
    expect([...graph.keys()]).toEqual(expect.arrayContaining(['platform', 'execution', 'runs', 'chat']));
  });

  it('keeps platform/ free of domains', () => {
    const reached = [...(graph.get('platform') ?? new Map()).entries()].map(
      ([to, files]) => `${to} (from ${files.join(', ')})`,
    );
    expect(reached).toEqual([]);
  });

  it('has no cycle between domains', () => {
    const described = cycles(graph).map((cycle) =>
      cycle
        .flatMap((a) =>
          cycle
            .filter((b) => graph.get(a)?.has(b))
            .map((b) => `${a} -> ${b} (${graph.get(a)!.get(b)!.slice(0, 2).join(', ')})`),
        )
        .join('; '),
    );
    expect(described).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself works)', () => {
    const fake = new Map([
      ['a', new Map([['b', ['a/x.ts']]])],
      ['b', new Map([['c', ['b/x.ts']]])],
      ['c', new Map([['a', ['c/x.ts']]])],
      ['d', new Map([['a', ['d/x.ts']]])],
    ]);
    expect(cycles(fake)).toEqual([['a', 'b', 'c']]);
  });
});
