/** restricted `runAsNonRoot`: the pod, or every container, sets runAsNonRoot=true; none sets it false. */
import { containersOf, containersPhrase, podSecurityContext } from './helpers.ts';
import type { PodCheck } from './types.ts';

export const runAsNonRoot: PodCheck = {
  id: 'runAsNonRoot',
  level: 'restricted',
  since: 0,
  check(pod) {
    const badSetters: string[] = [];
    const podValue = podSecurityContext(pod).runAsNonRoot;
    if (podValue === false) badSetters.push('pod');
    const podTrue = podValue === true;
    const explicit: string[] = [];
    const implicit: string[] = [];
    for (const c of containersOf(pod)) {
      const value = c.sc.runAsNonRoot;
      if (typeof value === 'boolean') {
        if (!value) explicit.push(c.name);
      } else if (!podTrue) implicit.push(c.name);
    }
    if (explicit.length) badSetters.push(containersPhrase(explicit));
    if (badSetters.length) return { reason: 'runAsNonRoot != true', detail: `${badSetters.join(' and ')} must not set securityContext.runAsNonRoot=false` };
    if (implicit.length) return { reason: 'runAsNonRoot != true', detail: `pod or ${containersPhrase(implicit)} must set securityContext.runAsNonRoot=true` };
    return undefined;
  },
};
