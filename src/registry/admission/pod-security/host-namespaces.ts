/** baseline `hostNamespaces`: no hostNetwork, hostPID or hostIPC. */
import type { PodCheck } from './types.ts';

export const hostNamespaces: PodCheck = {
  id: 'hostNamespaces',
  level: 'baseline',
  since: 0,
  check({ spec }) {
    const shared = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((f) => spec[f] === true).map((f) => `${f}=true`);
    return shared.length ? { reason: 'host namespaces', detail: shared.join(', ') } : undefined;
  },
};
