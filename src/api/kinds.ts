/**
 * The resource registry: every kind kactus serves, with the facts discovery, routing, kubectl's
 * short names and `kubectl get all` depend on. Values follow what a Kubernetes 1.32 API server
 * advertises for the same resources.
 */

/** Subresources kactus serves: status and scale views, pods' binding and serviceaccounts' token (POST only). */
export type Subresource = 'status' | 'scale' | 'binding' | 'token';

/** One served resource (one group/version/resource). */
export interface ResourceInfo {
  /** API group; '' for the core group. */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** Plural, lower-case resource name used in URLs. */
  resource: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  subresources: Subresource[];
  verbs: string[];
  /**
   * The version the objects are stored in: this one, or (served by conversion, conversion.ts)
   * another version of the same group and resource.
   */
  storageVersion: string;
}

/** The verbs Kubernetes lists for an ordinary resource. */
const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
/** Namespaces cannot be deleted as a collection. */
const NAMESPACE_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
/** Reviews (access reviews, SelfSubjectReview): POST only, answered from the request, never stored. */
const CREATE_ONLY = ['create'];

interface Entry {
  group: string;
  version: string;
  kind: string;
  resource: string;
  namespaced: boolean;
  shortNames?: string[];
  all?: boolean;
  subresources?: Subresource[];
  verbs?: string[];
  storageVersion?: string;
}

const ENTRIES: Entry[] = [
  { group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false, shortNames: ['ns'], subresources: ['status'], verbs: NAMESPACE_VERBS },
  { group: '', version: 'v1', kind: 'Node', resource: 'nodes', namespaced: false, shortNames: ['no'], subresources: ['status'] },
  { group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true, shortNames: ['po'], all: true, subresources: ['status', 'binding'] },
  { group: '', version: 'v1', kind: 'Event', resource: 'events', namespaced: true, shortNames: ['ev'] },
  { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true, shortNames: ['cm'] },
  { group: '', version: 'v1', kind: 'Secret', resource: 'secrets', namespaced: true },
  { group: '', version: 'v1', kind: 'Service', resource: 'services', namespaced: true, shortNames: ['svc'], all: true, subresources: ['status'] },
  { group: '', version: 'v1', kind: 'Endpoints', resource: 'endpoints', namespaced: true, shortNames: ['ep'] },
  { group: '', version: 'v1', kind: 'PersistentVolumeClaim', resource: 'persistentvolumeclaims', namespaced: true, shortNames: ['pvc'], subresources: ['status'] },
  { group: '', version: 'v1', kind: 'PersistentVolume', resource: 'persistentvolumes', namespaced: false, shortNames: ['pv'], subresources: ['status'] },
  { group: '', version: 'v1', kind: 'ReplicationController', resource: 'replicationcontrollers', namespaced: true, shortNames: ['rc'], all: true, subresources: ['status', 'scale'] },
  { group: '', version: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', namespaced: true, shortNames: ['sa'], subresources: ['token'] },
  { group: '', version: 'v1', kind: 'ResourceQuota', resource: 'resourcequotas', namespaced: true, shortNames: ['quota'], subresources: ['status'] },
  { group: '', version: 'v1', kind: 'LimitRange', resource: 'limitranges', namespaced: true, shortNames: ['limits'] },
  { group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', namespaced: true, shortNames: ['deploy'], all: true, subresources: ['status', 'scale'] },
  { group: 'apps', version: 'v1', kind: 'ReplicaSet', resource: 'replicasets', namespaced: true, shortNames: ['rs'], all: true, subresources: ['status', 'scale'] },
  { group: 'apps', version: 'v1', kind: 'StatefulSet', resource: 'statefulsets', namespaced: true, shortNames: ['sts'], all: true, subresources: ['status', 'scale'] },
  { group: 'apps', version: 'v1', kind: 'DaemonSet', resource: 'daemonsets', namespaced: true, shortNames: ['ds'], all: true, subresources: ['status'] },
  { group: 'apps', version: 'v1', kind: 'ControllerRevision', resource: 'controllerrevisions', namespaced: true },
  { group: 'batch', version: 'v1', kind: 'Job', resource: 'jobs', namespaced: true, all: true, subresources: ['status'] },
  { group: 'batch', version: 'v1', kind: 'CronJob', resource: 'cronjobs', namespaced: true, shortNames: ['cj'], all: true, subresources: ['status'] },
  { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', resource: 'horizontalpodautoscalers', namespaced: true, shortNames: ['hpa'], all: true, subresources: ['status'] },
  // After v2, so that v2 is the group's preferred version; `kubectl autoscale` and older manifests use v1.
  { group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler', resource: 'horizontalpodautoscalers', namespaced: true, shortNames: ['hpa'], all: true, subresources: ['status'], storageVersion: 'v2' },
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', resource: 'leases', namespaced: true },
  { group: 'events.k8s.io', version: 'v1', kind: 'Event', resource: 'events', namespaced: true, shortNames: ['ev'] },
  { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', resource: 'endpointslices', namespaced: true },
  { group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass', resource: 'storageclasses', namespaced: false, shortNames: ['sc'] },
  { group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass', resource: 'priorityclasses', namespaced: false, shortNames: ['pc'] },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', resource: 'clusterrolebindings', namespaced: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', resource: 'clusterroles', namespaced: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', resource: 'rolebindings', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', resource: 'roles', namespaced: true },
  { group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview', resource: 'selfsubjectreviews', namespaced: false, verbs: CREATE_ONLY },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'LocalSubjectAccessReview', resource: 'localsubjectaccessreviews', namespaced: true, verbs: CREATE_ONLY },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectAccessReview', resource: 'selfsubjectaccessreviews', namespaced: false, verbs: CREATE_ONLY },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectRulesReview', resource: 'selfsubjectrulesreviews', namespaced: false, verbs: CREATE_ONLY },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SubjectAccessReview', resource: 'subjectaccessreviews', namespaced: false, verbs: CREATE_ONLY },
];

const RESOURCES: readonly ResourceInfo[] = ENTRIES.map((e) =>
  Object.freeze({
    group: e.group,
    version: e.version,
    kind: e.kind,
    listKind: `${e.kind}List`,
    resource: e.resource,
    singular: e.kind.toLowerCase(),
    namespaced: e.namespaced,
    shortNames: e.shortNames ?? [],
    categories: e.all ? ['all'] : [],
    subresources: e.subresources ?? [],
    verbs: e.verbs ?? ALL_VERBS,
    storageVersion: e.storageVersion ?? e.version,
  }),
);

const byResource = new Map(RESOURCES.map((r) => [`${r.group}/${r.version}/${r.resource}`, r]));
const byKind = new Map(RESOURCES.map((r) => [`${apiVersionOf(r)}/${r.kind}`, r]));

/** `v1` for the core group, else `group/version`. */
export function apiVersionOf(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}

/** The resource served at `/api(s)/<group>/<version>/<resource>`; undefined when not served. */
export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  return byResource.get(`${group}/${version}/${resource}`);
}

/** The resource for an object's `apiVersion` + `kind`; undefined when not served. */
export function findKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return byKind.get(`${apiVersion}/${kind}`);
}

/** A review kind (POST only): the server answers it from the request and stores nothing. */
export function isReview(info: Pick<ResourceInfo, 'verbs'>): boolean {
  return info.verbs.length === 1 && info.verbs[0] === 'create';
}

/** The resource whose objects `info` serves: itself, or the stored version it converts from. */
export function storedResource(info: ResourceInfo): ResourceInfo {
  return info.storageVersion === info.version ? info : findResource(info.group, info.storageVersion, info.resource)!;
}

/** Every served resource, in registry order (core first). */
export function allResources(): readonly ResourceInfo[] {
  return RESOURCES;
}

/** One group/version with its resources, for discovery documents. */
export interface GroupVersion {
  group: string;
  version: string;
  /** `v1` or `group/version`. */
  groupVersion: string;
  resources: ResourceInfo[];
}

/** Served group/versions in registry order; the core group ('') comes first. */
export function groupVersions(): GroupVersion[] {
  const out = new Map<string, GroupVersion>();
  for (const r of RESOURCES) {
    const gv = apiVersionOf(r);
    let entry = out.get(gv);
    if (!entry) {
      entry = { group: r.group, version: r.version, groupVersion: gv, resources: [] };
      out.set(gv, entry);
    }
    entry.resources.push(r);
  }
  return [...out.values()];
}

/** `pods` for the core group, `deployments.apps` otherwise: how Kubernetes names a resource in messages. */
export function qualifiedResource(info: Pick<ResourceInfo, 'group' | 'resource'>): string {
  return info.group === '' ? info.resource : `${info.resource}.${info.group}`;
}

/** `Pod` for the core group, `Deployment.apps` otherwise: how Kubernetes names a kind in messages. */
export function qualifiedKind(info: Pick<ResourceInfo, 'group' | 'kind'>): string {
  return info.group === '' ? info.kind : `${info.kind}.${info.group}`;
}
