import { describe, expect, it } from 'vitest';
import { frame, scanFrames } from './framing.ts';
import { decodeRecord, encodeRecord, type WalRecord } from './records.ts';

const records: WalRecord[] = [
  { type: 'write', rev: 1, changes: [{ key: '/a', value: 'x', lease: 0 }] },
  { type: 'grant', id: 3, ttlSeconds: 10 },
  { type: 'write', rev: 2, changes: [{ key: '/a' }, { key: '/b', value: 'é✓', lease: 3 }] },
  { type: 'revoke', id: 3, rev: 3 },
  { type: 'compact', rev: 2 },
];

describe('WAL framing and records', () => {
  const log = Buffer.concat(records.map((r) => frame(encodeRecord(r))));

  it('round-trips every record type', () => {
    const { payloads, validLength } = scanFrames(log);
    expect(validLength).toBe(log.length);
    expect(payloads.map(decodeRecord)).toEqual(records);
  });

  it('drops a torn tail cut at any byte, keeping every whole frame before it', () => {
    const ends: number[] = [];
    let pos = 0;
    for (const r of records) ends.push((pos += frame(encodeRecord(r)).length));
    for (let cut = 0; cut < log.length; cut++) {
      const whole = ends.filter((e) => e <= cut);
      const { payloads, validLength } = scanFrames(log.subarray(0, cut));
      expect(payloads).toHaveLength(whole.length);
      expect(validLength).toBe(whole.at(-1) ?? 0);
    }
  });

  it('stops at a frame whose checksum does not match', () => {
    const damaged = Buffer.from(log);
    const secondStart = frame(encodeRecord(records[0]!)).length;
    damaged[secondStart + 9] = damaged[secondStart + 9]! ^ 0xff;
    const { payloads, validLength } = scanFrames(damaged);
    expect(payloads).toHaveLength(1);
    expect(validLength).toBe(secondStart);
  });

  it('treats zero-filled space after the last frame as a torn tail', () => {
    const padded = Buffer.concat([log, Buffer.alloc(64)]);
    const { payloads, validLength } = scanFrames(padded);
    expect(payloads).toHaveLength(records.length);
    expect(validLength).toBe(log.length);
  });
});
