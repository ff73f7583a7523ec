/**
 * The 403 Kubernetes answers to a request its authorizers did not allow
 * (k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go `forbiddenMessage` and
 * `Forbidden`): `pods is forbidden: User "system:serviceaccount:default:viewer" cannot create
 * resource "pods" in API group "" in the namespace "default"`, the authorizer's reason after a
 * colon when it gave one; reason Forbidden, details naming the group, resource and name.
 */
import { ApiError } from '../../api/status.ts';
import type { AuthorizationAttributes } from '../../registry/authorization/types.ts';

/** Kubernetes escapes these in the message (its `sanitizer`). */
function sanitize(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `forbiddenMessage`. */
export function forbiddenMessage(attrs: AuthorizationAttributes): string {
  const user = JSON.stringify(attrs.user.name);
  if (!attrs.resourceRequest) return `User ${user} cannot ${attrs.verb} path ${JSON.stringify(attrs.path)}`;
  const resource = JSON.stringify(attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource);
  const group = JSON.stringify(attrs.apiGroup);
  if (attrs.namespace) return `User ${user} cannot ${attrs.verb} resource ${resource} in API group ${group} in the namespace ${JSON.stringify(attrs.namespace)}`;
  return `User ${user} cannot ${attrs.verb} resource ${resource} in API group ${group} at the cluster scope`;
}

/** The Status error for a request the authorizers did not allow, `reason` being theirs (often ''). */
export function forbidden(attrs: AuthorizationAttributes, reason: string): ApiError {
  const msg = sanitize(forbiddenMessage(attrs));
  const text = reason ? `${msg}: ${reason}` : msg;
  if (!attrs.resourceRequest) return new ApiError(403, 'Forbidden', `forbidden: ${text}`, {});
  return ApiError.forbidden({ group: attrs.apiGroup, resource: attrs.resource }, attrs.name, text);
}
