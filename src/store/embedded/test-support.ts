/** Shared fixtures for this folder's tests: a temp data dir that is removed afterwards. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WatchEvent } from '../types.ts';

export interface TempDir {
  path: string;
  remove(): Promise<void>;
}

export async function tempDir(): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), 'kactus-embedded-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Let queued microtasks and already-resolved I/O callbacks run (memory-store deliveries). */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function summarize(events: WatchEvent[]): string[] {
  return events.map((e) => `${e.type} ${e.kv.key}@${e.kv.modRevision}`);
}
