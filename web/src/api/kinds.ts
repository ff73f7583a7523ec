/**
 * The kinds the dashboard lists, and their REST paths. Which of them have a state machine is
 * read from the machine catalogue at run time, not listed here.
 */
export interface KindInfo {
  kind: string;
  group: string;
  version: string;
  /** Plural resource name, also the list page's route (`#/pods`). */
  resource: string;
  namespaced: boolean;
  /** Menu title. */
  title: string;
}

export const KINDS: readonly KindInfo[] = [
  { kind: 'Node', group: '', version: 'v1', resource: 'nodes', namespaced: false, title: 'Nodes' },
  { kind: 'Pod', group: '', version: 'v1', resource: 'pods', namespaced: true, title: 'Pods' },
  { kind: 'Deployment', group: 'apps', version: 'v1', resource: 'deployments', namespaced: true, title: 'Deployments' },
  { kind: 'ReplicaSet', group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true, title: 'ReplicaSets' },
  { kind: 'StatefulSet', group: 'apps', version: 'v1', resource: 'statefulsets', namespaced: true, title: 'StatefulSets' },
  { kind: 'DaemonSet', group: 'apps', version: 'v1', resource: 'daemonsets', namespaced: true, title: 'DaemonSets' },
  { kind: 'Job', group: 'batch', version: 'v1', resource: 'jobs', namespaced: true, title: 'Jobs' },
  { kind: 'CronJob', group: 'batch', version: 'v1', resource: 'cronjobs', namespaced: true, title: 'CronJobs' },
  { kind: 'HorizontalPodAutoscaler', group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', namespaced: true, title: 'HPAs' },
  { kind: 'Service', group: '', version: 'v1', resource: 'services', namespaced: true, title: 'Services' },
  { kind: 'PersistentVolumeClaim', group: '', version: 'v1', resource: 'persistentvolumeclaims', namespaced: true, title: 'PVCs' },
  { kind: 'PersistentVolume', group: '', version: 'v1', resource: 'persistentvolumes', namespaced: false, title: 'PVs' },
  { kind: 'ConfigMap', group: '', version: 'v1', resource: 'configmaps', namespaced: true, title: 'ConfigMaps' },
  { kind: 'Event', group: '', version: 'v1', resource: 'events', namespaced: true, title: 'Events' },
  { kind: 'Namespace', group: '', version: 'v1', resource: 'namespaces', namespaced: false, title: 'Namespaces' },
];

export function kindByResource(resource: string): KindInfo | undefined {
  return KINDS.find((k) => k.resource === resource);
}

export function kindByName(kind: string): KindInfo | undefined {
  return KINDS.find((k) => k.kind === kind);
}

const enc = encodeURIComponent;

/** `/api/v1` or `/apis/apps/v1`. */
function groupPrefix(k: KindInfo): string {
  return k.group === '' ? `/api/${k.version}` : `/apis/${k.group}/${k.version}`;
}

/** A collection (all namespaces when `namespace` is undefined) or one object's path. */
export function resourcePath(k: KindInfo, namespace?: string, name?: string): string {
  const ns = k.namespaced && namespace !== undefined ? `/namespaces/${enc(namespace)}` : '';
  return `${groupPrefix(k)}${ns}/${k.resource}${name !== undefined ? `/${enc(name)}` : ''}`;
}

/** A query string from the defined entries (`?a=1&b=2`, or ''). */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const text = q.toString();
  return text === '' ? '' : `?${text}`;
}
