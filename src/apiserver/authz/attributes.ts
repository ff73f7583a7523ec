/**
 * What a request asks to do, as an authorizer reads it (Kubernetes' RequestInfoFactory): for a
 * resource, the verb from the method and query (get/list/watch/create/update/patch/delete/
 * deletecollection; server-side apply is a patch; exec, attach and portforward are `create` on
 * their subresource, as kube-apiserver 1.32 checks WebSocket upgrades), API group, resource,
 * subresource, namespace and name (a list or watch narrowed by `fieldSelector=metadata.name=X`
 * names X); anything else is a non-resource path with the lowercased HTTP method as verb.
 */
import type { IncomingMessage } from 'node:http';
import { allResources, type ResourceInfo } from '../../api/kinds.ts';
import type { UserInfo } from '../../api/user.ts';
import type { AuthorizationAttributes } from '../../registry/authorization/types.ts';
import { METRICS_GROUP } from '../metrics-api/discovery.ts';
import { isWatchRequest } from '../http/query.ts';
import type { Route } from '../http/router.ts';

/** The resource of a machine kind (`Pod`, `Deployment`): the stored version of that kind, core first. */
export function resourceOfKind(kind: string): ResourceInfo | undefined {
  return allResources().find((r) => r.kind === kind && r.storageVersion === r.version);
}

/** `metadata.name=X` (or `==`) of a field selector: Kubernetes authorizes such a list or watch as naming X. */
export function nameFromFieldSelector(selector: string | null): string {
  if (!selector) return '';
  for (const part of selector.split(',')) {
    const m = /^\s*metadata\.name\s*==?\s*(.+?)\s*$/.exec(part);
    if (m) return m[1]!;
  }
  return '';
}

function readVerb(method: string, named: boolean, q: URLSearchParams, watchPrefix = false): string {
  if (method === 'GET' || method === 'HEAD') {
    if (watchPrefix || isWatchRequest(q)) return 'watch';
    return named ? 'get' : 'list';
  }
  if (method === 'POST') return 'create';
  if (method === 'PUT') return 'update';
  if (method === 'PATCH') return 'patch';
  if (method === 'DELETE') return named ? 'delete' : 'deletecollection';
  return method.toLowerCase();
}

/**
 * The attributes of a request to `route` by `user`; undefined for what is never authorized here
 * (health checks and the dashboard's files; the event stream authorizes itself, see events/).
 */
export function requestAttributes(req: IncomingMessage, route: Route, url: URL, user: UserInfo): AuthorizationAttributes | undefined {
  const method = req.method ?? 'GET';
  const q = url.searchParams;
  const resource = (r: { verb: string; apiGroup: string; resource: string; subresource?: string; namespace?: string; name?: string }): AuthorizationAttributes => ({
    user,
    resourceRequest: true,
    verb: r.verb,
    apiGroup: r.apiGroup,
    resource: r.resource,
    subresource: r.subresource ?? '',
    namespace: r.namespace ?? '',
    name: r.name ?? '',
  });
  switch (route.type) {
    case 'health':
    case 'ui':
      return undefined;
    case 'resource': {
      const named = route.name !== undefined;
      const verb = readVerb(method, named, q, route.watchPrefix);
      const name = route.name ?? (verb === 'list' || verb === 'watch' ? nameFromFieldSelector(q.get('fieldSelector')) : '');
      // A namespace is its own namespace (`/api/v1/namespaces/team` is in "team"): a RoleBinding there lets its subjects read it.
      const isNamespace = route.info.group === '' && route.info.resource === 'namespaces';
      const namespace = isNamespace && route.name !== undefined ? route.name : route.namespace;
      return resource({ verb, apiGroup: route.info.group, resource: route.info.resource, subresource: route.subresource, namespace, name });
    }
    case 'podLog':
      return resource({ verb: 'get', apiGroup: '', resource: 'pods', subresource: 'log', namespace: route.namespace, name: route.name });
    case 'podExec':
      return resource({ verb: 'create', apiGroup: '', resource: 'pods', subresource: 'exec', namespace: route.namespace, name: route.name });
    case 'podAttach':
      return resource({ verb: 'create', apiGroup: '', resource: 'pods', subresource: 'attach', namespace: route.namespace, name: route.name });
    case 'podPortForward':
      return resource({ verb: 'create', apiGroup: '', resource: 'pods', subresource: 'portforward', namespace: route.namespace, name: route.name });
    case 'resourceMetrics':
      return resource({ verb: readVerb(method, route.name !== undefined, q), apiGroup: METRICS_GROUP, resource: route.resource, namespace: route.namespace, name: route.name });
    case 'history': {
      // One object's history is read as the object itself is: `get` on its kind.
      const info = resourceOfKind(route.kind);
      if (info) return resource({ verb: 'get', apiGroup: info.group, resource: info.resource, namespace: info.namespaced && route.namespace !== '_' ? route.namespace : '', name: route.name });
      return { user, resourceRequest: false, verb: method.toLowerCase(), path: url.pathname };
    }
    default:
      // Discovery, OpenAPI, /version, /metrics, the machine catalogue, the event stream.
      return { user, resourceRequest: false, verb: method.toLowerCase(), path: url.pathname };
  }
}
