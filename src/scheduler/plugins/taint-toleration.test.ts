/** TaintToleration's score: fewer intolerable PreferNoSchedule taints score higher. */
import { describe, expect, it } from 'vitest';
import { schedulePod } from '../framework.ts';
import { node, nodeInfo, pod, podInfo } from '../test-fixtures.ts';
import { taintToleration } from './taint-toleration.ts';

const prefer = (key: string, value?: string) => ({ key, ...(value ? { value } : {}), effect: 'PreferNoSchedule' });

describe('TaintToleration score', () => {
  const nodes = [
    nodeInfo(node({ name: 'clean' })),
    nodeInfo(node({ name: 'one', taints: [prefer('a')] })),
    nodeInfo(node({ name: 'two', taints: [prefer('a'), prefer('b', 'x')] })),
    nodeInfo(node({ name: 'hard', taints: [{ key: 'c', effect: 'NoSchedule' }] })),
  ];
  it.each<[string, Record<string, unknown>[], number[]]>([
    ['no tolerations: the most tainted node 0, untainted ones 100', [], [100, 50, 0, 100]],
    ['a tolerated taint does not count', [{ key: 'a', operator: 'Exists' }], [100, 100, 0, 100]],
    ['only PreferNoSchedule (or empty-effect) tolerations count', [{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }], [100, 50, 0, 100]],
    ['Equal needs the value', [{ key: 'b', value: 'y', effect: 'PreferNoSchedule' }, { key: 'a', operator: 'Exists' }], [100, 100, 0, 100]],
    ['everything tolerated: all 100', [{ operator: 'Exists' }], [100, 100, 100, 100]],
  ])('%s', (_title, tolerations, want) => {
    const p = podInfo(pod({ name: 'p', tolerations }));
    const scores = nodes.map((n) => taintToleration.score(p, n));
    taintToleration.normalize?.(p, scores, nodes);
    expect(scores).toEqual(want);
  });

  it('steers a pod off a PreferNoSchedule node that has more room', () => {
    const roomy = nodeInfo(node({ name: 'roomy', cpu: '8', taints: [prefer('spot')] }));
    const small = nodeInfo(node({ name: 'small', cpu: '4' }), [pod({ name: 'x', cpu: '1' })]);
    expect(schedulePod(podInfo(pod({ name: 'p' })), [roomy, small])).toMatchObject({ nodeName: 'small' });
    expect(schedulePod(podInfo(pod({ name: 'p', tolerations: [{ key: 'spot', operator: 'Exists' }] })), [roomy, small])).toMatchObject({ nodeName: 'roomy' });
  });
});
