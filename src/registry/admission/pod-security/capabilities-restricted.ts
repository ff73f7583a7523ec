/** restricted `capabilities_restricted` (v1.22+): drop ALL, add nothing but NET_BIND_SERVICE. */
import { containersOf, containersPhrase, joinQuote, recordAt, sortedSet, strings } from './helpers.ts';
import type { PodCheck } from './types.ts';

export const capabilitiesRestricted: PodCheck = {
  id: 'capabilities_restricted',
  level: 'restricted',
  since: 22,
  overrides: ['capabilities_baseline'],
  check(pod) {
    const missingDropAll: string[] = [];
    const addingForbidden: string[] = [];
    const forbidden: string[] = [];
    for (const c of containersOf(pod)) {
      const caps = recordAt(c.sc, 'capabilities');
      if (!caps) {
        missingDropAll.push(c.name);
        continue;
      }
      if (!strings(caps.drop).includes('ALL')) missingDropAll.push(c.name);
      const added = strings(caps.add).filter((cap) => cap !== 'NET_BIND_SERVICE');
      if (added.length) {
        addingForbidden.push(c.name);
        forbidden.push(...added);
      }
    }
    const details: string[] = [];
    if (missingDropAll.length) details.push(`${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
    if (addingForbidden.length) details.push(`${containersPhrase(addingForbidden)} must not include ${joinQuote(sortedSet(forbidden))} in securityContext.capabilities.add`);
    return details.length ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : undefined;
  },
};
