/** NodeAffinity: the filter (nodeSelector and required terms) and the preferred terms' score, table-tested. */
import { describe, expect, it } from 'vitest';
import { schedulePod } from '../framework.ts';
import { node, nodeInfo, pod, podInfo } from '../test-fixtures.ts';
import { ERR_NODE_AFFINITY, nodeAffinity, nodeAffinityScore } from './node-affinity.ts';

const required = (...terms: Record<string, unknown>[]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } });
const expr = (key: string, operator: string, values?: string[]) => ({ key, operator, ...(values ? { values } : {}) });
const preferred = (...terms: [number, Record<string, unknown>][]) => ({
  nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: terms.map(([weight, preference]) => ({ weight, preference })) },
});

const n = node({ name: 'n1', labels: { zone: 'a', disk: 'ssd', cores: '8' } });

describe('NodeAffinity filter', () => {
  it.each<[string, Parameters<typeof pod>[0], boolean]>([
    ['no selector, no affinity', { name: 'p' }, true],
    ['nodeSelector matches', { name: 'p', nodeSelector: { zone: 'a' } }, true],
    ['nodeSelector misses', { name: 'p', nodeSelector: { zone: 'b' } }, false],
    ['In', { name: 'p', affinity: required({ matchExpressions: [expr('zone', 'In', ['a', 'b'])] }) }, true],
    ['In, other values', { name: 'p', affinity: required({ matchExpressions: [expr('zone', 'In', ['c'])] }) }, false],
    ['NotIn', { name: 'p', affinity: required({ matchExpressions: [expr('zone', 'NotIn', ['b'])] }) }, true],
    ['NotIn, its value', { name: 'p', affinity: required({ matchExpressions: [expr('zone', 'NotIn', ['a'])] }) }, false],
    ['NotIn, label absent', { name: 'p', affinity: required({ matchExpressions: [expr('gpu', 'NotIn', ['x'])] }) }, true],
    ['Exists', { name: 'p', affinity: required({ matchExpressions: [expr('disk', 'Exists')] }) }, true],
    ['Exists, absent', { name: 'p', affinity: required({ matchExpressions: [expr('gpu', 'Exists')] }) }, false],
    ['DoesNotExist', { name: 'p', affinity: required({ matchExpressions: [expr('gpu', 'DoesNotExist')] }) }, true],
    ['DoesNotExist, present', { name: 'p', affinity: required({ matchExpressions: [expr('disk', 'DoesNotExist')] }) }, false],
    ['Gt', { name: 'p', affinity: required({ matchExpressions: [expr('cores', 'Gt', ['4'])] }) }, true],
    ['Gt, not greater', { name: 'p', affinity: required({ matchExpressions: [expr('cores', 'Gt', ['8'])] }) }, false],
    ['Lt', { name: 'p', affinity: required({ matchExpressions: [expr('cores', 'Lt', ['16'])] }) }, true],
    ['Lt, not a number', { name: 'p', affinity: required({ matchExpressions: [expr('zone', 'Lt', ['16'])] }) }, false],
    ['expressions ANDed', { name: 'p', affinity: required({ matchExpressions: [expr('zone', 'In', ['a']), expr('disk', 'In', ['hdd'])] }) }, false],
    ['terms ORed', { name: 'p', affinity: required({ matchExpressions: [expr('zone', 'In', ['b'])] }, { matchExpressions: [expr('disk', 'In', ['ssd'])] }) }, true],
    ['matchFields metadata.name', { name: 'p', affinity: required({ matchFields: [expr('metadata.name', 'In', ['n1'])] }) }, true],
    ['matchFields, another node', { name: 'p', affinity: required({ matchFields: [expr('metadata.name', 'In', ['n2'])] }) }, false],
    ['an empty term matches nothing', { name: 'p', affinity: required({}) }, false],
    ['nodeSelector and affinity both must hold', { name: 'p', nodeSelector: { zone: 'b' }, affinity: required({ matchExpressions: [expr('disk', 'Exists')] }) }, false],
  ])('%s', (_title, fixture, fits) => {
    const p = podInfo(pod(fixture));
    const failure = nodeAffinity.skips?.(p) ? undefined : nodeAffinity.filter(p, nodeInfo(n));
    expect(failure).toEqual(fits ? undefined : { reasons: [ERR_NODE_AFFINITY], unresolvable: true });
  });

  it('words the FitError as kube-scheduler', () => {
    const nodes = [nodeInfo(n), nodeInfo(node({ name: 'n2', labels: { zone: 'b' } }))];
    const p = podInfo(pod({ name: 'p', affinity: required({ matchExpressions: [expr('zone', 'In', ['c'])] }) }));
    expect(schedulePod(p, nodes)).toMatchObject({ unschedulable: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector." });
  });
});

describe('NodeAffinity score (preferred terms)', () => {
  const nodes = [
    nodeInfo(node({ name: 'a', labels: { zone: 'a', disk: 'ssd' } })),
    nodeInfo(node({ name: 'b', labels: { zone: 'b', disk: 'ssd' } })),
    nodeInfo(node({ name: 'c', labels: { zone: 'c' } })),
  ];
  const scores = (affinity: Record<string, unknown>) => {
    const p = podInfo(pod({ name: 'p', affinity }));
    if (nodeAffinityScore.skips?.(p)) return undefined;
    const raw = nodes.map((node) => nodeAffinityScore.score(p, node));
    nodeAffinityScore.normalize?.(p, raw, nodes);
    return raw;
  };

  it.each<[string, Record<string, unknown>, number[] | undefined]>([
    ['no preferred terms: skipped', {}, undefined],
    ['one term: matching nodes 100, others 0', preferred([10, { matchExpressions: [expr('disk', 'In', ['ssd'])] }]), [100, 100, 0]],
    ['weights add up, normalized to the best', preferred([10, { matchExpressions: [expr('disk', 'In', ['ssd'])] }], [30, { matchExpressions: [expr('zone', 'In', ['a'])] }]), [100, 25, 0]],
    ['no node matches: all 0', preferred([5, { matchExpressions: [expr('zone', 'In', ['z'])] }]), [0, 0, 0]],
    ['an empty preference matches nothing', preferred([5, {}]), [0, 0, 0]],
  ])('%s', (_title, affinity, want) => {
    expect(scores(affinity)).toEqual(want);
  });

  it('decides between nodes that fit alike (weight 2 beats the small LeastAllocated difference)', () => {
    const busy = nodeInfo(node({ name: 'busy', labels: { disk: 'ssd' } }), [pod({ name: 'x', cpu: '1' })]);
    const idle = nodeInfo(node({ name: 'idle' }));
    const p = podInfo(pod({ name: 'p', affinity: preferred([1, { matchExpressions: [expr('disk', 'Exists')] }]) }));
    expect(schedulePod(p, [idle, busy])).toMatchObject({ nodeName: 'busy' });
  });
});
