/**
 * Reading a stored Pod (as `pod.assign` carries it) into what the node needs: the pod machine's
 * input (with each container's probes, read by probes/probe-spec.ts, the init containers and the
 * volume names) and the runtime's container specs as the pod states them (init containers'
 * too; env as literal values — the node resolves the rest at each start, container-config.ts).
 * The volumes themselves are volumes/'s. Pure: no I/O, so the mapping is tested on its own.
 */
import { optionalRecord, recordList, type JsonObject } from '../src/api/object.ts';
import { parseQuantity } from '../src/api/quantity.ts';
import type { PodMachineInput, RestartPolicy } from '../src/actors/pod/events.ts';
import { probesOf } from './probes/probe-spec.ts';
import type { ContainerResources, ContainerSpec, PodRef, VolumeMount } from '../src/runtime/types.ts';
import { podVolumes } from './volumes/pod-volumes.ts';
export { podDir } from './volumes/volume-manager.ts';

/** Everything the node reads from one Pod object. */
export interface NodePod {
  ref: PodRef;
  input: PodMachineInput;
  /** Runtime specs by container name, init containers first, in spec order. */
  specs: ReadonlyMap<string, ContainerSpec>;
  /** Set when the pod is being deleted. */
  deletion?: { graceSeconds: number };
  /** The phase the store holds: a pod already Succeeded/Failed is not run again. */
  storedPhase?: string;
}

const RESTART_POLICIES: readonly RestartPolicy[] = ['Always', 'OnFailure', 'Never'];

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Literal `env[].value`s (the node resolves `valueFrom`, `envFrom` and `$(VAR)` at each start). */
function envOf(container: JsonObject): Record<string, string> | undefined {
  const env: Record<string, string> = {};
  for (const e of recordList(container, 'env')) {
    const name = str(e.name);
    if (name !== undefined) env[name] = str(e.value) ?? '';
  }
  return Object.keys(env).length > 0 ? env : undefined;
}

function millis(quantity: unknown): number | undefined {
  const cores = parseQuantity(quantity);
  return cores === undefined ? undefined : Math.round(cores * 1000);
}

function resourcesOf(container: JsonObject): ContainerResources | undefined {
  const resources = optionalRecord(container, 'resources');
  const limits = optionalRecord(resources, 'limits');
  const requests = optionalRecord(resources, 'requests');
  const memory = parseQuantity(limits?.memory);
  const out: ContainerResources = {};
  if (memory !== undefined) out.memoryLimitBytes = Math.round(memory);
  const cpuRequest = millis(requests?.cpu);
  if (cpuRequest !== undefined) out.cpuRequestMillis = cpuRequest;
  const cpuLimit = millis(limits?.cpu);
  if (cpuLimit !== undefined) out.cpuLimitMillis = cpuLimit;
  return Object.keys(out).length > 0 ? out : undefined;
}

function mountsOf(container: JsonObject): VolumeMount[] | undefined {
  const mounts = recordList(container, 'volumeMounts').flatMap((m): VolumeMount[] => {
    const name = str(m.name);
    const mountPath = str(m.mountPath);
    if (name === undefined || mountPath === undefined) return [];
    return [m.readOnly === true ? { name, mountPath, readOnly: true } : { name, mountPath }];
  });
  return mounts.length > 0 ? mounts : undefined;
}

/** A Kubernetes container as the runtime's ContainerSpec. */
export function containerSpecOf(container: JsonObject): ContainerSpec {
  const spec: ContainerSpec = { name: str(container.name) ?? '', image: str(container.image) ?? '' };
  const command = strings(container.command);
  if (command) spec.command = command;
  const args = strings(container.args);
  if (args) spec.args = args;
  const env = envOf(container);
  if (env) spec.env = env;
  const workingDir = str(container.workingDir);
  if (workingDir) spec.workingDir = workingDir;
  const resources = resourcesOf(container);
  if (resources) spec.resources = resources;
  const volumeMounts = mountsOf(container);
  if (volumeMounts) spec.volumeMounts = volumeMounts;
  if (container.stdin === true) spec.stdin = true;
  if (container.stdinOnce === true) spec.stdinOnce = true;
  if (container.tty === true) spec.tty = true;
  return spec;
}

/** An init container for the machine: a sidecar (`restartPolicy: Always`) keeps its probes. */
function initContainerOf(c: JsonObject): NonNullable<PodMachineInput['initContainers']>[number] {
  const base = { name: str(c.name) ?? '', image: str(c.image) ?? '' };
  return c.restartPolicy === 'Always' ? { ...base, restartPolicy: 'Always', probes: probesOf(c) } : base;
}

/** When the scheduler bound the pod (its PodScheduled condition), in epoch ms. */
function scheduledAt(status: JsonObject | undefined): number | undefined {
  const condition = recordList(status, 'conditions').find((c) => c.type === 'PodScheduled' && c.status === 'True');
  const time = Date.parse(str(condition?.lastTransitionTime) ?? '');
  return Number.isNaN(time) ? undefined : time;
}

/** Read a stored Pod for the node. */
export function readNodePod(pod: JsonObject): NodePod {
  const metadata = optionalRecord(pod, 'metadata') ?? {};
  const spec = optionalRecord(pod, 'spec') ?? {};
  const status = optionalRecord(pod, 'status');
  const ref: PodRef = {
    uid: str(metadata.uid) ?? '',
    namespace: str(metadata.namespace) ?? 'default',
    name: str(metadata.name) ?? '',
  };
  const hostname = str(spec.hostname);
  if (hostname) ref.hostname = hostname;
  const containers = recordList(spec, 'containers');
  const initContainers = recordList(spec, 'initContainers');
  const specs = new Map([...initContainers, ...containers].map((c) => [str(c.name) ?? '', containerSpecOf(c)] as const));
  const probes = new Map(containers.map((c) => [str(c.name) ?? '', probesOf(c)] as const));
  const policy = str(spec.restartPolicy);
  const grace = num(spec.terminationGracePeriodSeconds) ?? 30;
  const input: PodMachineInput = {
    namespace: ref.namespace,
    name: ref.name,
    uid: ref.uid,
    nodeName: str(spec.nodeName),
    scheduledAt: scheduledAt(status),
    restartPolicy: RESTART_POLICIES.find((p) => p === policy) ?? 'Always',
    terminationGracePeriodSeconds: grace,
    containers: containers.map((c) => ({ name: str(c.name) ?? '', image: str(c.image) ?? '', probes: probes.get(str(c.name) ?? '') ?? {} })),
    ...(initContainers.length === 0 ? {} : { initContainers: initContainers.map(initContainerOf) }),
  };
  const volumes = podVolumes(pod).map((v) => v.name);
  if (volumes.length > 0) input.volumes = volumes;
  const out: NodePod = { ref, input, specs };
  if (str(metadata.deletionTimestamp) !== undefined) {
    out.deletion = { graceSeconds: num(metadata.deletionGracePeriodSeconds) ?? grace };
  }
  const phase = str(status?.phase);
  if (phase) out.storedPhase = phase;
  return out;
}
