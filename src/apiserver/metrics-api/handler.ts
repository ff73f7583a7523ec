/**
 * GET on metrics.k8s.io/v1beta1, as metrics-server answers it: PodMetrics / NodeMetrics built
 * from the PodMetricsSource for the pods and nodes that exist in the Registry (their labels go
 * in the metadata, and `labelSelector` / `fieldSelector` select them there), usage in canonical
 * quantities, `timestamp` and `window` of the sample. Without a source the group is not
 * served (404, and discovery does not list it), as when metrics-server is not installed.
 */
import type { ServerResponse } from 'node:http';
import { findResource, type ResourceInfo } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import type { Registry } from '../../registry/registry.ts';
import { writeJson } from '../http/respond.ts';
import { pathNotFound } from '../http/router.ts';
import { toKubernetesTime } from '../../api/kubernetes-time.ts';
import { formatCpu, formatMemory } from '../../metrics/quantity-format.ts';
import type { ContainerUsage, NodeUsage, PodMetricsSource, PodUsage } from '../../metrics/types.ts';
import { METRICS_API_VERSION, NODE_METRICS, POD_METRICS } from './discovery.ts';
import type { ResourceMetricsRoute } from './route.ts';

const PODS = findResource('', 'v1', 'pods') as ResourceInfo;
const NODES = findResource('', 'v1', 'nodes') as ResourceInfo;

export interface ResourceMetricsDeps {
  registry: Registry;
  source?: PodMetricsSource;
  now?: () => Date;
}

const usage = (cpuNanoCores: number, memoryBytes: number): { cpu: string; memory: string } => ({ cpu: formatCpu(cpuNanoCores), memory: formatMemory(memoryBytes) });

function metadata(obj: KubeObject, now: Date): Record<string, unknown> {
  const meta: Record<string, unknown> = { name: obj.metadata?.name };
  if (obj.metadata?.namespace) meta.namespace = obj.metadata.namespace;
  // metrics-server stamps the time of the request: the object is computed, not stored.
  meta.creationTimestamp = toKubernetesTime(now.getTime());
  if (obj.metadata?.labels) meta.labels = obj.metadata.labels;
  return meta;
}

function podMetrics(pod: KubeObject, u: PodUsage, now: Date): Record<string, unknown> {
  return {
    kind: 'PodMetrics',
    apiVersion: METRICS_API_VERSION,
    metadata: metadata(pod, now),
    timestamp: toKubernetesTime(u.timestamp),
    window: `${u.windowSeconds}s`,
    containers: u.containers.map((c: ContainerUsage) => ({ name: c.name, usage: usage(c.cpuNanoCores, c.memoryBytes) })),
  };
}

function nodeMetrics(node: KubeObject, u: NodeUsage, now: Date): Record<string, unknown> {
  return { kind: 'NodeMetrics', apiVersion: METRICS_API_VERSION, metadata: metadata(node, now), timestamp: toKubernetesTime(u.timestamp), window: `${u.windowSeconds}s`, usage: usage(u.cpuNanoCores, u.memoryBytes) };
}

/** Serves one metrics.k8s.io request (GET/HEAD only). */
export async function serveResourceMetrics(method: string, res: ServerResponse, query: URLSearchParams, route: ResourceMetricsRoute, deps: ResourceMetricsDeps): Promise<void> {
  const info = route.resource === 'pods' ? POD_METRICS : NODE_METRICS;
  if (method !== 'GET' && method !== 'HEAD') throw ApiError.methodNotAllowed(info, method.toLowerCase());
  const source = deps.source;
  if (!source) throw pathNotFound();
  const now = deps.now?.() ?? new Date();

  if (route.name !== undefined) {
    const u = route.resource === 'pods' ? source.getPod(route.namespace ?? '', route.name) : source.getNode(route.name);
    if (!u) throw ApiError.notFound(info, route.name);
    const obj = await deps.registry.get(route.resource === 'pods' ? PODS : NODES, route.namespace, route.name);
    const body = route.resource === 'pods' ? podMetrics(obj, u as PodUsage, now) : nodeMetrics(obj, u as NodeUsage, now);
    return writeJson(res, 200, body);
  }

  const selection = { labelSelector: query.get('labelSelector') ?? undefined, fieldSelector: query.get('fieldSelector') ?? undefined };
  let items: Record<string, unknown>[];
  if (route.resource === 'pods') {
    const pods = await deps.registry.list(PODS, route.namespace, selection);
    const byKey = new Map(pods.items.map((p) => [`${p.metadata?.namespace}/${p.metadata?.name}`, p]));
    items = source.listPods(route.namespace).flatMap((u) => {
      const pod = byKey.get(`${u.namespace}/${u.name}`);
      return pod ? [podMetrics(pod, u, now)] : [];
    });
  } else {
    const nodes = await deps.registry.list(NODES, undefined, selection);
    const byName = new Map(nodes.items.map((n) => [n.metadata?.name ?? '', n]));
    items = source.listNodes().flatMap((u) => {
      const node = byName.get(u.name);
      return node ? [nodeMetrics(node, u, now)] : [];
    });
  }
  writeJson(res, 200, { kind: info.listKind, apiVersion: METRICS_API_VERSION, metadata: {}, items });
}
