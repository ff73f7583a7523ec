import type { Writable } from 'node:stream';
import * as ws from 'ws';
import { describe, expect, it } from 'vitest';
import { wireFrame } from './messages.ts';

// ws's frame parser (exported, but not in @types/ws).
const { Receiver } = ws as unknown as { Receiver: new (opts: { isServer: boolean }) => Writable };

/** What a WebSocket client makes of `bytes`: ws's own frame parser, as a client (unmasked frames). */
function receive(bytes: Buffer): { data: Buffer; isBinary: boolean }[] {
  const out: { data: Buffer; isBinary: boolean }[] = [];
  const receiver = new Receiver({ isServer: false });
  receiver.on('message', (data: Buffer, isBinary: boolean) => out.push({ data, isBinary }));
  receiver.write(bytes);
  return out;
}

describe('wireFrame', () => {
  it.each([0, 1, 125, 126, 65_535, 65_536, 200_000])('frames a %i-byte payload as a client reads it', (size) => {
    const text = 'é'.repeat(Math.floor(size / 2)) + (size % 2 ? 'x' : '');
    const [msg] = receive(wireFrame(text, false));
    expect(msg!.isBinary).toBe(false);
    expect(msg!.data.toString('utf8')).toBe(text);
    const bytes = Buffer.alloc(size, 7);
    const [bin] = receive(wireFrame(bytes, true));
    expect(bin!.isBinary).toBe(true);
    expect(bin!.data.equals(bytes)).toBe(true);
  });

  it('concatenated frames are read one by one (a corked batch)', () => {
    const msgs = receive(Buffer.concat([wireFrame('{"a":1}', false), wireFrame(Buffer.from([1, 2]), true), wireFrame('x'.repeat(300), false)]));
    expect(msgs.map((m) => m.data.length)).toEqual([7, 2, 300]);
  });
});
