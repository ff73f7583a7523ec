/**
 * What the filters read from a Node object, worked out once when the object changes (the cache
 * keeps it in the NodeInfo) instead of once per node per decision: cordoned, the taints that
 * keep pods off (NoSchedule, NoExecute), those that only discourage them (PreferNoSchedule), Ready.
 */
import { isRecord, recordList, type KubeObject } from '../api/object.ts';
import { taintsOf, type Taint } from './taints.ts';

export interface NodeFacts {
  unschedulable: boolean;
  /** NoSchedule and NoExecute taints. */
  taints: Taint[];
  /** PreferNoSchedule taints (TaintToleration's score). */
  preferNoScheduleTaints: Taint[];
  /** The Ready condition is True. */
  ready: boolean;
}

export function nodeFactsOf(node: KubeObject): NodeFacts {
  const spec = isRecord(node.spec) ? node.spec : undefined;
  const status = isRecord(node.status) ? node.status : undefined;
  const taints = taintsOf(spec);
  return {
    unschedulable: spec?.unschedulable === true,
    taints: taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute'),
    preferNoScheduleTaints: taints.filter((t) => t.effect === 'PreferNoSchedule'),
    ready: recordList(status, 'conditions').find((c) => c.type === 'Ready')?.status === 'True',
  };
}
