import { ServerResponse, IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_WATCH_LIMITS, MAX_TIMER_MS, WatchStream, type WatchStreamEnd } from './watch-stream.ts';

describe('WatchStream timeout', () => {
  it('keeps a watch open for a timeoutSeconds past what a timer holds (found by the API fuzzer: it ended at once)', () => {
    vi.useFakeTimers();
    try {
      const res = new ServerResponse(new IncomingMessage(new Socket()));
      const ends: WatchStreamEnd[] = [];
      const stream = new WatchStream(res, () => ({}), DEFAULT_WATCH_LIMITS, (reason) => ends.push(reason));
      stream.open(99_999_999_999 * 1000);
      vi.advanceTimersByTime(60_000);
      expect(ends).toEqual([]);
      vi.advanceTimersByTime(MAX_TIMER_MS);
      expect(ends).toEqual(['timeout']);
    } finally {
      vi.useRealTimers();
    }
  });
});
