/** baseline `privileged`: no privileged containers. */
import { containersOf, containersPhrase } from './helpers.ts';
import type { PodCheck } from './types.ts';

export const privileged: PodCheck = {
  id: 'privileged',
  level: 'baseline',
  since: 0,
  check(pod) {
    const bad = containersOf(pod).filter((c) => c.sc.privileged === true).map((c) => c.name);
    return bad.length ? { reason: 'privileged', detail: `${containersPhrase(bad)} must not set securityContext.privileged=true` } : undefined;
  },
};
