/**
 * Maps a request path to what it addresses: a health or metrics endpoint, a discovery document,
 * OpenAPI, a resource (collection, object or subresource, possibly under the legacy `/watch/`
 * prefix), a pod's log, exec, attach or portforward. Unknown paths are a 404 Status.
 */
import { findResource, groupVersions, type ResourceInfo, type Subresource } from '../../api/kinds.ts';
import { ApiError } from '../../api/status.ts';
import { METRICS_GROUP } from '../metrics-api/discovery.ts';
import { metricsRoute, type ResourceMetricsRoute } from '../metrics-api/route.ts';
import { servedGroupVersions } from '../discovery/served.ts';

/** A resource URL, decoded. */
export interface ResourceRoute {
  type: 'resource';
  info: ResourceInfo;
  /** Namespace from the path; absent for cluster-scoped kinds and all-namespace collections. */
  namespace?: string;
  name?: string;
  subresource?: Subresource;
  /** The path used the legacy `/watch/` prefix. */
  watchPrefix: boolean;
}

/** `GET /api/v1/namespaces/{ns}/pods/{name}/log` (handlers/pod-logs.ts). */
export interface PodLogRoute {
  type: 'podLog';
  namespace: string;
  name: string;
}

/** `/api/v1/namespaces/{ns}/pods/{name}/exec` (handlers/pod-exec.ts; a WebSocket upgrade). */
export interface PodExecRoute {
  type: 'podExec';
  namespace: string;
  name: string;
}

/** `/api/v1/namespaces/{ns}/pods/{name}/portforward` (handlers/pod-portforward.ts; a WebSocket or SPDY upgrade). */
export interface PodPortForwardRoute {
  type: 'podPortForward';
  namespace: string;
  name: string;
}

/** `/api/v1/namespaces/{ns}/pods/{name}/attach` (handlers/pod-attach.ts; a WebSocket upgrade). */
export interface PodAttachRoute {
  type: 'podAttach';
  namespace: string;
  name: string;
}

/** `/kactus/v1/history/{kind}/{namespace|_}/{name}`: one object's actor transitions (events/serve.ts). */
export interface HistoryRoute {
  type: 'history';
  kind: string;
  namespace: string;
  name: string;
}

export type Route =
  | { type: 'health'; check: 'healthz' | 'livez' | 'readyz' }
  /** `GET /cacerts`: the cluster CA (PEM), unauthenticated, as k3s serves it to joining masters (src/master/etcd/join-protocol.ts). */
  | { type: 'cacerts' }
  /** `POST /kactus/v1/etcd/members`: a master joining the etcd cluster, authenticated by its join token. */
  | { type: 'etcdMembers' }
  | { type: 'events' }
  | HistoryRoute
  | { type: 'metrics' }
  | { type: 'version' }
  | { type: 'machines' }
  /** `/ui/<file>` (handlers/ui.ts); `file` is undefined for `/ui` itself (redirected), '' for `/ui/`. */
  | { type: 'ui'; file?: string }
  | { type: 'openapi'; version: 'v3'; path?: string }
  | { type: 'apiVersions' }
  | { type: 'apiGroupList' }
  | { type: 'apiGroup'; group: string }
  | { type: 'apiResourceList'; group: string; version: string }
  | ResourceRoute
  | PodLogRoute
  | PodExecRoute
  | PodPortForwardRoute
  | PodAttachRoute
  | ResourceMetricsRoute;

/** The 404 Kubernetes answers for a path it does not serve. */
export function pathNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
}

/** A percent-decoded path segment; a broken escape (`%zz`, `%ff` alone) is the client's 400, not a URIError's 500. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw ApiError.badRequest(`invalid path segment ${JSON.stringify(segment.slice(0, 200))}: malformed percent-encoding`);
  }
}

const HEALTH = new Set(['healthz', 'livez', 'readyz']);

/** Decodes a URL path (without query) into a Route; throws a 404 ApiError for unknown paths. */
export function route(pathname: string): Route {
  const segs = pathname.split('/').filter((s) => s.length > 0).map(decodeSegment);
  const [head, ...rest] = segs;
  if (head === undefined) throw pathNotFound();
  if (HEALTH.has(head)) return { type: 'health', check: head as 'healthz' | 'livez' | 'readyz' };
  if (head === 'metrics' && rest.length === 0) return { type: 'metrics' };
  if (head === 'version' && rest.length === 0) return { type: 'version' };
  if (head === 'cacerts' && rest.length === 0) return { type: 'cacerts' };
  if (head === 'ui') return pathname === '/ui' ? { type: 'ui' } : { type: 'ui', file: rest.join('/') };
  // kactus' own API: the machine catalogue (the event stream joins it under /kactus/v1).
  if (head === 'kactus' && rest.length === 2 && rest[0] === 'v1' && rest[1] === 'machines') return { type: 'machines' };
  // The event stream (a WebSocket upgrade) and one object's history: src/apiserver/events/README.md.
  if (head === 'kactus' && rest.length === 2 && rest[0] === 'v1' && rest[1] === 'events') return { type: 'events' };
  if (head === 'kactus' && rest.length === 3 && rest[0] === 'v1' && rest[1] === 'etcd' && rest[2] === 'members') return { type: 'etcdMembers' };
  if (head === 'kactus' && rest.length === 5 && rest[0] === 'v1' && rest[1] === 'history') return { type: 'history', kind: rest[2]!, namespace: rest[3]!, name: rest[4]! };
  if (head === 'openapi' && rest[0] === 'v3') {
    return rest.length === 1 ? { type: 'openapi', version: 'v3' } : { type: 'openapi', version: 'v3', path: rest.slice(1).join('/') };
  }
  if (head === 'api') {
    if (rest.length === 0) return { type: 'apiVersions' };
    const [version, ...tail] = rest;
    return groupVersionRoute('', version, tail);
  }
  if (head === 'apis') {
    if (rest.length === 0) return { type: 'apiGroupList' };
    const [group, version, ...tail] = rest;
    if (group === '') throw pathNotFound();
    if (version === undefined) {
      if (!servedGroupVersions(true).some((gv) => gv.group === group)) throw pathNotFound();
      return { type: 'apiGroup', group };
    }
    // metrics.k8s.io is computed (src/metrics), not stored: its own paths, its own handler.
    if (group === METRICS_GROUP) return metricsRoute(version, tail);
    return groupVersionRoute(group, version, tail);
  }
  throw pathNotFound();
}

function groupVersionRoute(group: string, version: string, segs: string[]): Route {
  if (!groupVersions().some((gv) => gv.group === group && gv.version === version)) throw pathNotFound();
  let rest = segs;
  const watchPrefix = rest[0] === 'watch';
  if (watchPrefix) rest = rest.slice(1);
  if (rest.length === 0) {
    if (watchPrefix) throw pathNotFound();
    return { type: 'apiResourceList', group, version };
  }

  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const nested = findResource(group, version, rest[2]);
    if (nested?.namespaced) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
  }
  const [resource, name, subresource, ...extra] = rest;
  const info = findResource(group, version, resource);
  if (!info || extra.length > 0) throw pathNotFound();
  // A namespaced kind is addressed by name only inside its namespace; a cluster-scoped one never is.
  if (info.namespaced && namespace === undefined && name !== undefined) throw pathNotFound();
  if (info.group === '' && info.resource === 'pods' && namespace !== undefined && name !== undefined && !watchPrefix) {
    if (subresource === 'log') return { type: 'podLog', namespace, name };
    if (subresource === 'exec') return { type: 'podExec', namespace, name };
    if (subresource === 'portforward') return { type: 'podPortForward', namespace, name };
    if (subresource === 'attach') return { type: 'podAttach', namespace, name };
  }
  if (subresource !== undefined && !(info.subresources as string[]).includes(subresource)) throw pathNotFound();
  if (watchPrefix && subresource !== undefined) throw pathNotFound();
  const out: ResourceRoute = { type: 'resource', info, watchPrefix };
  if (namespace !== undefined) out.namespace = namespace;
  if (name !== undefined) out.name = name;
  if (subresource !== undefined) out.subresource = subresource as Subresource;
  return out;
}
