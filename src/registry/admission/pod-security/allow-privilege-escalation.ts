/** restricted `allowPrivilegeEscalation` (v1.8+): every container sets allowPrivilegeEscalation=false. */
import { containersOf, containersPhrase } from './helpers.ts';
import type { PodCheck } from './types.ts';

export const allowPrivilegeEscalation: PodCheck = {
  id: 'allowPrivilegeEscalation',
  level: 'restricted',
  since: 8,
  check(pod) {
    const bad = containersOf(pod).filter((c) => c.sc.allowPrivilegeEscalation !== false).map((c) => c.name);
    return bad.length ? { reason: 'allowPrivilegeEscalation != false', detail: `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false` } : undefined;
  },
};
