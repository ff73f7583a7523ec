/** restricted `seccompProfile_restricted` (v1.19+): a RuntimeDefault or Localhost profile on the pod or on every container. */
import { containersPhrase } from './helpers.ts';
import { badSeccompSetters, badSeccompViolation } from './seccomp-profile-baseline.ts';
import type { PodCheck } from './types.ts';

export const seccompProfileRestricted: PodCheck = {
  id: 'seccompProfile_restricted',
  level: 'restricted',
  since: 19,
  overrides: ['seccompProfile_baseline'],
  check(pod) {
    const { setters, values, podSetValid, unsetContainers } = badSeccompSetters(pod);
    if (setters.length) return badSeccompViolation(setters, values);
    if (!podSetValid && unsetContainers.length) {
      return { reason: 'seccompProfile', detail: `pod or ${containersPhrase(unsetContainers)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"` };
    }
    return undefined;
  },
};
