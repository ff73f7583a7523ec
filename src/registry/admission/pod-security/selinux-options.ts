/** baseline `seLinuxOptions`: type only one of the container types, user and role never set. */
import { containersOf, containersPhrase, joinQuote, pluralize, podSecurityContext, recordAt, sortedSet } from './helpers.ts';
import type { PodCheck } from './types.ts';

const ALLOWED_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);

export const seLinuxOptions: PodCheck = {
  id: 'seLinuxOptions',
  level: 'baseline',
  since: 0,
  check(pod) {
    const badTypes: string[] = [];
    let setUser = false;
    let setRole = false;
    const valid = (opts: Record<string, unknown>): boolean => {
      let ok = true;
      const type = typeof opts.type === 'string' ? opts.type : '';
      if (!ALLOWED_TYPES.has(type)) {
        ok = false;
        badTypes.push(type);
      }
      if (typeof opts.user === 'string' && opts.user.length > 0) {
        ok = false;
        setUser = true;
      }
      if (typeof opts.role === 'string' && opts.role.length > 0) {
        ok = false;
        setRole = true;
      }
      return ok;
    };
    const setters: string[] = [];
    const podOpts = recordAt(podSecurityContext(pod), 'seLinuxOptions');
    if (podOpts && !valid(podOpts)) setters.push('pod');
    const bad = containersOf(pod).filter((c) => {
      const opts = recordAt(c.sc, 'seLinuxOptions');
      return opts !== undefined && !valid(opts);
    });
    if (bad.length) setters.push(containersPhrase(bad.map((c) => c.name)));
    if (!setters.length) return undefined;
    // As Kubernetes: the user and role notes are given only alongside a bad type.
    const data: string[] = [];
    if (badTypes.length) {
      const types = sortedSet(badTypes);
      data.push(`${pluralize('type', 'types', types.length)} ${joinQuote(types)}`);
      if (setUser) data.push('user may not be set');
      if (setRole) data.push('role may not be set');
    }
    return { reason: 'seLinuxOptions', detail: `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}` };
  },
};
