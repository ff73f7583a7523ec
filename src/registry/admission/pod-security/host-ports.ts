/** baseline `hostPorts`: no container port bound on the host. */
import { isRecord } from '../../../api/object.ts';
import { containersOf, containersPhrase, pluralize, sortedSet } from './helpers.ts';
import type { PodCheck } from './types.ts';

export const hostPorts: PodCheck = {
  id: 'hostPorts',
  level: 'baseline',
  since: 0,
  check(pod) {
    const bad: string[] = [];
    const ports: string[] = [];
    for (const c of containersOf(pod)) {
      const used = (Array.isArray(c.raw.ports) ? c.raw.ports.filter(isRecord) : []).map((p) => p.hostPort).filter((p) => typeof p === 'number' && p !== 0);
      if (used.length) {
        bad.push(c.name);
        ports.push(...used.map(String));
      }
    }
    if (!bad.length) return undefined;
    const list = sortedSet(ports);
    return { reason: 'hostPort', detail: `${containersPhrase(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('hostPort', 'hostPorts', list.length)} ${list.join(', ')}` };
  },
};
