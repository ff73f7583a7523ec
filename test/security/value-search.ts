/**
 * Looking for a secret value where it must not be: the needles (the value plain, base64 and
 * base64 of base64, each base64 form at all three byte alignments, so a value embedded anywhere
 * in a larger base64-encoded blob is found too) and a search of every file under a directory.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Needle {
  /** `plain`, `base64@0`, `base64(base64)@2`, ... */
  form: string;
  bytes: Buffer;
}

export interface Hit {
  where: string;
  form: string;
}

/**
 * The characters of base64(`text`) that do not depend on what surrounds it, for each of the
 * three offsets (mod 3) it may start at inside a larger encoded buffer: the leading characters
 * mixed with the previous bytes and the last group (mixed with the next ones, or padding) are cut.
 */
function base64Cores(text: Buffer): Buffer[] {
  return [0, 1, 2].map((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset), text]).toString('base64');
    const skip = Math.ceil((offset * 8) / 6);
    return Buffer.from(encoded.slice(skip, encoded.length - 4));
  });
}

/** Every form of `value` to look for. Needs a value of 24+ bytes so each base64 core stays long. */
export function needlesFor(value: string): Needle[] {
  if (value.length < 24) throw new Error('use a value of at least 24 characters: short base64 cores match by chance');
  const plain = Buffer.from(value);
  const b64 = Buffer.from(plain.toString('base64'));
  return [
    { form: 'plain', bytes: plain },
    ...base64Cores(plain).map((bytes, i) => ({ form: `base64@${i}`, bytes })),
    ...base64Cores(b64).map((bytes, i) => ({ form: `base64(base64)@${i}`, bytes })),
  ];
}

/** Where any needle occurs in `data` (one hit per needle form). */
export function searchBuffer(where: string, data: Buffer, needles: Needle[]): Hit[] {
  return needles.filter((n) => data.includes(n.bytes)).map((n) => ({ where, form: n.form }));
}

/** tmpfs mount points strictly under `dir`: memory, not disk (the node's Secret and token volumes). */
export async function memoryMountsUnder(dir: string): Promise<string[]> {
  const table = await readFile('/proc/self/mounts', 'utf8');
  return table
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f[2] === 'tmpfs' && f[1] !== undefined)
    .map((f) => f[1]!.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))))
    .filter((p) => p.startsWith(dir.endsWith('/') ? dir : `${dir}/`));
}

/** Every regular file under `dir` (symlinks not followed), except under the directories in `skip`. */
export async function filesUnder(dir: string, skip: ReadonlySet<string> = new Set()): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skip.has(path)) out.push(...(await filesUnder(path, skip)));
    } else if (entry.isFile()) out.push(path);
  }
  return out;
}

/**
 * Searches every regular file on disk under `dir` (tmpfs mounts inside it are memory and are
 * skipped, and listed); returns the hits and how many files (and bytes) were read.
 */
export async function searchDir(dir: string, needles: Needle[]): Promise<{ hits: Hit[]; files: number; bytes: number; memoryMounts: string[] }> {
  const hits: Hit[] = [];
  let bytes = 0;
  const memoryMounts = await memoryMountsUnder(dir);
  const files = await filesUnder(dir, new Set(memoryMounts));
  let searched = 0;
  for (const file of files) {
    // A file removed meanwhile (a rotated WAL segment) is no longer at rest anywhere.
    const data = await readFile(file).catch(() => undefined);
    if (!data) continue;
    searched++;
    bytes += data.length;
    hits.push(...searchBuffer(file, data, needles));
  }
  return { hits, files: searched, bytes, memoryMounts };
}
