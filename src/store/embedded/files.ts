/**
 * Layout of an embedded data dir:
 *   wal-<seq>.log    WAL segments, replayed in seq order
 *   snap-<seq>.snap  full state before segment <seq> (only the newest valid one is used)
 *   *.tmp            a snapshot being written; removed on open
 *   LOCK             pid of the process that has the dir open
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { join } from 'node:path';

const SEQ_WIDTH = 12;

export function segmentPath(dir: string, seq: number): string {
  return join(dir, `wal-${String(seq).padStart(SEQ_WIDTH, '0')}.log`);
}

export function snapshotPath(dir: string, seq: number): string {
  return join(dir, `snap-${String(seq).padStart(SEQ_WIDTH, '0')}.snap`);
}

export type DataFile = { kind: 'segment' | 'snapshot'; seq: number; name: string } | { kind: 'temp'; name: string };

/** Classify a dir entry; undefined for files the store does not own. */
export function parseDataFile(name: string): DataFile | undefined {
  if (name.endsWith('.tmp')) return { kind: 'temp', name };
  const m = /^(wal|snap)-(\d+)\.(log|snap)$/.exec(name);
  if (!m) return undefined;
  return { kind: m[1] === 'wal' ? 'segment' : 'snapshot', seq: Number(m[2]), name };
}

/** Make created, renamed or deleted entries of `dir` durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
