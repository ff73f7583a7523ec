/**
 * The metrics.k8s.io/v1beta1 group as metrics-server advertises it: `pods` (PodMetrics,
 * namespaced) and `nodes` (NodeMetrics, cluster-scoped), get and list only. The API server's
 * discovery documents list it beside the stored kinds (apiserver/discovery/served.ts).
 */
import type { GroupVersion, ResourceInfo } from '../../api/kinds.ts';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
export const METRICS_API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

function metricsResource(kind: string, resource: string, namespaced: boolean): ResourceInfo {
  return Object.freeze({
    group: METRICS_GROUP,
    version: METRICS_VERSION,
    kind,
    listKind: `${kind}List`,
    resource,
    // metrics-server leaves singularName empty.
    singular: '',
    namespaced,
    shortNames: [],
    categories: [],
    subresources: [],
    verbs: ['get', 'list'],
    storageVersion: METRICS_VERSION,
  });
}

export const POD_METRICS = metricsResource('PodMetrics', 'pods', true);
export const NODE_METRICS = metricsResource('NodeMetrics', 'nodes', false);

/** The group/version for discovery documents. */
export function metricsGroupVersion(): GroupVersion {
  return { group: METRICS_GROUP, version: METRICS_VERSION, groupVersion: METRICS_API_VERSION, resources: [POD_METRICS, NODE_METRICS] };
}
