/**
 * Host ports (kube-scheduler's HostPortInfo): the `hostPort`s a pod asks for, and the ones in use
 * on a node, counted so two pods holding the same port (allowed on different host IPs) are each
 * released on their own. A wanted port conflicts with a used one of the same protocol and port
 * when either host IP is 0.0.0.0 (every address) or both are the same.
 */
import { isRecord, recordList, type KubeObject } from '../api/object.ts';

const ANY_IP = '0.0.0.0';

export interface HostPort {
  protocol: string;
  ip: string;
  port: number;
}

/** The host ports the pod's containers (and sidecar init containers) ask for. */
export function podHostPorts(pod: KubeObject): HostPort[] {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const containers = [...recordList(spec, 'containers'), ...recordList(spec, 'initContainers').filter((c) => c.restartPolicy === 'Always')];
  const ports: HostPort[] = [];
  for (const c of containers) {
    for (const p of recordList(c, 'ports')) {
      if (typeof p.hostPort !== 'number' || p.hostPort <= 0) continue;
      ports.push({
        protocol: typeof p.protocol === 'string' && p.protocol !== '' ? p.protocol : 'TCP',
        ip: typeof p.hostIP === 'string' && p.hostIP !== '' ? p.hostIP : ANY_IP,
        port: p.hostPort,
      });
    }
  }
  return ports;
}

/** The host ports in use on one node. */
export class HostPortUsage {
  /** `protocol/port` → host IP → how many pods hold it. */
  private readonly used = new Map<string, Map<string, number>>();

  add(ports: readonly HostPort[]): void {
    for (const { protocol, ip, port } of ports) {
      const key = `${protocol}/${port}`;
      let ips = this.used.get(key);
      if (!ips) this.used.set(key, (ips = new Map()));
      ips.set(ip, (ips.get(ip) ?? 0) + 1);
    }
  }

  remove(ports: readonly HostPort[]): void {
    for (const { protocol, ip, port } of ports) {
      const key = `${protocol}/${port}`;
      const ips = this.used.get(key);
      const n = ips?.get(ip) ?? 0;
      if (!ips || n === 0) continue;
      if (n > 1) ips.set(ip, n - 1);
      else ips.delete(ip);
      if (ips.size === 0) this.used.delete(key);
    }
  }

  /** True when `wanted` clashes with a port in use. */
  conflicts(wanted: HostPort): boolean {
    const ips = this.used.get(`${wanted.protocol}/${wanted.port}`);
    if (!ips) return false;
    if (wanted.ip === ANY_IP) return ips.size > 0;
    return ips.has(wanted.ip) || ips.has(ANY_IP);
  }

  get empty(): boolean {
    return this.used.size === 0;
  }
}
