/**
 * The top lines of a V8 CPU profile (`node --cpu-prof`): `node --import tsx bench/profile-top.ts
 * FILE.cpuprofile [N]` prints the N (default 25) functions with the most self time and with the
 * most inclusive time, as a share of the busy samples (idle excluded), as bench/README.md quotes
 * them before and after a change.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function label(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const file = url ? `${basename(url.replace(/\?.*$/, ''))}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${file ? ` ${file}` : ''}`;
}

export function topLines(profile: Profile, n = 25): { busyMs: number; self: [string, number][]; inclusive: [string, number][] } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busyMs = 0;
  for (const [id, ms] of selfMs) {
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    busyMs += ms;
    self.set(label(node), (self.get(label(node)) ?? 0) + ms);
    // Inclusive: each distinct function on the stack once (recursion counted once).
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const l = label(byId.get(at) as ProfileNode);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + ms);
    }
  }
  const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  return { busyMs, self: top(self), inclusive: top(inclusive).filter(([l]) => !l.startsWith('(root)')) };
}

function main(): void {
  // Piped into `head`: stop quietly when the reader goes.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const [file, count] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-top.ts FILE.cpuprofile [N]');
  const { busyMs, self, inclusive } = topLines(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(count ?? 25));
  const pct = (ms: number) => `${((ms / busyMs) * 100).toFixed(1)}%`;
  console.log(`${basename(file)}: ${(busyMs / 1000).toFixed(1)} s busy\n`);
  console.log('| self | function |\n| --- | --- |');
  for (const [l, ms] of self) console.log(`| ${pct(ms)} | \`${l}\` |`);
  console.log('\n| inclusive | function |\n| --- | --- |');
  for (const [l, ms] of inclusive) console.log(`| ${pct(ms)} | \`${l}\` |`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
