/** InterPodAffinity: required and preferred pod (anti-)affinity, both ways, over the real cache. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/object.ts';
import { schedulePod, runFilters } from '../framework.ts';
import { clusterOf, node, pod, podInfo } from '../test-fixtures.ts';
import type { NodeInfo } from '../types.ts';
import { ERR_AFFINITY, ERR_ANTI_AFFINITY, ERR_EXISTING_ANTI_AFFINITY, interPodAffinity } from './inter-pod-affinity.ts';
import { interPodAffinityScore } from './inter-pod-affinity-score.ts';

const HOST = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';
const term = (topologyKey: string, matchLabels: Record<string, string>, extra: Record<string, unknown> = {}) => ({ topologyKey, labelSelector: { matchLabels }, ...extra });
const affinity = (...terms: Record<string, unknown>[]) => ({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } });
const antiAffinity = (...terms: Record<string, unknown>[]) => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } });
const preferred = (kind: 'podAffinity' | 'podAntiAffinity', ...terms: [number, Record<string, unknown>][]) => ({
  [kind]: { preferredDuringSchedulingIgnoredDuringExecution: terms.map(([weight, podAffinityTerm]) => ({ weight, podAffinityTerm })) },
});

// n1, n2 in zone a; n3 in zone b; n4 has no zone label.
const NODES = [node({ name: 'n1', labels: { [ZONE]: 'a' } }), node({ name: 'n2', labels: { [ZONE]: 'a' } }), node({ name: 'n3', labels: { [ZONE]: 'b' } }), node({ name: 'n4' })];
const placed = (name: string, nodeName: string, labels: Record<string, string>, extra: Partial<Parameters<typeof pod>[0]> = {}) => pod({ name, nodeName, labels, ...extra });

/** Which nodes each pod may go to: node name → the InterPodAffinity failure (undefined: fits). */
function verdicts(incoming: KubeObject, existing: KubeObject[], namespaces: Record<string, Record<string, string>> = {}): Record<string, string | undefined> {
  const cluster = clusterOf(NODES, existing, namespaces);
  const p = podInfo(incoming);
  interPodAffinity.preFilter?.(p, cluster);
  return Object.fromEntries(cluster.nodeInfos().map((n) => [n.name, interPodAffinity.filter(p, n)?.reasons[0]]));
}

describe('InterPodAffinity filter', () => {
  it.each<[string, KubeObject, KubeObject[], Record<string, string | undefined>]>([
    ['no terms, no existing terms: every node', pod({ name: 'p' }), [placed('db', 'n1', { app: 'db' })], { n1: undefined, n2: undefined, n3: undefined, n4: undefined }],
    [
      'affinity by zone: nodes in the zone of a matching pod; a node without the key never',
      pod({ name: 'p', affinity: affinity(term(ZONE, { app: 'db' })) }),
      [placed('db', 'n1', { app: 'db' })],
      { n1: undefined, n2: undefined, n3: ERR_AFFINITY, n4: ERR_AFFINITY },
    ],
    [
      'affinity: the first pod of a self-affine group goes anywhere with the key',
      pod({ name: 'p', labels: { app: 'web' }, affinity: affinity(term(ZONE, { app: 'web' })) }),
      [],
      { n1: undefined, n2: undefined, n3: undefined, n4: ERR_AFFINITY },
    ],
    [
      'affinity: not self-affine and nothing matches: nowhere',
      pod({ name: 'p', labels: { app: 'web' }, affinity: affinity(term(ZONE, { app: 'db' })) }),
      [],
      { n1: ERR_AFFINITY, n2: ERR_AFFINITY, n3: ERR_AFFINITY, n4: ERR_AFFINITY },
    ],
    [
      'affinity: only pods of its namespace count by default',
      pod({ name: 'p', affinity: affinity(term(ZONE, { app: 'db' })) }),
      [placed('db', 'n1', { app: 'db' }, { namespace: 'other' })],
      { n1: ERR_AFFINITY, n2: ERR_AFFINITY, n3: ERR_AFFINITY, n4: ERR_AFFINITY },
    ],
    [
      'affinity: namespaces listed',
      pod({ name: 'p', affinity: affinity(term(ZONE, { app: 'db' }, { namespaces: ['other'] })) }),
      [placed('db', 'n3', { app: 'db' }, { namespace: 'other' })],
      { n1: ERR_AFFINITY, n2: ERR_AFFINITY, n3: undefined, n4: ERR_AFFINITY },
    ],
    [
      'affinity: namespaceSelector by the namespace\'s labels',
      pod({ name: 'p', affinity: affinity(term(ZONE, { app: 'db' }, { namespaceSelector: { matchLabels: { team: 'x' } } })) }),
      [placed('db', 'n3', { app: 'db' }, { namespace: 'x-ns' }), placed('db2', 'n1', { app: 'db' }, { namespace: 'y-ns' })],
      { n1: ERR_AFFINITY, n2: ERR_AFFINITY, n3: undefined, n4: ERR_AFFINITY },
    ],
    [
      'affinity: two terms, one pod must match both',
      pod({ name: 'p', affinity: affinity(term(ZONE, { app: 'db' }), term(HOST, { tier: 'data' })) }),
      [placed('db', 'n1', { app: 'db' }), placed('cache', 'n2', { tier: 'data' }), placed('both', 'n3', { app: 'db', tier: 'data' })],
      { n1: ERR_AFFINITY, n2: ERR_AFFINITY, n3: undefined, n4: ERR_AFFINITY },
    ],
    [
      'anti-affinity by hostname: not beside a matching pod',
      pod({ name: 'p', labels: { app: 'web' }, affinity: antiAffinity(term(HOST, { app: 'web' })) }),
      [placed('w1', 'n1', { app: 'web' }), placed('w2', 'n3', { app: 'web' })],
      { n1: ERR_ANTI_AFFINITY, n2: undefined, n3: ERR_ANTI_AFFINITY, n4: undefined },
    ],
    [
      'anti-affinity by zone: the whole zone; a node without the key is fine',
      pod({ name: 'p', affinity: antiAffinity(term(ZONE, { app: 'web' })) }),
      [placed('w1', 'n1', { app: 'web' })],
      { n1: ERR_ANTI_AFFINITY, n2: ERR_ANTI_AFFINITY, n3: undefined, n4: undefined },
    ],
    [
      'existing pods\' anti-affinity (symmetry): a pod that repels the incoming one keeps its zone',
      pod({ name: 'p', labels: { app: 'batch' } }),
      [placed('quiet', 'n3', { app: 'quiet' }, { affinity: antiAffinity(term(ZONE, { app: 'batch' })) })],
      { n1: undefined, n2: undefined, n3: ERR_EXISTING_ANTI_AFFINITY, n4: undefined },
    ],
    [
      'existing anti-affinity in another namespace names its own namespace by default',
      pod({ name: 'p', labels: { app: 'batch' } }),
      [placed('quiet', 'n3', { app: 'quiet' }, { namespace: 'other', affinity: antiAffinity(term(ZONE, { app: 'batch' })) })],
      { n1: undefined, n2: undefined, n3: undefined, n4: undefined },
    ],
    [
      'a null labelSelector selects nothing',
      pod({ name: 'p', affinity: antiAffinity({ topologyKey: HOST }) }),
      [placed('w1', 'n1', { app: 'web' })],
      { n1: undefined, n2: undefined, n3: undefined, n4: undefined },
    ],
  ])('%s', (_title, incoming, existing, want) => {
    expect(verdicts(incoming, existing, { 'x-ns': { team: 'x' }, 'y-ns': { team: 'y' } })).toEqual(want);
  });

  it('counts follow pods placed and removed in the cache (no recount per decision)', () => {
    const web = (name: string) => pod({ name, labels: { app: 'web' }, affinity: antiAffinity(term(HOST, { app: 'web' })) });
    const cluster = clusterOf(NODES);
    const placedOn: string[] = [];
    for (let i = 0; i < 4; i++) {
      const p = podInfo(web(`w${i}`));
      const result = schedulePod(p, cluster.nodeInfos(), undefined, { cluster });
      expect(result).toHaveProperty('nodeName');
      const nodeName = (result as { nodeName: string }).nodeName;
      cluster.assume(p.pod, nodeName);
      placedOn.push(nodeName);
    }
    expect(new Set(placedOn).size).toBe(4);
    const fifth = schedulePod(podInfo(web('w4')), cluster.nodeInfos(), undefined, { cluster });
    expect(fifth).toMatchObject({ unschedulable: "0/4 nodes are available: 4 node(s) didn't match pod anti-affinity rules." });
    // The selection's counts were built once, then moved by each assumed pod.
    expect(cluster.counts.stats.built).toBe(1);
    cluster.forget(web('w0'));
    expect(schedulePod(podInfo(web('w4')), cluster.nodeInfos(), undefined, { cluster })).toMatchObject({ nodeName: placedOn[0] });
  });

  it('the preemption what-if: removing the matching pod lets the node fit', () => {
    const victim = placed('w1', 'n1', { app: 'web' });
    const cluster = clusterOf(NODES, [victim]);
    const p = podInfo(pod({ name: 'p', affinity: antiAffinity(term(HOST, { app: 'web' })) }));
    interPodAffinity.preFilter?.(p, cluster);
    const n1 = cluster.nodeInfo('n1') as NodeInfo;
    expect(runFilters(p, n1, [interPodAffinity])?.reasons).toEqual([ERR_ANTI_AFFINITY]);
    const ext = interPodAffinity.preFilterExtensions;
    const state = ext?.clone(p.cycle.get('InterPodAffinity'));
    ext?.removePod(p, state, victim, n1);
    const what = { ...p, cycle: new Map([['InterPodAffinity', state]]) };
    expect(runFilters(what, n1, [interPodAffinity])).toBeUndefined();
    // The original state is untouched.
    expect(runFilters(p, n1, [interPodAffinity])?.reasons).toEqual([ERR_ANTI_AFFINITY]);
  });
});

describe('InterPodAffinity score', () => {
  function scores(incoming: KubeObject, existing: KubeObject[]): Record<string, number> {
    const cluster = clusterOf(NODES, existing);
    const p = podInfo(incoming);
    const nodes = cluster.nodeInfos();
    interPodAffinityScore.preScore?.(p, nodes, cluster);
    const raw = nodes.map((n) => interPodAffinityScore.score(p, n));
    interPodAffinityScore.normalize?.(p, raw, nodes);
    return Object.fromEntries(nodes.map((n, i) => [n.name, raw[i] as number]));
  }

  it.each<[string, KubeObject, KubeObject[], Record<string, number>]>([
    ['nothing to score: all 0', pod({ name: 'p' }), [placed('db', 'n1', { app: 'db' })], { n1: 0, n2: 0, n3: 0, n4: 0 }],
    [
      'preferred affinity by zone: the zone with matching pods',
      pod({ name: 'p', affinity: preferred('podAffinity', [10, term(ZONE, { app: 'db' })]) }),
      [placed('db', 'n3', { app: 'db' })],
      { n1: 0, n2: 0, n3: 100, n4: 0 },
    ],
    [
      'preferred anti-affinity by host: the host with matching pods lowest',
      pod({ name: 'p', affinity: preferred('podAntiAffinity', [10, term(HOST, { app: 'web' })]) }),
      [placed('w1', 'n1', { app: 'web' }), placed('w2', 'n1', { app: 'web' }), placed('w3', 'n2', { app: 'web' })],
      { n1: 0, n2: 50, n3: 100, n4: 100 },
    ],
    [
      'symmetry: an existing pod\'s required affinity to the incoming pod attracts it (hardPodAffinityWeight 1)',
      pod({ name: 'p', labels: { app: 'db' } }),
      [placed('web', 'n2', { app: 'web' }, { affinity: affinity(term(HOST, { app: 'db' })) })],
      { n1: 0, n2: 100, n3: 0, n4: 0 },
    ],
    [
      'symmetry: an existing pod\'s preferred anti-affinity repels it',
      pod({ name: 'p', labels: { app: 'noisy' } }),
      [placed('quiet', 'n3', { app: 'quiet' }, { affinity: preferred('podAntiAffinity', [50, term(ZONE, { app: 'noisy' })]) })],
      { n1: 100, n2: 100, n3: 0, n4: 100 },
    ],
  ])('%s', (_title, incoming, existing, want) => {
    expect(scores(incoming, existing)).toEqual(want);
  });
});
