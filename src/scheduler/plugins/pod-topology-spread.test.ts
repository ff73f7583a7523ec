/** PodTopologySpread: DoNotSchedule as a filter, ScheduleAnyway as a score, over the real cache. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/object.ts';
import { runFilters, schedulePod } from '../framework.ts';
import { clusterOf, node, pod, podInfo } from '../test-fixtures.ts';
import type { NodeInfo } from '../types.ts';
import { ERR_CONSTRAINTS_NOT_MATCH, ERR_NODE_LABEL_NOT_MATCH, podTopologySpread } from './pod-topology-spread.ts';
import { podTopologySpreadScore } from './pod-topology-spread-score.ts';

const HOST = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';
const WEB = { app: 'web' };
const spread = (topologyKey: string, extra: Record<string, unknown> = {}) => ({ maxSkew: 1, topologyKey, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: WEB }, ...extra });
const web = (name: string, nodeName: string, extra: Partial<Parameters<typeof pod>[0]> = {}) => pod({ name, nodeName, labels: WEB, ...extra });
const incoming = (constraints: Record<string, unknown>[], extra: Partial<Parameters<typeof pod>[0]> = {}) => pod({ name: 'p', labels: WEB, topologySpreadConstraints: constraints, ...extra });

// n1, n2 in zone a; n3 in zone b; n4 has no zone label.
const NODES = [node({ name: 'n1', labels: { [ZONE]: 'a' } }), node({ name: 'n2', labels: { [ZONE]: 'a' } }), node({ name: 'n3', labels: { [ZONE]: 'b' } }), node({ name: 'n4' })];

function verdicts(p: KubeObject, existing: KubeObject[], nodes = NODES): Record<string, string | undefined> {
  const cluster = clusterOf(nodes, existing);
  const info = podInfo(p);
  podTopologySpread.preFilter?.(info, cluster);
  return Object.fromEntries(cluster.nodeInfos().map((n) => [n.name, podTopologySpread.filter(info, n)?.reasons[0]]));
}

describe('PodTopologySpread filter (DoNotSchedule)', () => {
  const NO = ERR_CONSTRAINTS_NOT_MATCH;
  const MISSING = ERR_NODE_LABEL_NOT_MATCH;
  it.each<[string, KubeObject, KubeObject[], Record<string, string | undefined>]>([
    ['zones 2/0: only zone b; a node without the key never', incoming([spread(ZONE)]), [web('a1', 'n1'), web('a2', 'n2')], { n1: NO, n2: NO, n3: undefined, n4: MISSING }],
    ['zones 1/0 with maxSkew 2: both zones', incoming([spread(ZONE, { maxSkew: 2 })]), [web('a1', 'n1')], { n1: undefined, n2: undefined, n3: undefined, n4: MISSING }],
    ['hostname 1/1/0/0: the empty hosts', incoming([spread(HOST)]), [web('a1', 'n1'), web('a2', 'n2')], { n1: NO, n2: NO, n3: undefined, n4: undefined }],
    ['the pod not matching its own selector adds nothing (skew 1 − 0 allowed)', incoming([spread(HOST)], { labels: { app: 'other' } }), [web('a1', 'n1')], { n1: undefined, n2: undefined, n3: undefined, n4: undefined }],
    ['minDomains 3 with 2 zones: the global minimum is 0, zones 1/1 both too full', incoming([spread(ZONE, { minDomains: 3 })]), [web('a1', 'n1'), web('b1', 'n3')], { n1: NO, n2: NO, n3: NO, n4: MISSING }],
    ['minDomains met: the minimum counts', incoming([spread(ZONE, { minDomains: 2 })]), [web('a1', 'n1'), web('b1', 'n3')], { n1: undefined, n2: undefined, n3: undefined, n4: MISSING }],
    ['pods being deleted and pods of other namespaces do not count', incoming([spread(ZONE)]), [web('a1', 'n1', { deleting: true }), web('a2', 'n2', { namespace: 'other' })], { n1: undefined, n2: undefined, n3: undefined, n4: MISSING }],
    [
      'nodeAffinityPolicy Honor (default): zone b is no domain for a pod that must run in zone a',
      incoming([spread(ZONE)], { nodeSelector: { [ZONE]: 'a' } }),
      [web('a1', 'n1')],
      { n1: undefined, n2: undefined, n3: undefined, n4: MISSING },
    ],
    ['nodeAffinityPolicy Ignore: zone b counts (0), so zone a is too full', incoming([spread(ZONE, { nodeAffinityPolicy: 'Ignore' })], { nodeSelector: { [ZONE]: 'a' } }), [web('a1', 'n1')], { n1: NO, n2: NO, n3: undefined, n4: MISSING }],
    [
      'matchLabelKeys: only pods with the same value of the key count',
      incoming([spread(HOST, { matchLabelKeys: ['rev'] })], { labels: { ...WEB, rev: '2' } }),
      [web('old', 'n1', { labels: { ...WEB, rev: '1' } }), web('new', 'n2', { labels: { ...WEB, rev: '2' } })],
      { n1: undefined, n2: NO, n3: undefined, n4: undefined },
    ],
    ['ScheduleAnyway constraints do not filter', incoming([spread(ZONE, { whenUnsatisfiable: 'ScheduleAnyway' })]), [web('a1', 'n1'), web('a2', 'n2')], { n1: undefined, n2: undefined, n3: undefined, n4: undefined }],
  ])('%s', (_title, p, existing, want) => {
    expect(verdicts(p, existing)).toEqual(want);
  });

  it('nodeTaintsPolicy Honor: a tainted node\'s domain is not counted', () => {
    const nodes = [node({ name: 'n1', labels: { [ZONE]: 'a' } }), node({ name: 'n3', labels: { [ZONE]: 'b' }, taints: [{ key: 'x', effect: 'NoSchedule' }] })];
    expect(verdicts(incoming([spread(ZONE, { nodeTaintsPolicy: 'Honor' })]), [web('a1', 'n1')], nodes)).toEqual({ n1: undefined, n3: undefined });
    expect(verdicts(incoming([spread(ZONE)]), [web('a1', 'n1')], nodes)).toEqual({ n1: ERR_CONSTRAINTS_NOT_MATCH, n3: undefined });
  });

  it('spreads a series of pods evenly across zones, and words the failure as kube-scheduler', () => {
    const cluster = clusterOf(NODES.slice(0, 3));
    const zones: string[] = [];
    for (let i = 0; i < 6; i++) {
      const p = podInfo(pod({ name: `w${i}`, labels: WEB, topologySpreadConstraints: [spread(ZONE)] }));
      const result = schedulePod(p, cluster.nodeInfos(), undefined, { cluster });
      const nodeName = (result as { nodeName: string }).nodeName;
      cluster.assume(p.pod, nodeName);
      zones.push(nodeName === 'n3' ? 'b' : 'a');
    }
    expect(zones.filter((z) => z === 'a')).toHaveLength(3);
    const full = clusterOf(NODES.slice(0, 3), [web('a1', 'n1'), web('a2', 'n2'), web('b1', 'n3', { cpu: '4' })]);
    const p = podInfo(incoming([spread(ZONE)], { cpu: '1' }));
    expect(schedulePod(p, full.nodeInfos(), undefined, { cluster: full })).toMatchObject({ unschedulable: "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match pod topology spread constraints." });
  });

  it('the preemption what-if: removing a matching pod lowers its domain', () => {
    const victim = web('a1', 'n1');
    const cluster = clusterOf(NODES, [victim, web('a2', 'n1')]);
    const p = podInfo(incoming([spread(HOST)]));
    podTopologySpread.preFilter?.(p, cluster);
    const n1 = cluster.nodeInfo('n1') as NodeInfo;
    expect(runFilters(p, n1, [podTopologySpread])?.reasons).toEqual([ERR_CONSTRAINTS_NOT_MATCH]);
    const ext = podTopologySpread.preFilterExtensions;
    const state = ext?.clone(p.cycle.get('PodTopologySpread'));
    ext?.removePod(p, state, victim, n1);
    expect(runFilters({ ...p, cycle: new Map([['PodTopologySpread', state]]) }, n1, [podTopologySpread])?.reasons).toEqual([ERR_CONSTRAINTS_NOT_MATCH]);
    ext?.removePod(p, state, web('a2', 'n1'), n1);
    expect(runFilters({ ...p, cycle: new Map([['PodTopologySpread', state]]) }, n1, [podTopologySpread])).toBeUndefined();
  });
});

describe('PodTopologySpread score (ScheduleAnyway)', () => {
  function scores(p: KubeObject, existing: KubeObject[]): Record<string, number> {
    const cluster = clusterOf(NODES, existing);
    const info = podInfo(p);
    const nodes = cluster.nodeInfos();
    podTopologySpreadScore.preScore?.(info, nodes, cluster);
    const raw = nodes.map((n) => podTopologySpreadScore.score(info, n));
    podTopologySpreadScore.normalize?.(info, raw, nodes);
    return Object.fromEntries(nodes.map((n, i) => [n.name, raw[i] as number]));
  }
  const soft = (key: string, extra: Record<string, unknown> = {}) => spread(key, { whenUnsatisfiable: 'ScheduleAnyway', ...extra });

  it.each<[string, KubeObject, KubeObject[], Record<string, number>]>([
    ['zones 2/0: zone b best; a node without the key is ignored (0)', incoming([soft(ZONE)]), [web('a1', 'n1'), web('a2', 'n2')], { n1: 0, n2: 0, n3: 100, n4: 0 }],
    ['hostname 2/1/0/0', incoming([soft(HOST)]), [web('a1', 'n1'), web('a2', 'n1'), web('a3', 'n2')], { n1: 0, n2: 50, n3: 100, n4: 100 }],
    ['nothing placed yet: every scored node 100', incoming([soft(HOST)]), [], { n1: 100, n2: 100, n3: 100, n4: 100 }],
  ])('%s', (_title, p, existing, want) => {
    expect(podTopologySpreadScore.skips?.(podInfo(p))).toBe(false);
    expect(scores(p, existing)).toEqual(want);
  });

  it('is skipped without ScheduleAnyway constraints', () => {
    expect(podTopologySpreadScore.skips?.(podInfo(incoming([spread(ZONE)])))).toBe(true);
  });
});
