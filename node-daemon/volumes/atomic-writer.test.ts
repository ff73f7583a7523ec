/** The kubelet's AtomicWriter layout and update rules, on a real directory. */
import { mkdtemp, readdir, readFile, readlink, rm, stat, lstat, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidPayloadPathError, validatePayloadPath, writeAtomically, type FileProjection } from './atomic-writer.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kactus-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const file = (text: string, mode = 0o644): FileProjection => ({ data: Buffer.from(text), mode });
const payload = (entries: Record<string, FileProjection>) => new Map(Object.entries(entries));
const target = () => join(dir, 'vol');

describe('writeAtomically', () => {
  it('lays out a timestamped dir, ..data and one link per top-level name', async () => {
    const at = new Date(Date.UTC(2024, 4, 1, 10, 2, 3));
    expect(await writeAtomically(target(), payload({ a: file('1'), 'conf/b.yaml': file('2', 0o400) }), at)).toBe(true);
    const entries = (await readdir(target())).sort();
    expect(entries).toHaveLength(4);
    const tsDir = await readlink(join(target(), '..data'));
    expect(tsDir).toMatch(/^\.\.2024_05_01_10_02_03\./);
    expect(entries).toEqual(['..data', tsDir, 'a', 'conf'].sort());
    expect(await readlink(join(target(), 'a'))).toBe('..data/a');
    expect(await readlink(join(target(), 'conf'))).toBe('..data/conf');
    expect(await readFile(join(target(), 'conf/b.yaml'), 'utf8')).toBe('2');
    expect((await stat(join(target(), 'conf/b.yaml'))).mode & 0o777).toBe(0o400);
    expect((await stat(join(target(), 'a'))).mode & 0o777).toBe(0o644);
    expect((await stat(join(target(), tsDir))).mode & 0o777).toBe(0o755);
  });

  it('an unchanged payload touches nothing; a change swaps ..data, drops gone names and the old dir', async () => {
    await writeAtomically(target(), payload({ a: file('1'), b: file('2'), 'd/x': file('3') }));
    const first = await readlink(join(target(), '..data'));
    expect(await writeAtomically(target(), payload({ a: file('1'), b: file('2'), 'd/x': file('3') }))).toBe(false);
    expect(await readlink(join(target(), '..data'))).toBe(first);

    expect(await writeAtomically(target(), payload({ a: file('1*'), c: file('4') }))).toBe(true);
    const second = await readlink(join(target(), '..data'));
    expect(second).not.toBe(first);
    expect((await readdir(target())).sort()).toEqual(['..data', second, 'a', 'c'].sort());
    expect(await readFile(join(target(), 'a'), 'utf8')).toBe('1*');
    expect(await readFile(join(target(), 'c'), 'utf8')).toBe('4');
  });

  it('a mode change alone is written; removing a nested file only is a change', async () => {
    await writeAtomically(target(), payload({ a: file('1'), 'd/x': file('x'), 'd/y': file('y') }));
    expect(await writeAtomically(target(), payload({ a: file('1', 0o600), 'd/x': file('x'), 'd/y': file('y') }))).toBe(true);
    expect((await stat(join(target(), 'a'))).mode & 0o777).toBe(0o600);
    expect(await writeAtomically(target(), payload({ a: file('1', 0o600), 'd/x': file('x') }))).toBe(true);
    expect(await readdir(join(target(), 'd'))).toEqual(['x']);
  });

  it('a reader holding the old file keeps reading it; a reader of the link gets the new one', async () => {
    await writeAtomically(target(), payload({ a: file('old') }));
    const resolved = join(target(), await readlink(join(target(), '..data')), 'a');
    const held = await open(resolved, 'r');
    try {
      await writeAtomically(target(), payload({ a: file('new') }));
      expect((await held.readFile()).toString()).toBe('old');
      expect(await readFile(join(target(), 'a'), 'utf8')).toBe('new');
      await expect(lstat(resolved)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await held.close();
    }
  });

  it('an empty payload leaves only ..data and its dir', async () => {
    await writeAtomically(target(), payload({ a: file('1') }));
    expect(await writeAtomically(target(), payload({}))).toBe(true);
    expect((await readdir(target())).filter((n) => !n.startsWith('..'))).toEqual([]);
  });

  it('refuses bad paths before writing anything (the kubelet messages)', async () => {
    await expect(writeAtomically(target(), payload({ '../x': file('1') }))).rejects.toThrow("invalid path: must not contain '..': ../x");
    await expect(readdir(target())).rejects.toMatchObject({ code: 'ENOENT' });
    expect(() => validatePayloadPath('')).toThrow('invalid path: must not be empty: ""');
    expect(() => validatePayloadPath('/etc/passwd')).toThrow('invalid path: must be relative path: /etc/passwd');
    expect(() => validatePayloadPath('..data')).toThrow("invalid path: must not start with '..': ..data");
    expect(() => validatePayloadPath('a/../../b')).toThrow(InvalidPayloadPathError);
    expect(() => validatePayloadPath('x'.repeat(256))).toThrow('invalid path: filenames must be less than or equal to 255 characters');
    expect(() => validatePayloadPath('..')).toThrow("invalid path: must not contain '..': ..");
    expect(() => validatePayloadPath('.hidden/..ok')).not.toThrow();
  });
});
