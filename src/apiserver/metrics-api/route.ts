/**
 * Paths under /apis/metrics.k8s.io/v1beta1: the resource list, `nodes[/NAME]`, `pods` (all
 * namespaces) and `namespaces/NS/pods[/NAME]`. Anything else (watch included: metrics-server
 * serves no watch) is a 404.
 */
import { ApiError } from '../../api/status.ts';
import { METRICS_GROUP, METRICS_VERSION } from './discovery.ts';

/** A metrics.k8s.io object or collection. */
export interface ResourceMetricsRoute {
  type: 'resourceMetrics';
  resource: 'pods' | 'nodes';
  namespace?: string;
  name?: string;
}

/** The group's APIResourceList. */
export interface MetricsResourceListRoute {
  type: 'apiResourceList';
  group: string;
  version: string;
}

const notFound = (): ApiError => new ApiError(404, 'NotFound', 'the server could not find the requested resource');

/** Decodes `segs`, the path segments after `/apis/metrics.k8s.io/<version>`. */
export function metricsRoute(version: string, segs: readonly string[]): ResourceMetricsRoute | MetricsResourceListRoute {
  if (version !== METRICS_VERSION) throw notFound();
  if (segs.length === 0) return { type: 'apiResourceList', group: METRICS_GROUP, version };
  const [a, b, c, d, ...extra] = segs;
  if (extra.length > 0) throw notFound();
  if (a === 'nodes' && c === undefined) return b === undefined ? { type: 'resourceMetrics', resource: 'nodes' } : { type: 'resourceMetrics', resource: 'nodes', name: b };
  if (a === 'pods' && b === undefined) return { type: 'resourceMetrics', resource: 'pods' };
  if (a === 'namespaces' && b !== undefined && c === 'pods') {
    return d === undefined ? { type: 'resourceMetrics', resource: 'pods', namespace: b } : { type: 'resourceMetrics', resource: 'pods', namespace: b, name: d };
  }
  throw notFound();
}
