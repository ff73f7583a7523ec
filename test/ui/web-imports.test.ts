/**
 * DESIGN.md §2: the web UI is a client like kubectl — HTTP and WebSocket only. Its browser code
 * imports nothing of the server (no file outside web/src) and only the packages it bundles.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../e2e/harness.ts';

const WEB = join(repoRoot, 'web/src');
/** What the bundle may contain besides its own files (package.json dependencies). */
const PACKAGES = ['lit', 'elkjs', 'yaml'];
const SPECIFIER = /(?:^|\s|;)(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\s|;)import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.startsWith('test-') ? [join(dir, e.name)] : []));
}

describe('web/src imports', () => {
  const files = sources(WEB);

  it('finds the browser code (not vacuous)', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it('imports only its own files and the packages it bundles', () => {
    const offending: string[] = [];
    const seen = new Set<string>();
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
        const spec = (m[1] ?? m[2] ?? m[3])!;
        seen.add(spec);
        if (spec.startsWith('.')) {
          const target = normalize(join(file, '..', spec));
          if (relative(WEB, target).startsWith('..')) offending.push(`${relative(repoRoot, file)} → ${spec}`);
        } else if (!PACKAGES.some((p) => spec === p || spec.startsWith(`${p}/`))) {
          offending.push(`${relative(repoRoot, file)} → ${spec}`);
        }
      }
    }
    expect(offending).toEqual([]);
    expect([...seen]).toEqual(expect.arrayContaining(['lit', './components/app.ts']));
  });
});
