import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyedHeap } from './heap.ts';
import { SchedulingQueue } from './queue.ts';

/** Pops what is in activeQ now, without waiting. */
async function drain(q: SchedulingQueue): Promise<string[]> {
  const keys: string[] = [];
  while (q.sizes.active > 0) keys.push((await q.pop()) as string);
  return keys;
}

describe('SchedulingQueue', () => {
  let q: SchedulingQueue;
  beforeEach(() => {
    vi.useFakeTimers();
    q = new SchedulingQueue({ initialBackoffMs: 1000, maxBackoffMs: 4000, flushAfterMs: 60_000 });
  });
  afterEach(() => {
    q.close();
    vi.useRealTimers();
  });

  it('activeQ: higher priority first, then first come first served; a key is queued once', async () => {
    q.add('a');
    q.add('b', 10);
    q.add('c');
    q.add('d', 10);
    q.add('a');
    expect(await drain(q)).toEqual(['b', 'd', 'a', 'c']);
  });

  it('a failed pod waits out its backoff (doubling, capped) in backoffQ, then comes back', async () => {
    q.add('p');
    await q.pop();
    q.retryLater('p');
    expect(q.sizes).toEqual({ active: 0, backoff: 1, unschedulable: 0 });
    vi.advanceTimersByTime(999);
    expect(q.sizes.active).toBe(0);
    vi.advanceTimersByTime(1);
    expect(await drain(q)).toEqual(['p']);
    q.retryLater('p');
    vi.advanceTimersByTime(1999);
    expect(q.sizes.active).toBe(0);
    vi.advanceTimersByTime(1);
    expect(await drain(q)).toEqual(['p']);
    q.retryLater('p');
    q.retryLater('p');
    await drain(q);
    // Fourth failure: 8 s, capped at 4 s.
    vi.advanceTimersByTime(4000);
    expect(q.sizes.active + q.sizes.backoff).toBe(1);
  });

  it('unschedulable pods stay parked until a cluster event moves them (to backoffQ while backing off)', async () => {
    q.add('p');
    q.add('r');
    await drain(q);
    q.markUnschedulable('p');
    vi.advanceTimersByTime(5000);
    q.markUnschedulable('r');
    expect(q.sizes).toEqual({ active: 0, backoff: 0, unschedulable: 2 });
    q.moveAllToActiveOrBackoff();
    // p failed 5 s ago (its 1 s backoff is over); r just failed.
    expect(q.sizes).toEqual({ active: 1, backoff: 1, unschedulable: 0 });
    expect(await drain(q)).toEqual(['p']);
    vi.advanceTimersByTime(1000);
    expect(await drain(q)).toEqual(['r']);
  });

  it('parked pods are retried after flushAfterMs without any event', async () => {
    q.add('p');
    await drain(q);
    q.markUnschedulable('p');
    vi.advanceTimersByTime(60_000);
    expect(await drain(q)).toEqual(['p']);
  });

  it('delete takes a key out of whichever queue holds it; an update of a parked pod retries it at once', async () => {
    q.add('a');
    q.add('b');
    q.delete('a');
    expect(await drain(q)).toEqual(['b']);
    q.markUnschedulable('b');
    q.delete('b');
    q.moveAllToActiveOrBackoff();
    expect(q.sizes).toEqual({ active: 0, backoff: 0, unschedulable: 0 });
    q.add('c');
    await drain(q);
    q.markUnschedulable('c');
    q.add('c');
    expect(await drain(q)).toEqual(['c']);
  });

  it('pop waits for the next key; close ends the wait', async () => {
    const next = q.pop();
    q.add('x');
    expect(await next).toBe('x');
    const last = q.pop();
    q.close();
    expect(await last).toBeUndefined();
  });
});

describe('KeyedHeap', () => {
  it('pops in order after pushes, updates and deletes by key', () => {
    const h = new KeyedHeap<number>((a, b) => a < b);
    const model = new Map<string, number>();
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const key = `k${Math.floor(rand() * 50)}`;
      const r = rand();
      if (r < 0.6) {
        const v = Math.floor(rand() * 1000);
        h.push(key, v);
        model.set(key, v);
      } else if (r < 0.8) {
        expect(h.delete(key)).toBe(model.delete(key));
      } else {
        const top = h.pop();
        const min = Math.min(...model.values());
        if (model.size === 0) expect(top).toBeUndefined();
        else {
          expect(top?.value).toBe(min);
          model.delete(top?.key as string);
        }
      }
      expect(h.size).toBe(model.size);
    }
  });
});

describe('SchedulingQueue: a cluster event during an attempt', () => {
  it('a pod found unschedulable after a move request that came while it was being scheduled is retried, not parked', async () => {
    const q = new SchedulingQueue({ initialBackoffMs: 1, maxBackoffMs: 1 });
    q.add('ns/p');
    expect(await q.pop()).toBe('ns/p');
    // The victim's deletion arrives while the attempt runs.
    q.moveAllToActiveOrBackoff();
    q.markUnschedulable('ns/p');
    expect(q.sizes.unschedulable).toBe(0);
    expect(await q.pop()).toBe('ns/p');
    // No event this time: parked.
    q.markUnschedulable('ns/p');
    expect(q.sizes).toEqual({ active: 0, backoff: 0, unschedulable: 1 });
    q.close();
  });
});
