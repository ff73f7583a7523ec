/**
 * FramedStream over a real libp2p pair: a run of length-prefix continuation bytes is refused after
 * the few bytes a frame within the limit needs, instead of being read to its end (found by the
 * wire fuzzer: 16 KB of 0xff held the reader 0.2 s, growing with the square of the run).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameError } from './errors.ts';
import { decodeFrameLength, FramedStream, MAX_LENGTH_PREFIX_BYTES } from './framed.ts';
import { createMeshHost, type MeshHost } from './host.ts';

const list = (bytes: number[]) => ({ byteLength: bytes.length, get: (i: number) => bytes[i]! });

describe('decodeFrameLength', () => {
  it('reads varints up to the limit, asks for more while incomplete, refuses a longer prefix', () => {
    expect(decodeFrameLength(list([0x05]))).toBe(5);
    expect(decodeFrameLength(list([0x80, 0x80, 0x80, 0x02]))).toBe(4 * 1024 * 1024);
    expect(() => decodeFrameLength(list([0xff, 0xff]))).toThrow(RangeError);
    expect(MAX_LENGTH_PREFIX_BYTES).toBe(4);
    expect(() => decodeFrameLength(list([0xff, 0xff, 0xff, 0xff]))).toThrow(FrameError);
  });
});

describe('FramedStream', () => {
  let dir: string;
  let a: MeshHost;
  let b: MeshHost;
  const reads: Promise<unknown>[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-framed-'));
    a = await createMeshHost({ dataDir: join(dir, 'a') });
    b = await createMeshHost({ dataDir: join(dir, 'b') });
    await a.handle('/kactus/test-framed/1.0.0', (stream) => {
      const started = Date.now();
      reads.push(new FramedStream(stream).read().then(
        () => 'a frame',
        (err: Error) => ({ name: err.name, message: err.message, ms: Date.now() - started }),
      ));
    });
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a run of continuation bytes as a bad frame at once, without reading the run', async () => {
    const stream = await b.dialProtocol(a.getMultiaddrs()[0]!, '/kactus/test-framed/1.0.0');
    stream.send(new Uint8Array(256 * 1024).fill(0xff));
    await expect.poll(() => reads.length).toBe(1);
    const outcome = (await reads[0]) as { name: string; message: string; ms: number };
    expect(outcome).toMatchObject({ name: 'FrameError', message: 'frame length prefix longer than 4 bytes' });
    expect(outcome.ms).toBeLessThan(1000);
    stream.abort(new Error('done'));
  });
});
