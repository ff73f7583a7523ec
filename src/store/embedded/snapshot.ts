/**
 * Snapshot files: the whole keyspace at one moment. Layout: 8-byte magic, then WAL-style frames
 * (`framing.ts`): one meta frame, then key frames of up to `KEYS_PER_FRAME` keys each.
 *
 * Written to a temp file, fsync'd, renamed into place and the dir fsync'd, so a reader only ever
 * sees a complete snapshot or none. Keys are encoded one frame at a time with an async write in
 * between, so a large snapshot never stalls the event loop for more than a few milliseconds.
 */
import { open, readFile, rename } from 'node:fs/promises';
import type { KeyValue } from '../types.ts';
import { fsyncDir, snapshotPath } from './files.ts';
import { frame, scanFrames } from './framing.ts';
import type { KeyspaceImage } from './keyspace.ts';
import { packValue, unpackValue } from './records.ts';

const MAGIC = Buffer.from('KACTSNP2');
const KEYS_PER_FRAME = 2000;

type KeyTuple = [key: string, value: string, createRevision: number, modRevision: number, version: number, lease: number];
type Meta = Omit<KeyspaceImage, 'keys'> & { keyCount: number };

/** Write `image` as the snapshot that precedes WAL segment `seq`. */
export async function writeSnapshot(dir: string, seq: number, image: KeyspaceImage, fsync: boolean): Promise<void> {
  const final = snapshotPath(dir, seq);
  const temp = `${final}.tmp`;
  const file = await open(temp, 'w');
  try {
    const { keys, ...rest } = image;
    const meta: Meta = { ...rest, keyCount: keys.length };
    // writeFile loops until every byte is written (a single write may be short).
    await file.writeFile(Buffer.concat([MAGIC, frame(packValue(meta))]));
    for (let i = 0; i < keys.length; i += KEYS_PER_FRAME) {
      const tuples: KeyTuple[] = keys.slice(i, i + KEYS_PER_FRAME).map((kv) => [kv.key, kv.value, kv.createRevision, kv.modRevision, kv.version, kv.lease ?? 0]);
      await file.writeFile(frame(packValue(tuples)));
    }
    if (fsync) await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, final);
  if (fsync) fsyncDir(dir);
}

/** Read a snapshot; undefined when it is incomplete or damaged (the caller falls back). */
export async function readSnapshot(path: string): Promise<KeyspaceImage | undefined> {
  const buf = await readFile(path);
  if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const body = buf.subarray(MAGIC.length);
  const { payloads, validLength } = scanFrames(body);
  if (validLength !== body.length || payloads.length === 0) return undefined;
  const meta = unpackValue(payloads[0]!) as Meta;
  const keys: KeyValue[] = [];
  for (const p of payloads.slice(1)) {
    for (const [key, value, createRevision, modRevision, version, lease] of unpackValue(p) as KeyTuple[]) {
      keys.push({ key, value, createRevision, modRevision, version, lease });
    }
  }
  if (keys.length !== meta.keyCount) return undefined;
  return { revision: meta.revision, compactRevision: meta.compactRevision, nextLeaseId: meta.nextLeaseId, leases: meta.leases, keys };
}
