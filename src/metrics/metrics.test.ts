import { describe, expect, it } from 'vitest';
import type { RuntimePod } from '../runtime/types.ts';
import { collectNodeMetrics, NodeMetricsReporter } from './collector.ts';
import { PodMetricsStore } from './pod-metrics-store.ts';
import { formatCpu, formatMemory } from './quantity-format.ts';
import type { NodeMetricsSample } from './types.ts';
import { isNodeMetricsSample } from './wire.ts';

const pod = (name: string, cpu: number, mem: number) => ({ namespace: 'default', name, containers: [{ name: 'c', cpuNanoCores: cpu, memoryBytes: mem }] });

describe('quantity format (metrics-server canonical form)', () => {
  it.each([
    [0, '0'],
    [12_000_000, '12m'],
    [2_000_000_000, '2'],
    [123_456, '123456n'],
    [5_000, '5u'],
  ])('cpu %d -> %s', (n, q) => expect(formatCpu(n)).toBe(q));
  it.each([
    [0, '0'],
    [1234 * 1024, '1234Ki'],
    [5 * 1024 ** 2, '5Mi'],
    [1024 ** 3, '1Gi'],
    [1_000_000, '1000000'],
  ])('memory %d -> %s', (b, q) => expect(formatMemory(b)).toBe(q));
});

describe('PodMetricsStore', () => {
  it('keeps the latest sample per node, drops pods gone from it, follows moved pods, sums nodes', () => {
    let now = 1_000_000;
    const s = new PodMetricsStore({ now: () => now, maxAgeMs: 60_000 });
    s.recordNodeMetrics({ node: 'a', timestamp: now, windowSeconds: 15, pods: [pod('p1', 100, 10), pod('p2', 200, 20)] });
    s.recordNodeMetrics({ node: 'b', timestamp: now, windowSeconds: 15, pods: [pod('q', 1, 1)] });
    expect(s.listPods('default').map((p) => p.name)).toEqual(['p1', 'p2', 'q']);
    expect(s.getNode('a')).toMatchObject({ cpuNanoCores: 300, memoryBytes: 30 });

    // An older sample than the one held is ignored.
    s.recordNodeMetrics({ node: 'a', timestamp: now - 1, windowSeconds: 15, pods: [] });
    expect(s.getPod('default', 'p2')).toBeDefined();

    now += 15_000;
    s.recordNodeMetrics({ node: 'a', timestamp: now, windowSeconds: 15, pods: [pod('p1', 150, 10)] });
    expect(s.getPod('default', 'p2')).toBeUndefined();
    expect(s.getPod('default', 'p1')?.containers[0].cpuNanoCores).toBe(150);
    // q moves to a; b's older sample no longer answers for it.
    s.recordNodeMetrics({ node: 'a', timestamp: now + 1, windowSeconds: 15, pods: [pod('p1', 150, 10), pod('q', 7, 7)] });
    expect(s.listPods().filter((p) => p.name === 'q')).toHaveLength(1);
    expect(s.getPod('default', 'q')?.containers[0].cpuNanoCores).toBe(7);
    expect(s.listPods('other')).toEqual([]);

    // Stale samples are not served.
    now += 61_000;
    expect(s.listPods()).toEqual([]);
    expect(s.listNodes()).toEqual([]);
  });

  it('forgets a node', () => {
    const s = new PodMetricsStore();
    s.recordNodeMetrics({ node: 'a', timestamp: Date.now(), windowSeconds: 15, pods: [pod('p', 1, 1)] });
    s.forgetNode('a');
    expect(s.getPod('default', 'p')).toBeUndefined();
    expect(s.getNode('a')).toBeUndefined();
  });
});

const runtimePods: RuntimePod[] = [
  {
    podUid: 'u1',
    namespace: 'default',
    name: 'web',
    sandboxId: 's1',
    containers: [
      { name: 'app', id: 'c1', state: 'running' },
      { name: 'side', id: 'c2', state: 'running' },
      { name: 'done', id: 'c3', state: 'exited' },
    ],
  },
  { podUid: 'u2', namespace: 'default', name: 'vanishing', sandboxId: 's2', containers: [{ name: 'app', id: 'gone', state: 'running' }] },
];

describe('collectNodeMetrics', () => {
  it('samples running containers in parallel, leaving out exited and vanished ones', async () => {
    const resolvers: (() => void)[] = [];
    const asked: string[] = [];
    const runtime = {
      stats: (id: string) => {
        asked.push(id);
        if (id === 'gone') return Promise.reject(new Error('no such container'));
        return new Promise<{ cpuNanoCores: number; memoryBytes: number }>((resolve) => resolvers.push(() => resolve({ cpuNanoCores: id === 'c1' ? 5e6 : 1e6, memoryBytes: 1024 })));
      },
    };
    const sampling = collectNodeMetrics(runtime, runtimePods, 'n1', () => 42);
    // Both stats calls are in flight before either answers: parallel.
    await Promise.resolve();
    expect(asked.sort()).toEqual(['c1', 'c2', 'gone']);
    for (const r of resolvers) r();
    const sample = await sampling;
    expect(sample).toEqual({
      node: 'n1',
      timestamp: 42,
      windowSeconds: 15,
      pods: [{ namespace: 'default', name: 'web', containers: [{ name: 'app', cpuNanoCores: 5e6, memoryBytes: 1024 }, { name: 'side', cpuNanoCores: 1e6, memoryBytes: 1024 }] }],
    });
  });

  it('the reporter skips a tick while a sample is still running', async () => {
    const pending: (() => void)[] = [];
    const sent: NodeMetricsSample[] = [];
    const reporter = new NodeMetricsReporter({
      node: 'n1',
      runtime: {
        listPods: () => Promise.resolve(runtimePods.slice(0, 1)),
        stats: () => new Promise((resolve) => pending.push(() => resolve({ cpuNanoCores: 1, memoryBytes: 1 }))),
      },
      send: (s) => void sent.push(s),
    });
    const first = reporter.tick();
    expect(await reporter.tick()).toBe(false);
    await new Promise<void>((r) => setImmediate(r));
    for (const release of pending) release();
    expect(await first).toBe(true);
    expect(sent).toHaveLength(1);
  });
});

describe('isNodeMetricsSample', () => {
  it('accepts a sample and rejects malformed ones', () => {
    const ok = { node: 'n1', timestamp: 1, windowSeconds: 15, pods: [pod('p', 1, 2)] };
    expect(isNodeMetricsSample(ok)).toBe(true);
    expect(isNodeMetricsSample({ ...ok, pods: [{ namespace: 'd', name: 'p', containers: [{ name: 'c', cpuNanoCores: -1, memoryBytes: 0 }] }] })).toBe(false);
    expect(isNodeMetricsSample({ ...ok, timestamp: 'now' })).toBe(false);
    expect(isNodeMetricsSample({ ...ok, pods: {} })).toBe(false);
  });
});
