/**
 * hostPath type checks and creation, as the kubelet's hostPath plugin (`checkType`): the
 * `…OrCreate` types make what is missing (a directory 0755, an empty file 0644), the others
 * must find the right kind of file. Messages are the kubelet's (`hostPath type check failed: …`).
 */
import { mkdir, open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { HostPathType } from './pod-volumes.ts';

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

const WHAT: Record<Exclude<HostPathType, ''>, [test: (s: Stats) => boolean, noun: string]> = {
  DirectoryOrCreate: [(s) => s.isDirectory(), 'a directory'],
  Directory: [(s) => s.isDirectory(), 'a directory'],
  FileOrCreate: [(s) => s.isFile(), 'a file'],
  File: [(s) => s.isFile(), 'a file'],
  Socket: [(s) => s.isSocket(), 'a socket file'],
  CharDevice: [(s) => s.isCharacterDevice(), 'a character device'],
  BlockDevice: [(s) => s.isBlockDevice(), 'a block device'],
};

/** Check (and for the `…OrCreate` types make) `path`; throws with the kubelet's message. */
export async function prepareHostPath(path: string, type: HostPathType): Promise<void> {
  if (type === '') return;
  let info = await statOrUndefined(path);
  if (!info && type === 'DirectoryOrCreate') {
    await mkdir(path, { recursive: true, mode: 0o755 });
    info = await stat(path);
  }
  if (!info && type === 'FileOrCreate') {
    await (await open(path, 'a', 0o644)).close();
    info = await stat(path);
  }
  const [test, noun] = WHAT[type];
  if (!info || !test(info)) throw new Error(`hostPath type check failed: ${path} is not ${noun}`);
}
