/** TransitionOutbox: batches per turn, one message in flight, bounded while away (oldest dropped, counted), resends a failed batch. */
import { describe, expect, it } from 'vitest';
import type { TransitionRecord } from '../src/api/transition.ts';
import type { ActorTransitions } from '../src/net/messages.ts';
import { TransitionOutbox } from './transition-outbox.ts';
import { waitFor } from './test-master.ts';

const rec = (to: string): TransitionRecord => ({ kind: 'Pod', namespace: 'default', name: 'p', uid: 'u', actor: '', time: '2024-01-01T00:00:00.000Z', from: '', to, event: 'e' });
const tos = (body: ActorTransitions) => body.items.map((r) => r.to);

/** A channel the test controls: each send waits until the test settles it. */
function channel() {
  const sent: { body: ActorTransitions; settle: (ok: boolean) => void }[] = [];
  let open = true;
  const send = (body: ActorTransitions): Promise<void> | undefined => {
    if (!open) return undefined;
    return new Promise((resolve, reject) => sent.push({ body, settle: (ok) => (ok ? resolve() : reject(new Error('channel broke'))) }));
  };
  return { sent, send, setOpen: (v: boolean) => void (open = v) };
}

describe('TransitionOutbox', () => {
  it('sends what one turn published as one message, and the next batch only after it was written', async () => {
    const ch = channel();
    const box = new TransitionOutbox(ch.send);
    box.push(rec('a'));
    box.push(rec('b'));
    await waitFor('the first message', () => ch.sent.length === 1);
    box.push(rec('c'));
    box.push(rec('d'));
    await new Promise((r) => setImmediate(r));
    expect(ch.sent).toHaveLength(1);
    ch.sent[0]!.settle(true);
    await waitFor('the second message', () => ch.sent.length === 2);
    expect(ch.sent.map((s) => tos(s.body))).toEqual([['a', 'b'], ['c', 'd']]);
    expect(box.pending).toBe(0);
  });

  it('keeps at most maxPending while no channel is open, drops the oldest and reports how many', async () => {
    const ch = channel();
    ch.setOpen(false);
    const box = new TransitionOutbox(ch.send, 3);
    for (const to of ['1', '2', '3', '4', '5']) box.push(rec(to));
    await new Promise((r) => setImmediate(r));
    expect(ch.sent).toHaveLength(0);
    expect(box.pending).toBe(3);
    ch.setOpen(true);
    box.connected();
    await waitFor('the message', () => ch.sent.length === 1);
    expect(ch.sent[0]!.body).toEqual({ items: [rec('3'), rec('4'), rec('5')], dropped: 2 });
    expect(box.dropped).toBe(2);
  });

  it('puts a batch whose send failed back in front, for the next channel', async () => {
    const ch = channel();
    const box = new TransitionOutbox(ch.send);
    box.push(rec('a'));
    await waitFor('sent', () => ch.sent.length === 1);
    box.push(rec('b'));
    ch.sent[0]!.settle(false);
    await waitFor('back in the queue', () => box.pending === 2);
    box.connected();
    await waitFor('sent again', () => ch.sent.length === 2);
    expect(tos(ch.sent[1]!.body)).toEqual(['a', 'b']);
  });
});
