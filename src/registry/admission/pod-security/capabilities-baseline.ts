/** baseline `capabilities_baseline`: containers may add only capabilities of the runtime's default set. */
import { containersOf, containersPhrase, joinQuote, recordAt, sortedSet, strings } from './helpers.ts';
import type { PodCheck } from './types.ts';

const ALLOWED = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);

export const capabilitiesBaseline: PodCheck = {
  id: 'capabilities_baseline',
  level: 'baseline',
  since: 0,
  check(pod) {
    const bad: string[] = [];
    const caps: string[] = [];
    for (const c of containersOf(pod)) {
      const added = strings(recordAt(c.sc, 'capabilities')?.add).filter((cap) => !ALLOWED.has(cap));
      if (added.length) {
        bad.push(c.name);
        caps.push(...added);
      }
    }
    if (!bad.length) return undefined;
    return { reason: 'non-default capabilities', detail: `${containersPhrase(bad)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add` };
  },
};
