/** restricted `runAsUser` (v1.23+): neither the pod nor a container sets runAsUser=0. */
import { containersOf, containersPhrase, podSecurityContext } from './helpers.ts';
import type { PodCheck } from './types.ts';

export const runAsUser: PodCheck = {
  id: 'runAsUser',
  level: 'restricted',
  since: 23,
  check(pod) {
    const setters: string[] = [];
    if (podSecurityContext(pod).runAsUser === 0) setters.push('pod');
    const bad = containersOf(pod).filter((c) => c.sc.runAsUser === 0).map((c) => c.name);
    if (bad.length) setters.push(containersPhrase(bad));
    return setters.length ? { reason: 'runAsUser=0', detail: `${setters.join(' and ')} must not set runAsUser=0` } : undefined;
  },
};
