/** baseline `windowsHostProcess`: no Windows HostProcess pod or container. */
import { containersOf, containersPhrase, podSecurityContext, recordAt } from './helpers.ts';
import type { PodCheck } from './types.ts';

export const windowsHostProcess: PodCheck = {
  id: 'windowsHostProcess',
  level: 'baseline',
  since: 0,
  check(pod) {
    const setters: string[] = [];
    if (recordAt(podSecurityContext(pod), 'windowsOptions')?.hostProcess === true) setters.push('pod');
    const bad = containersOf(pod).filter((c) => recordAt(c.sc, 'windowsOptions')?.hostProcess === true).map((c) => c.name);
    if (bad.length) setters.push(containersPhrase(bad));
    return setters.length ? { reason: 'hostProcess', detail: `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true` } : undefined;
  },
};
