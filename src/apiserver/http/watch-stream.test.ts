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

describe('WatchStream initial replay', () => {
  it('streams a replay larger than the slow-client bounds (found by the API fuzzer: a watch of 1,100 objects was hung up at once)', async () => {
    const { startTestCluster } = await import('../../../test/apiserver/harness.ts');
    const { findKind } = await import('../../api/kinds.ts');
    const cluster = await startTestCluster({ server: { watchLimits: { maxPendingEvents: 100, maxPendingBytes: 64 * 1024 } } });
    try {
      const configmaps = findKind('v1', 'ConfigMap')!;
      for (let i = 0; i < 300; i++) await cluster.server.registry.create(configmaps, 'default', { metadata: { name: `c${i}` }, data: { k: 'v'.repeat(500) } });
      const watch = await cluster.client.watch('/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1');
      expect(watch.status).toBe(200);
      await watch.waitForEnd();
      expect(watch.events.length).toBe(300);
    } finally {
      await cluster.close();
    }
  });
});
