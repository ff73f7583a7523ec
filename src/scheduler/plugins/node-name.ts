/** NodeName: a pod that names its node (spec.nodeName) fits only that node. */
import { isRecord } from '../../api/object.ts';
import type { FilterPlugin } from '../types.ts';

export const nodeName: FilterPlugin = {
  name: 'NodeName',
  skips: (pod) => !(isRecord(pod.pod.spec) && typeof pod.pod.spec.nodeName === 'string' && pod.pod.spec.nodeName !== ''),
  filter(pod, node) {
    const wanted = isRecord(pod.pod.spec) ? pod.pod.spec.nodeName : undefined;
    if (typeof wanted !== 'string' || wanted === '' || wanted === node.name) return undefined;
    return { reasons: ["node(s) didn't match the requested node name"], unresolvable: true };
  },
};
