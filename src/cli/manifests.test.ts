import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from './errors.ts';
import { parseManifests, readManifests } from './manifests.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kactus-manifests-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

describe('parseManifests', () => {
  it('reads every document, skips empty ones and expands Lists', () => {
    const text = `${cm('a')}---\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n- {apiVersion: v1, kind: ConfigMapList, items: [{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}]}\n`;
    expect(parseManifests(text, 'f.yaml').map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(['ConfigMap/a', 'Secret/b', 'ConfigMap/c']);
  });

  it('reads JSON too', () => {
    expect(parseManifests('{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n"}}', 'f.json')[0]!.kind).toBe('Namespace');
  });

  it('rejects YAML errors and objects without apiVersion, kind or name, naming the file', () => {
    expect(() => parseManifests('a: [', 'bad.yaml')).toThrow(/error parsing bad.yaml/);
    expect(() => parseManifests('kind: Pod\nmetadata: {name: x}', 'f.yaml')).toThrow(/apiVersion not set/);
    expect(() => parseManifests('apiVersion: v1\nmetadata: {name: x}', 'f.yaml')).toThrow(/kind not set/);
    expect(() => parseManifests('apiVersion: v1\nkind: Pod\nmetadata: {}', 'f.yaml')).toThrow(CliError);
  });
});

describe('readManifests', () => {
  it('reads files, directories (sorted .yaml/.yml/.json only) and stdin, tagging each with its file', async () => {
    await writeFile(join(dir, 'b.yml'), cm('b'));
    await writeFile(join(dir, 'a.yaml'), cm('a'));
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    const out = await readManifests([dir, '-', join(dir, 'a.yaml')], async () => cm('s'));
    expect(out.map((m) => `${m.file}:${m.object.metadata.name}`)).toEqual([
      `${join(dir, 'a.yaml')}:a`,
      `${join(dir, 'b.yml')}:b`,
      'STDIN:s',
      `${join(dir, 'a.yaml')}:a`,
    ]);
    await expect(readManifests([join(dir, 'missing.yaml')])).rejects.toThrow(/does not exist/);
  });
});
