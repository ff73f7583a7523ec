/** NodeAffinity (first cut: `spec.nodeSelector` only): every selector label must be on the node. */
import { isRecord } from '../../api/object.ts';
import type { FilterPlugin } from '../types.ts';

export const nodeAffinity: FilterPlugin = {
  name: 'NodeAffinity',
  skips: (pod) => !(isRecord(pod.pod.spec) && isRecord(pod.pod.spec.nodeSelector)),
  filter(pod, node) {
    const selector = isRecord(pod.pod.spec) && isRecord(pod.pod.spec.nodeSelector) ? pod.pod.spec.nodeSelector : undefined;
    if (!selector) return undefined;
    const labels = node.node.metadata?.labels ?? {};
    for (const k in selector) if (labels[k] !== selector[k]) return { reasons: ["node(s) didn't match Pod's node affinity/selector"] };
    return undefined;
  },
};
