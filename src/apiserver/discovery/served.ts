/**
 * Every group/version the server advertises: the stored kinds (src/api/kinds.ts) plus the
 * computed metrics.k8s.io/v1beta1 (src/metrics/api) when the server has a metrics source, as a
 * Kubernetes API server lists it only while metrics-server is registered.
 */
import { groupVersions, type GroupVersion } from '../../api/kinds.ts';
import { metricsGroupVersion } from '../metrics-api/discovery.ts';

export function servedGroupVersions(withMetrics: boolean): GroupVersion[] {
  return withMetrics ? [...groupVersions(), metricsGroupVersion()] : groupVersions();
}
