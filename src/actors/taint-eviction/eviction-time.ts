/**
 * What a node's NoExecute taints mean for one pod (Kubernetes' taint-eviction controller:
 * `getMatchingTolerations` and `getMinTolerationTime`): evict now when a taint is not tolerated;
 * otherwise after the shortest `tolerationSeconds` among the tolerations that match (0 or less:
 * now), or never when none of them sets it.
 */
import type { JsonObject } from '../../api/object.ts';
import { firstUntolerated, tolerates, type Taint } from '../../scheduler/taints.ts';

export type EvictionVerdict = { kind: 'none' } | { kind: 'now'; taint: Taint } | { kind: 'after'; seconds: number } | { kind: 'never' };

export function evictionVerdict(noExecuteTaints: readonly Taint[], tolerations: readonly JsonObject[]): EvictionVerdict {
  if (noExecuteTaints.length === 0) return { kind: 'none' };
  const untolerated = firstUntolerated(noExecuteTaints, tolerations);
  if (untolerated) return { kind: 'now', taint: untolerated };
  let min = Infinity;
  for (const t of tolerations) {
    if (!noExecuteTaints.some((taint) => tolerates(t, taint)) || typeof t.tolerationSeconds !== 'number') continue;
    if (t.tolerationSeconds <= 0) return { kind: 'after', seconds: 0 };
    min = Math.min(min, t.tolerationSeconds);
  }
  return min === Infinity ? { kind: 'never' } : { kind: 'after', seconds: min };
}
