/**
 * The authorizer contract (Kubernetes' authorizer.Attributes and Decision). The API server builds
 * the attributes of each request (verb, resource, subresource, namespace, name, or a non-resource
 * path) for the user it authenticated, and asks a chain of authorizers in turn: the first to
 * allow or to deny decides; if all have no opinion the request is forbidden. Node (node.ts) and
 * RBAC (rbac/) are the chain `--authorization-mode=Node,RBAC` describes.
 */
import type { UserInfo } from '../../api/user.ts';

export interface ResourceAttributes {
  /** get, list, watch, create, update, patch, delete, deletecollection; or a special verb (use, bind, escalate, impersonate, approve). */
  verb: string;
  /** API group, '' for core. */
  apiGroup: string;
  /** Plural resource name (`pods`). */
  resource: string;
  /** `status`, `log`, `exec`, `token`, …; '' for the main resource. */
  subresource: string;
  /** '' for cluster-scoped resources and for requests across all namespaces. */
  namespace: string;
  /** '' for lists, watches of a collection, and creates whose name the server picks. */
  name: string;
}

export interface NonResourceAttributes {
  /** HTTP verb lowercased: get, post, put, patch, delete, head. */
  verb: string;
  /** `/healthz`, `/api`, `/apis/apps/v1`, `/openapi/v3`, `/kactus/v1/machines` … */
  path: string;
}

export type AuthorizationAttributes =
  | ({ user: UserInfo; resourceRequest: true } & ResourceAttributes)
  | ({ user: UserInfo; resourceRequest: false } & NonResourceAttributes);

export type Decision =
  /** Allowed: stop asking. */
  | { decision: 'allow'; reason: string }
  /** Denied outright: stop asking (a node authorizer refusing a node another node's pods). */
  | { decision: 'deny'; reason: string }
  /** Not this authorizer's business: ask the next one. */
  | { decision: 'no-opinion'; reason: string };

export interface Authorizer {
  authorize(attrs: AuthorizationAttributes): Decision | Promise<Decision>;
}

/** Asks each authorizer in turn; the first allow or deny decides, else no opinion (forbidden). */
export function authorizerChain(...chain: Authorizer[]): Authorizer {
  return {
    async authorize(attrs) {
      const reasons: string[] = [];
      for (const a of chain) {
        const d = await a.authorize(attrs);
        if (d.decision !== 'no-opinion') return d;
        if (d.reason) reasons.push(d.reason);
      }
      return { decision: 'no-opinion', reason: reasons.join('; ') };
    },
  };
}
