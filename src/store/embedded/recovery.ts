/**
 * Open-time recovery: load the newest valid snapshot, replay the WAL segments after it, cut a
 * torn tail off the last segment, and tidy files that a crash may have left behind.
 */
import { mkdir, open, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { WatchEvent } from '../types.ts';
import { fsyncDir, parseDataFile, segmentPath, snapshotPath } from './files.ts';
import { scanFrames } from './framing.ts';
import { Keyspace } from './keyspace.ts';
import { decodeRecord } from './records.ts';
import { readSnapshot } from './snapshot.ts';

/** Damage that is not a torn tail: a bad frame before the last segment's end, or a missing segment. */
export class CorruptWalError extends Error {
  constructor(detail: string) {
    super(`embedded store WAL is damaged: ${detail}`);
    this.name = 'CorruptWalError';
  }
}

export interface Recovered {
  keyspace: Keyspace;
  /** Watch events of the replayed records, in order (feeds the watch history). */
  events: WatchEvent[];
  /** Revision of the loaded snapshot: history before it is gone. */
  snapshotRevision: number;
  /** Segment new writes go to (one past the last existing one). */
  nextSeq: number;
  /** WAL records and bytes replayed, i.e. written since the snapshot. */
  records: number;
  bytes: number;
}

export async function recover(dir: string, fsync: boolean): Promise<Recovered> {
  await mkdir(dir, { recursive: true });
  const files = (await readdir(dir)).map(parseDataFile);
  for (const f of files) if (f?.kind === 'temp') await rm(join(dir, f.name), { force: true });

  const snapshots = seqs(files, 'snapshot').reverse();
  let keyspace = new Keyspace();
  let baseSeq = 0;
  for (const seq of snapshots) {
    const image = await readSnapshot(snapshotPath(dir, seq));
    if (!image) continue;
    keyspace = Keyspace.fromImage(image);
    baseSeq = seq;
    break;
  }
  const snapshotRevision = keyspace.revision;

  const segments = seqs(files, 'segment');
  // Segments older than the snapshot were folded into it; a crash stopped their deletion.
  for (const seq of segments.filter((s) => s < baseSeq)) await rm(segmentPath(dir, seq), { force: true });
  const live = segments.filter((s) => s >= baseSeq);

  const events: WatchEvent[] = [];
  let records = 0;
  let bytes = 0;
  for (let i = 0; i < live.length; i++) {
    const seq = live[i]!;
    if (i > 0 && seq !== live[i - 1]! + 1) throw new CorruptWalError(`segment ${live[i - 1]! + 1} is missing`);
    const path = segmentPath(dir, seq);
    const buf = await readFile(path);
    const { payloads, validLength } = scanFrames(buf);
    if (validLength < buf.length) {
      if (i !== live.length - 1) throw new CorruptWalError(`bad frame at byte ${validLength} of ${path}`);
      await truncate(path, validLength, fsync);
    }
    for (const p of payloads) {
      for (const ev of keyspace.apply(decodeRecord(p))) events.push(ev);
      records++;
    }
    bytes += validLength;
  }
  const nextSeq = Math.max(live.at(-1) ?? 0, baseSeq - 1) + 1;
  return { keyspace, events, snapshotRevision, nextSeq, records, bytes };
}

/** Drop a torn tail so the segment ends on a whole frame (later recoveries then see no damage). */
async function truncate(path: string, length: number, fsync: boolean): Promise<void> {
  const file = await open(path, 'r+');
  try {
    await file.truncate(length);
    if (fsync) await file.sync();
  } finally {
    await file.close();
  }
}

function seqs(files: ReturnType<typeof parseDataFile>[], kind: 'segment' | 'snapshot'): number[] {
  const out: number[] = [];
  for (const f of files) if (f && f.kind === kind) out.push(f.seq);
  return out.sort((a, b) => a - b);
}

/** Delete snapshots and segments that the snapshot before `seq` has made redundant. */
export async function removeBefore(dir: string, seq: number, fsync: boolean): Promise<void> {
  const files = (await readdir(dir)).map(parseDataFile);
  let removed = false;
  for (const f of files) {
    if (!f || f.kind === 'temp') continue;
    if ((f.kind === 'segment' && f.seq < seq) || (f.kind === 'snapshot' && f.seq < seq)) {
      await rm(join(dir, f.name), { force: true });
      removed = true;
    }
  }
  if (removed && fsync) fsyncDir(dir);
}
