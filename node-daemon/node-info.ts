/**
 * What the node says about itself in heartbeats (Node.status): capacity, nodeInfo, addresses,
 * and whether the runtime answers (Ready).
 */
import { readFileSync } from 'node:fs';
import { arch, cpus, hostname, release, totalmem } from 'node:os';
import type { ContainerRuntime } from '../src/runtime/types.ts';

/** The kubelet version kactus reports. */
export const KUBELET_VERSION = 'v1.32.0-kactus';
/** Pods per node, as the kubelet's default `maxPods`. */
export const MAX_PODS = '110';
/** What a hollow node offers unless told otherwise. */
export const HOLLOW_CAPACITY: Readonly<Record<string, string>> = { cpu: '4', memory: '16Gi', pods: MAX_PODS };

/** Go's names for Node's architectures, as Kubernetes reports them. */
const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };

/** The host's capacity: its CPUs, its memory (Ki), 110 pods. */
export function hostCapacity(): Record<string, string> {
  return { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: MAX_PODS };
}

function osImage(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    if (m?.[1]) return m[1];
  } catch {
    // No os-release (not Linux, or a minimal image): fall through to the generic name.
  }
  return 'Linux';
}

/** Node.status.nodeInfo; `runtimeVersion` is e.g. `docker://20.10.24`. */
export function nodeInfo(runtimeVersion: string): Record<string, string> {
  return {
    kubeletVersion: KUBELET_VERSION,
    kubeProxyVersion: KUBELET_VERSION,
    containerRuntimeVersion: runtimeVersion,
    osImage: osImage(),
    kernelVersion: release(),
    operatingSystem: 'linux',
    architecture: GO_ARCH[arch()] ?? arch(),
  };
}

/** Node.status.addresses of a node reachable on loopback. */
export function nodeAddresses(nodeName: string, hostIP: string): { type: string; address: string }[] {
  return [
    { type: 'InternalIP', address: hostIP },
    { type: 'Hostname', address: nodeName || hostname() },
  ];
}

/** Whether the runtime answers within `timeoutMs` (the node's Ready condition). */
export async function runtimeAnswers(runtime: ContainerRuntime, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([runtime.listPods().then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
