/**
 * Pure translation of pods and container specs into Docker create options and labels. No I/O,
 * so the mapping (command/args, limits, mounts, namespaces) is tested without an engine.
 */
import { randomBytes } from 'node:crypto';
import type { ContainerCreateOptions } from 'dockerode';
import { resolveMounts } from './container-spec.ts';
import type { ContainerSpec, HostVolume, PodRef } from '../../src/runtime/types.ts';

/** Labels on every container the Docker runtime creates: how listPods and events find a pod. */
export const LABELS = {
  node: 'io.kactus.node',
  podUid: 'io.kactus.pod-uid',
  podName: 'io.kactus.pod-name',
  namespace: 'io.kactus.namespace',
  containerName: 'io.kactus.container-name',
  role: 'io.kactus.role',
} as const;

export type Role = 'sandbox' | 'container';

/**
 * The sandbox's process: sleeps forever and exits 0 on SIGTERM at once (a plain `sleep` as PID 1
 * ignores SIGTERM, so every stop would wait the whole grace period).
 */
export const SANDBOX_COMMAND = ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 3600 & wait; done'];

/** Kubernetes CPU shares: 1024 per core, at least 2 (the kernel's minimum). */
export function cpuShares(millis: number): number {
  return Math.max(2, Math.floor((millis * 1024) / 1000));
}

/** CFS period Kubernetes uses (100 ms) and the quota that caps a container at `millis`. */
export const CPU_PERIOD_US = 100_000;
export function cpuQuota(millis: number): number {
  return Math.max(1000, Math.floor((millis * CPU_PERIOD_US) / 1000));
}

/** A Docker name: kactus_<node>_<namespace>_<pod>_<container>_<random>, invalid characters replaced. */
export function containerName(node: string, pod: PodRef, container: string): string {
  const clean = (s: string) => s.replace(/[^a-zA-Z0-9_.-]/g, '-');
  return ['kactus', clean(node), clean(pod.namespace), clean(pod.name), clean(container), randomBytes(3).toString('hex')].join('_');
}

export function podLabels(node: string, pod: PodRef, role: Role, extra: Record<string, string>): Record<string, string> {
  return {
    ...extra,
    [LABELS.node]: node,
    [LABELS.podUid]: pod.uid,
    [LABELS.podName]: pod.name,
    [LABELS.namespace]: pod.namespace,
    [LABELS.role]: role,
  };
}

export interface SandboxCreateInput {
  node: string;
  pod: PodRef;
  image: string;
  network: string;
  extraLabels: Record<string, string>;
}

export function sandboxCreateOptions(input: SandboxCreateInput): ContainerCreateOptions {
  const { node, pod } = input;
  return {
    name: containerName(node, pod, 'POD'),
    Image: input.image,
    Entrypoint: [],
    Cmd: SANDBOX_COMMAND,
    Hostname: pod.hostname ?? pod.name,
    Labels: podLabels(node, pod, 'sandbox', input.extraLabels),
    HostConfig: {
      NetworkMode: input.network,
      // Containers of the pod join this IPC namespace, as in Kubernetes.
      IpcMode: 'shareable',
    },
  };
}

export interface ContainerCreateInput {
  node: string;
  pod: PodRef;
  sandboxId: string;
  spec: ContainerSpec;
  volumes: HostVolume[];
  extraLabels: Record<string, string>;
}

/**
 * Kubernetes semantics: `command` replaces ENTRYPOINT (the image's CMD is then dropped, which
 * Docker does when Entrypoint is set), `args` replaces CMD. The container shares the sandbox's
 * network (IP, localhost, hostname) and IPC namespaces.
 */
export function containerCreateOptions(input: ContainerCreateInput): ContainerCreateOptions {
  const { spec, sandboxId } = input;
  const resources = spec.resources ?? {};
  const mounts = resolveMounts(spec, input.volumes);
  const hostConfig: NonNullable<ContainerCreateOptions['HostConfig']> = {
    NetworkMode: `container:${sandboxId}`,
    IpcMode: `container:${sandboxId}`,
    Binds: mounts.map((m) => `${m.hostPath}:${m.mountPath}${m.readOnly ? ':ro' : ''}`),
  };
  if (resources.memoryLimitBytes !== undefined) {
    hostConfig.Memory = resources.memoryLimitBytes;
    // Equal to Memory: no swap, so exceeding the limit is a real OOM kill (exit 137).
    hostConfig.MemorySwap = resources.memoryLimitBytes;
  }
  if (resources.cpuRequestMillis !== undefined) hostConfig.CpuShares = cpuShares(resources.cpuRequestMillis);
  if (resources.cpuLimitMillis !== undefined) {
    hostConfig.CpuPeriod = CPU_PERIOD_US;
    hostConfig.CpuQuota = cpuQuota(resources.cpuLimitMillis);
  }
  const options: ContainerCreateOptions = {
    name: containerName(input.node, input.pod, spec.name),
    Image: spec.image,
    Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    Labels: { ...podLabels(input.node, input.pod, 'container', input.extraLabels), [LABELS.containerName]: spec.name },
    HostConfig: hostConfig,
  };
  if (spec.command !== undefined) options.Entrypoint = spec.command;
  if (spec.args !== undefined) options.Cmd = spec.args;
  if (spec.workingDir !== undefined) options.WorkingDir = spec.workingDir;
  // `kubectl run -i/-t`: stdin kept open for attachments (closed after the first with stdinOnce), a terminal.
  if (spec.stdin) options.OpenStdin = true;
  if (spec.stdin && spec.stdinOnce) options.StdinOnce = true;
  if (spec.tty) options.Tty = true;
  return options;
}

/** The pod a container's labels name. */
export function podFromLabels(labels: Record<string, string>): PodRef {
  return { uid: labels[LABELS.podUid] ?? '', namespace: labels[LABELS.namespace] ?? '', name: labels[LABELS.podName] ?? '' };
}
