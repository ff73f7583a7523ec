import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.ts';
import { SchedulerCache } from './cache.ts';
import { node, nodeInfo, pod } from './test-fixtures.ts';

const bound = (name: string, nodeName: string, cpu = '100m', extra: { phase?: string; hostPorts?: { port: number }[] } = {}): KubeObject => pod({ name, nodeName, cpu, memory: '64Mi', ...extra });
const info = (cache: SchedulerCache, name: string) => {
  const i = cache.nodeInfo(name);
  return i && { requested: i.requested, nonZeroRequested: i.nonZeroRequested, podCount: i.podCount };
};

describe('SchedulerCache (incremental NodeInfo)', () => {
  it('adds and subtracts each pod\'s share as the informer reports it, without re-summing', () => {
    const cache = new SchedulerCache();
    cache.setNode(node({ name: 'a' }));
    cache.setPod(bound('p1', 'a', '250m'));
    cache.setPod(bound('p2', 'a', '500m'));
    expect(info(cache, 'a')).toMatchObject({ requested: { cpu: 0.75, memory: 128 * 2 ** 20, pods: 2 }, podCount: 2 });
    // A status update of a placed pod changes nothing and costs nothing.
    const before = cache.stats.podsAccounted;
    cache.setPod({ ...bound('p1', 'a', '250m'), status: { phase: 'Running' } });
    expect(cache.stats.podsAccounted).toBe(before);
    // Finished pods free their room; deleted ones too.
    cache.setPod(bound('p1', 'a', '250m', { phase: 'Succeeded' }));
    expect(info(cache, 'a')).toMatchObject({ requested: { cpu: 0.5 }, podCount: 1 });
    cache.removePod(bound('p2', 'a'));
    expect(info(cache, 'a')).toMatchObject({ requested: { cpu: 0, memory: 0, pods: 0 }, podCount: 0 });
  });

  it('counts an assumed pod until the informer shows it bound; forget takes back only assumed pods', () => {
    const cache = new SchedulerCache();
    cache.setNode(node({ name: 'a' }));
    const p = pod({ name: 'p', cpu: '1' });
    cache.assume(p, 'a');
    expect(cache.isAssumed(p)).toBe(true);
    // The informer still shows it pending (the binding's event has not arrived): it keeps its room.
    cache.setPod(p);
    expect(info(cache, 'a')?.podCount).toBe(1);
    cache.setPod({ ...p, spec: { ...(p.spec as object), nodeName: 'a' } });
    expect(cache.isAssumed(p)).toBe(false);
    expect(info(cache, 'a')).toMatchObject({ requested: { cpu: 1 }, podCount: 1 });
    cache.forget(p);
    expect(info(cache, 'a')?.podCount).toBe(1);

    const q = pod({ name: 'q', cpu: '1' });
    cache.assume(q, 'a');
    cache.forget(q);
    expect(info(cache, 'a')).toMatchObject({ requested: { cpu: 1 }, podCount: 1 });
  });

  it('keeps pods that arrive before their node, and the node\'s totals after it is deleted while pods remain', () => {
    const cache = new SchedulerCache();
    cache.setPod(bound('early', 'late-node', '1'));
    expect(cache.nodeInfos()).toEqual([]);
    cache.setNode(node({ name: 'late-node' }));
    expect(info(cache, 'late-node')).toMatchObject({ requested: { cpu: 1 }, podCount: 1 });
    cache.removeNode(node({ name: 'late-node' }));
    expect(cache.nodeInfos()).toEqual([]);
    cache.setNode(node({ name: 'late-node' }));
    expect(info(cache, 'late-node')?.podCount).toBe(1);
  });

  it('holds and releases host ports', () => {
    const cache = new SchedulerCache();
    cache.setNode(node({ name: 'a' }));
    cache.setPod(bound('web', 'a', '100m', { hostPorts: [{ port: 80 }] }));
    expect(cache.nodeInfo('a')?.usedPorts.conflicts({ protocol: 'TCP', ip: '0.0.0.0', port: 80 })).toBe(true);
    cache.removePod(bound('web', 'a', '100m', { hostPorts: [{ port: 80 }] }));
    expect(cache.nodeInfo('a')?.usedPorts.empty).toBe(true);
  });

  it('a node update keeps the NodeInfo (its allocatable re-read), the list object is reused until nodes come or go', () => {
    const cache = new SchedulerCache();
    cache.setNode(node({ name: 'a', cpu: '2' }));
    const list = cache.nodeInfos();
    cache.setNode(node({ name: 'a', cpu: '8' }));
    expect(cache.nodeInfos()).toBe(list);
    expect(cache.nodeInfo('a')?.allocatable.cpu).toBe(8);
    cache.setNode(node({ name: 'b' }));
    expect(cache.nodeInfos().map((n) => n.name)).toEqual(['a', 'b']);
  });

  it('after any sequence of pod events, each NodeInfo equals the sum over the pods placed on it (property)', () => {
    const names = ['a', 'b', 'c'];
    const op = fc.record({
      kind: fc.constantFrom('set', 'remove', 'assume', 'forget'),
      pod: fc.integer({ min: 0, max: 7 }),
      node: fc.option(fc.constantFrom(...names), { nil: undefined }),
      milli: fc.integer({ min: 0, max: 2000 }),
      phase: fc.constantFrom('Pending', 'Running', 'Succeeded', 'Failed'),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const cache = new SchedulerCache();
        for (const n of names) cache.setNode(node({ name: n }));
        // The model: uid → [node, pod, assumed].
        const model = new Map<string, { nodeName: string; pod: KubeObject; assumed: boolean }>();
        const cpuOf = new Map<number, number>();
        for (const o of ops) {
          // A pod's requests never change (Kubernetes makes them immutable): the first one seen sticks.
          const milli = cpuOf.get(o.pod) ?? o.milli;
          cpuOf.set(o.pod, milli);
          const p = pod({ name: `p${o.pod}`, cpu: `${milli}m`, phase: o.phase, ...(o.kind === 'set' && o.node ? { nodeName: o.node } : {}) });
          const uid = p.metadata?.uid ?? '';
          const old = model.get(uid);
          if (o.kind === 'set') {
            cache.setPod(p);
            const terminal = o.phase === 'Succeeded' || o.phase === 'Failed';
            if (o.node && !terminal) model.set(uid, { nodeName: o.node, pod: p, assumed: false });
            else if (old && (o.node || !old.assumed)) model.delete(uid);
          } else if (o.kind === 'remove') {
            cache.removePod(p);
            model.delete(uid);
          } else if (o.kind === 'assume' && o.node) {
            cache.assume(p, o.node);
            model.set(uid, { nodeName: o.node, pod: p, assumed: true });
          } else if (o.kind === 'forget') {
            cache.forget(p);
            if (old?.assumed) model.delete(uid);
          }
        }
        for (const n of names) {
          const placed = [...model.values()].filter((m) => m.nodeName === n).map((m) => m.pod);
          const want = nodeInfo(node({ name: n }), placed);
          const got = cache.nodeInfo(n);
          expect(got?.podCount).toBe(want.podCount);
          expect(got?.requested.cpu).toBeCloseTo(want.requested.cpu, 9);
          expect(got?.requested.memory).toBe(want.requested.memory);
          expect(got?.nonZeroRequested.cpu).toBeCloseTo(want.nonZeroRequested.cpu, 9);
          expect(got?.nonZeroRequested.memory).toBe(want.nonZeroRequested.memory);
        }
      }),
      { numRuns: 300 },
    );
  });
});
