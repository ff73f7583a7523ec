/**
 * What a request asks, as Kubernetes' RequestInfo gives it to authorizers: a resource request
 * (verb, API group, resource, subresource, namespace, name) or a non-resource path. Verbs as
 * Kubernetes names them: get, list, watch, create, update, patch, delete, deletecollection;
 * `pods/exec`, `/attach` and `/portforward` are `create` (what kubectl's upgrade needs), `pods/log`
 * is `get`. And the 403 Status Kubernetes answers when the authorizer does not allow it
 * (pkg/endpoints/handlers/responsewriters: `forbiddenMessage`).
 */
import type { IncomingMessage } from 'node:http';
import type { UserInfo } from '../../api/user.ts';
import { ApiError } from '../../api/status.ts';
import type { AuthorizationAttributes, Authorizer } from '../../registry/authorization/types.ts';
import { isWatchRequest } from './query.ts';
import type { Route } from './router.ts';

const METHOD_VERBS: Record<string, (named: boolean) => string> = {
  GET: (named) => (named ? 'get' : 'list'),
  HEAD: (named) => (named ? 'get' : 'list'),
  POST: () => 'create',
  PUT: () => 'update',
  PATCH: () => 'patch',
  DELETE: (named) => (named ? 'delete' : 'deletecollection'),
};

/** The attributes of `req` to `route` for `user`. */
export function requestAttributes(req: IncomingMessage, route: Route, url: URL, user: UserInfo): AuthorizationAttributes {
  const method = req.method ?? 'GET';
  const resourceRequest = (group: string, resource: string, subresource: string, namespace: string | undefined, name: string | undefined, verb: string): AuthorizationAttributes => ({
    user,
    resourceRequest: true,
    verb,
    apiGroup: group,
    resource,
    subresource,
    namespace: namespace ?? '',
    name: name ?? '',
  });
  switch (route.type) {
    case 'resource': {
      const named = route.name !== undefined;
      let verb = (METHOD_VERBS[method] ?? (() => method.toLowerCase()))(named);
      if (method === 'GET' && (route.watchPrefix || isWatchRequest(url.searchParams))) verb = 'watch';
      return resourceRequest(route.info.group, route.info.resource, route.subresource ?? '', route.info.namespaced ? route.namespace : undefined, route.name, verb);
    }
    case 'podLog':
      return resourceRequest('', 'pods', 'log', route.namespace, route.name, 'get');
    case 'podExec':
      return resourceRequest('', 'pods', 'exec', route.namespace, route.name, 'create');
    case 'podAttach':
      return resourceRequest('', 'pods', 'attach', route.namespace, route.name, 'create');
    case 'podPortForward':
      return resourceRequest('', 'pods', 'portforward', route.namespace, route.name, 'create');
    case 'resourceMetrics':
      return resourceRequest('metrics.k8s.io', route.resource, '', route.namespace, route.name, route.name === undefined ? 'list' : 'get');
    default:
      return { user, resourceRequest: false, verb: method.toLowerCase(), path: url.pathname };
  }
}

/** Kubernetes' wording of a refusal: `User "u" cannot get resource "pods" in API group "" in the namespace "ns"`. */
export function forbiddenMessage(attrs: AuthorizationAttributes): string {
  const who = JSON.stringify(attrs.user.name);
  if (!attrs.resourceRequest) return `User ${who} cannot ${attrs.verb} path ${JSON.stringify(attrs.path)}`;
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const where = attrs.namespace ? `in the namespace ${JSON.stringify(attrs.namespace)}` : 'at the cluster scope';
  return `User ${who} cannot ${attrs.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attrs.apiGroup)} ${where}`;
}

/** The 403 Status for a refused request (`pods "x" is forbidden: User … : reason`). */
export function forbidden(attrs: AuthorizationAttributes, reason: string): ApiError {
  const message = reason ? `${forbiddenMessage(attrs)}: ${reason}` : forbiddenMessage(attrs);
  if (!attrs.resourceRequest) return new ApiError(403, 'Forbidden', `forbidden: ${message}`);
  return ApiError.forbidden({ group: attrs.apiGroup, resource: attrs.resource }, attrs.name, message);
}

/**
 * Throws the 403 unless `authorizer` allows. `system:masters` is allowed without asking (as
 * Kubernetes' privileged-group authorizer in front of every chain).
 */
export async function authorizeRequest(authorizer: Authorizer, attrs: AuthorizationAttributes): Promise<void> {
  if (attrs.user.groups.includes('system:masters')) return;
  const decision = await authorizer.authorize(attrs);
  if (decision.decision !== 'allow') throw forbidden(attrs, decision.reason);
}
