/**
 * The layering of DESIGN.md §2, checked on the imports themselves (relative specifiers of every
 * non-test source file), so a change that reaches around a layer fails here instead of in review:
 * which folder may not import which, and no cycle between top-level folders.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './e2e/harness.ts';

/** Files that are tests or test fixtures may import test helpers; they are not part of the layers. */
const isTestCode = (f: string): boolean =>
  f.endsWith('.test.ts') || /(^|\/)test-[\w-]+\.ts$/.test(f) || f.includes('/testing/') || f.startsWith('test/') || f.startsWith('bench/') ||
  f === 'src/store/conformance.ts' || f === 'src/runtime/conformance.ts' || f.endsWith('measure-docker.ts') || f.includes('netns-lab') || f.includes('/testdata/');

/** `src/actors/pod/machine.ts` → `src/actors`; `node-daemon/x.ts` → `node-daemon`. */
function folderOf(file: string): string {
  const parts = file.split('/');
  return parts[0] === 'src' ? `src/${parts[1]}` : parts[0]!;
}

const SPECIFIER = /(?:^|\s|;)(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function folderImports(): Map<string, Map<string, string[]>> {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: repoRoot, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f !== '' && !isTestCode(f) && (f.startsWith('src/') || f.startsWith('node-daemon/')));
  const edges = new Map<string, Map<string, string[]>>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(join(repoRoot, file), 'utf8');
    } catch {
      continue; // deleted in the working tree
    }
    for (const m of text.matchAll(SPECIFIER)) {
      const target = relative(repoRoot, normalize(join(repoRoot, dirname(file), m[1] ?? m[2]!)));
      const [from, to] = [folderOf(file), folderOf(target)];
      if (from === to) continue;
      const byTarget = edges.get(from) ?? new Map<string, string[]>();
      edges.set(from, byTarget);
      byTarget.set(to, [...(byTarget.get(to) ?? []), `${file} → ${target}`]);
    }
  }
  return edges;
}

/** DESIGN.md §2: "Nothing reaches around a layer". [from, to, why]. */
const NEVER: readonly (readonly [string, string, string])[] = [
  ['src/api', 'src/store', 'the object model does no I/O'],
  ['src/api', 'src/net', 'the object model does no I/O'],
  ['src/store', 'src/actors', 'the store knows nothing of actors'],
  ['src/store', 'src/apiserver', 'the store knows nothing of HTTP'],
  ['src/store', 'src/registry', 'the store knows nothing of the API rules'],
  ['src/registry', 'src/apiserver', 'the registry is client-go: no HTTP'],
  ['src/registry', 'src/actors', 'the registry knows no kind\'s controller'],
  ['src/registry', 'src/master', 'the registry does not know its host'],
  ['src/actors', 'src/apiserver', 'controllers act through the registry, not HTTP'],
  ['src/actors', 'src/master', 'kinds do not know the process that hosts them'],
  ['src/actors', 'node-daemon', 'pod actors know the runtime contract (src/runtime), not the drivers'],
  ['src/scheduler', 'src/master', 'the scheduler does not know the process that hosts it'],
  ['src/scheduler', 'node-daemon', 'the scheduler knows the runtime only through src/runtime'],
  ['src/runtime', 'node-daemon', 'the contract knows no driver'],
  ['node-daemon', 'src/store', 'node daemons reach cluster state only through the mesh'],
  ['node-daemon', 'src/registry', 'node daemons reach cluster state only through the mesh'],
  ['node-daemon', 'src/apiserver', 'node daemons reach cluster state only through the mesh'],
  ['node-daemon', 'src/master', 'node daemons reach cluster state only through the mesh'],
  ['src/metrics', 'src/apiserver', 'metrics are data; their HTTP view is the API server\'s'],
];

describe('architecture (DESIGN.md §2)', () => {
  const edges = folderImports();

  it('the import scan sees the layers (not vacuous)', () => {
    expect(edges.get('src/actors')?.has('src/registry')).toBe(true);
    expect(edges.get('node-daemon')?.has('src/net')).toBe(true);
  });

  it.each(NEVER.map(([from, to, why]) => [`${from} ↛ ${to}`, from, to, why] as const))('%s', (_name, from, to, why) => {
    expect(edges.get(from)?.get(to) ?? [], why).toEqual([]);
  });

  it('has no import cycle between top-level folders', () => {
    const graph = new Map([...edges].map(([from, targets]) => [from, [...targets.keys()]]));
    const cycles: string[] = [];
    const visiting: string[] = [];
    const done = new Set<string>();
    const visit = (node: string): void => {
      if (done.has(node)) return;
      const at = visiting.indexOf(node);
      if (at >= 0) {
        cycles.push([...visiting.slice(at), node].join(' → '));
        return;
      }
      visiting.push(node);
      for (const next of graph.get(node) ?? []) visit(next);
      visiting.pop();
      done.add(node);
    };
    for (const node of graph.keys()) visit(node);
    expect(cycles).toEqual([]);
  });
});
