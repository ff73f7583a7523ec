/**
 * What the filters read from a Node object, worked out once when the object changes (the cache
 * keeps it in the NodeInfo) instead of once per node per decision: cordoned, the taints that
 * keep pods off (NoSchedule, NoExecute), Ready.
 */
import { isRecord, recordList, type KubeObject } from '../api/object.ts';
import { taintsOf, type Taint } from './taints.ts';

export interface NodeFacts {
  unschedulable: boolean;
  /** NoSchedule and NoExecute taints. */
  taints: Taint[];
  /** The Ready condition is True. */
  ready: boolean;
}

export function nodeFactsOf(node: KubeObject): NodeFacts {
  const spec = isRecord(node.spec) ? node.spec : undefined;
  const status = isRecord(node.status) ? node.status : undefined;
  return {
    unschedulable: spec?.unschedulable === true,
    taints: taintsOf(spec).filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute'),
    ready: recordList(status, 'conditions').find((c) => c.type === 'Ready')?.status === 'True',
  };
}
