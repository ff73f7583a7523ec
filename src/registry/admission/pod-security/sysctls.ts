/** baseline `sysctls`: only the namespaced, isolated "safe" sysctls (the set grows with the policy version). */
import { isRecord } from '../../../api/object.ts';
import { podSecurityContext } from './helpers.ts';
import type { PodCheck } from './types.ts';

const SINCE: readonly [number, readonly string[]][] = [
  [0, ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start']],
  [27, ['net.ipv4.ip_local_reserved_ports']],
  [29, ['net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes']],
  [32, ['net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem']],
];

export const sysctls: PodCheck = {
  id: 'sysctls',
  level: 'baseline',
  since: 0,
  check(pod, minor) {
    const allowed = new Set(SINCE.filter(([since]) => since <= minor).flatMap(([, names]) => names));
    const list = podSecurityContext(pod).sysctls;
    const forbidden = (Array.isArray(list) ? list.filter(isRecord) : []).map((s) => String(s.name ?? '')).filter((name) => !allowed.has(name));
    return forbidden.length ? { reason: 'forbidden sysctls', detail: forbidden.join(', ') } : undefined;
  },
};
