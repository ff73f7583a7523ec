/** The post-run checks that need no cluster: lost acknowledged writes and the two-nodes sampler. */
import { describe, expect, it } from 'vitest';
import type { KubeObjectInput, KubeObjectOutput } from './models/kube-object.ts';
import { FINAL_READER, lostAcknowledgedWrites, watchPodsOnTwoNodes } from './post-run.ts';
import { history, type OpSpec } from './test-histories.ts';

type K = OpSpec<KubeObjectInput, KubeObjectOutput>;
const key = 'ConfigMap default/x';
const create = (p: number, at: [number, number | null], value: string, rv: number): K => ({ p, at, in: { kind: 'create', value }, out: { status: 'ok', rv: String(rv) } });
const update = (p: number, at: [number, number | null], value: string, rv: number, out: K['out']): K => ({ p, at, in: { kind: 'update', value, rv: String(rv) }, out });
const del = (p: number, at: [number, number | null]): K => ({ p, at, in: { kind: 'delete' }, out: { status: 'ok' } });
const final = (at: number, out: KubeObjectOutput): K => ({ p: FINAL_READER, at: [at, at + 5], in: { kind: 'get' }, out });
const lost = (specs: K[]) => lostAcknowledgedWrites(history(specs, key)).map((l) => [l.write.id, l.why]);

describe('lostAcknowledgedWrites', () => {
  it('finds none when the final read shows the last write, or a concurrent one', () => {
    expect(lost([create(1, [0, 10], 'a', 5), update(1, [20, 30], 'b', 5, { status: 'ok', rv: '6' }), final(100, { status: 'ok', value: 'b', rv: '6' })])).toEqual([]);
    expect(lost([create(1, [0, 10], 'a', 5), update(1, [20, 60], 'b', 5, { status: 'ok', rv: '6' }), update(2, [20, 60], 'c', 6, { status: 'ok', rv: '7' }), final(100, { status: 'ok', value: 'b', rv: '6' })])).toEqual([]);
    // An unknown delete may have removed it.
    expect(lost([create(1, [0, 10], 'a', 5), { ...del(2, [20, null]), out: 'unknown' }, final(100, { status: 'NotFound' })])).toEqual([]);
  });

  it('finds an acknowledged write that began after the final value was written', () => {
    expect(lost([create(1, [0, 10], 'a', 5), update(1, [20, 30], 'b', 5, { status: 'ok', rv: '6' }), final(100, { status: 'ok', value: 'a', rv: '5' })])).toEqual([[1, 'acknowledged after "a" was written (#0), yet the final read shows that value']]);
  });

  it('finds an acknowledged write after every delete when the key is gone, and a value never written', () => {
    expect(lost([create(1, [0, 10], 'a', 5), del(2, [20, 30]), create(1, [40, 50], 'b', 7), final(100, { status: 'NotFound' })])).toEqual([[2, 'acknowledged after every delete had returned, yet the final read finds nothing']]);
    expect(lost([create(1, [0, 10], 'a', 5), final(100, { status: 'ok', value: 'zz', rv: '5' })])).toEqual([[1, 'the final value "zz" was never written']]);
  });

  it('does not count writes refused with Conflict', () => {
    expect(lost([create(1, [0, 10], 'a', 5), update(1, [20, 30], 'b', 4, { status: 'Conflict' }), final(100, { status: 'ok', value: 'a', rv: '5' })])).toEqual([]);
  });
});

describe('watchPodsOnTwoNodes', () => {
  it('records a pod name sampled on two nodes at once, within the names it is given, and counts failed samples', async () => {
    const samples = [
      [{ pod: 'db-0', node: 'n1' }],
      [{ pod: 'db-0', node: 'n1' }, { pod: 'db-0', node: 'n2' }, { pod: 'web-x', node: 'n1' }, { pod: 'web-x', node: 'n2' }],
      'fail',
      [{ pod: 'db-0', node: 'n2' }],
    ] as const;
    let i = 0;
    const watch = watchPodsOnTwoNodes(
      async () => {
        const s = samples[Math.min(i++, samples.length - 1)]!;
        if (s === 'fail') throw new Error('sampler failed');
        return [...s];
      },
      { periodMs: 1, names: (pod) => pod.startsWith('db-') },
    );
    while (i < samples.length + 1) await new Promise((r) => setTimeout(r, 2));
    const result = await watch.stop();
    expect(result.failedSamples).toBe(1);
    expect(result.samples).toBeGreaterThanOrEqual(3);
    expect(result.doubles.map((d) => [d.pod, d.nodes])).toEqual([['db-0', ['n1', 'n2']]]);
  });
});
