/** baseline `procMount`: the default /proc masks stay (procMount unset or `Default`). */
import { containersOf, containersPhrase, joinQuote, sortedSet } from './helpers.ts';
import type { PodCheck } from './types.ts';

export const procMount: PodCheck = {
  id: 'procMount',
  level: 'baseline',
  since: 0,
  check(pod) {
    const bad: string[] = [];
    const types: string[] = [];
    for (const c of containersOf(pod)) {
      const value = c.sc.procMount;
      if (value == null || value === 'Default') continue;
      bad.push(c.name);
      types.push(String(value));
    }
    return bad.length ? { reason: 'procMount', detail: `${containersPhrase(bad)} must not set securityContext.procMount to ${joinQuote(sortedSet(types))}` } : undefined;
  },
};
