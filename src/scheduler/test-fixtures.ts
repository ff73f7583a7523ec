/** Fixtures for scheduler tests: nodes and pods as the API stores them. */
import type { KubeObject } from '../api/object.ts';
import { podRequests, allocatableOf, zero, add } from './resources.ts';
import { HostPortUsage, podHostPorts } from './host-ports.ts';
import { podInfoOf } from './pod-info.ts';
import { nodeFactsOf } from './node-facts.ts';
import { SchedulerCache } from './cache.ts';
import type { NodeInfo, PodInfo } from './types.ts';

export interface NodeFixture {
  name: string;
  cpu?: string;
  memory?: string;
  pods?: string;
  ready?: 'True' | 'False' | 'Unknown';
  unschedulable?: boolean;
  taints?: { key: string; value?: string; effect: string }[];
  labels?: Record<string, string>;
}

export function node(f: NodeFixture): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: f.name, labels: { 'kubernetes.io/hostname': f.name, ...f.labels } },
    spec: { ...(f.unschedulable ? { unschedulable: true } : {}), ...(f.taints ? { taints: f.taints } : {}) },
    status: {
      capacity: { cpu: f.cpu ?? '4', memory: f.memory ?? '8Gi', pods: f.pods ?? '110' },
      allocatable: { cpu: f.cpu ?? '4', memory: f.memory ?? '8Gi', pods: f.pods ?? '110' },
      conditions: [{ type: 'Ready', status: f.ready ?? 'True', reason: 'KubeletReady' }],
    },
  };
}

export interface PodFixture {
  name: string;
  namespace?: string;
  cpu?: string;
  memory?: string;
  nodeName?: string;
  tolerations?: Record<string, unknown>[];
  nodeSelector?: Record<string, string>;
  phase?: string;
  hostPorts?: { port: number; ip?: string; protocol?: string }[];
  labels?: Record<string, string>;
  /** spec.affinity */
  affinity?: Record<string, unknown>;
  topologySpreadConstraints?: Record<string, unknown>[];
  priority?: number;
  preemptionPolicy?: string;
  deleting?: boolean;
  startTime?: string;
}

export function pod(f: PodFixture): KubeObject {
  const requests: Record<string, string> = {};
  if (f.cpu) requests.cpu = f.cpu;
  if (f.memory) requests.memory = f.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: f.name,
      namespace: f.namespace ?? 'default',
      uid: `uid-${f.name}`,
      ...(f.labels ? { labels: f.labels } : {}),
      ...(f.deleting ? { deletionTimestamp: '2024-06-01T00:00:00Z', deletionGracePeriodSeconds: 30 } : {}),
    },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'busybox',
          resources: Object.keys(requests).length ? { requests } : {},
          ...(f.hostPorts ? { ports: f.hostPorts.map((p) => ({ containerPort: p.port, hostPort: p.port, ...(p.ip ? { hostIP: p.ip } : {}), ...(p.protocol ? { protocol: p.protocol } : {}) })) } : {}),
        },
      ],
      ...(f.nodeName ? { nodeName: f.nodeName } : {}),
      ...(f.tolerations ? { tolerations: f.tolerations } : {}),
      ...(f.nodeSelector ? { nodeSelector: f.nodeSelector } : {}),
      ...(f.affinity ? { affinity: f.affinity } : {}),
      ...(f.topologySpreadConstraints ? { topologySpreadConstraints: f.topologySpreadConstraints } : {}),
      ...(f.priority !== undefined ? { priority: f.priority } : {}),
      ...(f.preemptionPolicy ? { preemptionPolicy: f.preemptionPolicy } : {}),
    },
    status: { phase: f.phase ?? 'Pending', ...(f.startTime ? { startTime: f.startTime } : {}) },
  };
}

export function podInfo(p: KubeObject): PodInfo {
  return podInfoOf(p);
}

/** A NodeInfo for `n` with `placed` pods already on it. */
export function nodeInfo(n: KubeObject, placed: KubeObject[] = []): NodeInfo {
  let requested = zero();
  let nonZeroRequested = zero();
  const usedPorts = new HostPortUsage();
  const pods = new Map<string, KubeObject>();
  for (const p of placed) {
    pods.set(p.metadata?.uid ?? '', p);
    usedPorts.add(podHostPorts(p));
    requested = add(requested, podRequests(p));
    nonZeroRequested = add(nonZeroRequested, podRequests(p, true));
  }
  return { name: n.metadata?.name ?? '', node: n, facts: nodeFactsOf(n), allocatable: allocatableOf(n), requested, nonZeroRequested, podCount: placed.length, usedPorts, pods };
}

/**
 * The scheduler's cache (the ClusterView the affinity and spreading plugins read) over `nodes`
 * and `placed` pods (each bound by its spec.nodeName), and namespaces with their labels.
 */
export function clusterOf(nodes: KubeObject[], placed: KubeObject[] = [], namespaces: Record<string, Record<string, string>> = {}): SchedulerCache {
  const cache = new SchedulerCache();
  for (const [name, labels] of Object.entries(namespaces)) cache.setNamespace({ metadata: { name, labels } });
  for (const n of nodes) cache.setNode(n);
  for (const p of placed) cache.setPod(p);
  return cache;
}
