import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FlushRounds } from './flush-rounds.ts';

describe('FlushRounds', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'setImmediate', 'Date'] }));
  afterEach(() => vi.useRealTimers());

  const client = (): { flush: () => void; flushed: number[] } => {
    const flushed: number[] = [];
    return { flushed, flush: () => flushed.push(Date.now()) };
  };

  it('writes a quiet stream at once, and a busy one at most once per interval, every client once per round', () => {
    const rounds = new FlushRounds(15, () => Date.now());
    const a = client();
    const b = client();
    const start = Date.now();
    rounds.schedule(a);
    vi.advanceTimersByTime(0);
    expect(a.flushed).toEqual([start]);

    // Within the interval: both wait for the round 15 ms after the last, and go out together, once.
    vi.advanceTimersByTime(5);
    rounds.schedule(a);
    rounds.schedule(b);
    rounds.schedule(a);
    vi.advanceTimersByTime(9);
    expect(a.flushed).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(a.flushed).toEqual([start, start + 15]);
    expect(b.flushed).toEqual([start + 15]);

    // Quiet again for longer than the interval: no wait.
    vi.advanceTimersByTime(40);
    rounds.schedule(b);
    vi.advanceTimersByTime(0);
    expect(b.flushed).toEqual([start + 15, start + 55]);
  });

  it('forgets a client that went away before its round', () => {
    const rounds = new FlushRounds(15, () => Date.now());
    const a = client();
    rounds.schedule(a);
    rounds.forget(a);
    vi.advanceTimersByTime(20);
    expect(a.flushed).toEqual([]);
  });

  it('with interval 0 writes every turn of the event loop', () => {
    const rounds = new FlushRounds(0, () => Date.now());
    const a = client();
    for (let i = 0; i < 3; i++) {
      rounds.schedule(a);
      vi.advanceTimersByTime(0);
    }
    expect(a.flushed).toHaveLength(3);
  });
});
