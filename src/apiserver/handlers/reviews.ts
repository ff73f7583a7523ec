/**
 * The review kinds, answered from the request and never stored (Kubernetes' registries for
 * authentication.k8s.io and authorization.k8s.io): `POST` of a SelfSubjectReview (`kubectl auth
 * whoami`: the requester's user, groups, uid and extra), SelfSubjectAccessReview (`kubectl auth
 * can-i`), SubjectAccessReview and LocalSubjectAccessReview (whether another user may), and
 * SelfSubjectRulesReview (`kubectl auth can-i --list`). 201 with the object and its status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FieldError } from '../../api/field.ts';
import { apiVersionOf, type ResourceInfo } from '../../api/kinds.ts';
import { isRecord, type JsonObject, type KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import type { UserInfo } from '../../api/user.ts';
import { isPrivileged } from '../../registry/authorization/privileged.ts';
import type { AuthorizationAttributes, Authorizer } from '../../registry/authorization/types.ts';
import type { SubjectRulesReviewStatus } from '../../registry/authorization/rbac/rules-review.ts';
import { decide } from '../authz/authorize.ts';
import { decodeObjectBody, readBody } from '../http/body.ts';
import { writeJson } from '../http/respond.ts';
import type { ResourceRoute } from '../http/router.ts';

/** What a SelfSubjectRulesReview lists for a user in a namespace (RBAC's rules; src/registry/authorization/rbac/rules-review.ts). */
export type RulesReviewSource = (user: UserInfo, namespace: string) => SubjectRulesReviewStatus;

export interface ReviewDeps {
  authorizer?: Authorizer;
  rules?: RulesReviewSource;
}

const str = (o: JsonObject | undefined, k: string): string => (typeof o?.[k] === 'string' ? (o[k] as string) : '');

function invalid(info: ResourceInfo, errors: FieldError[]): ApiError {
  return ApiError.invalid(info, '', errors);
}

/** Go's `%#v` of the attributes, as Kubernetes' field errors print a struct. */
function goNonResource(nra: JsonObject): string {
  return `authorization.NonResourceAttributes{Path:${JSON.stringify(str(nra, 'path'))}, Verb:${JSON.stringify(str(nra, 'verb'))}}`;
}

/** The attributes a review's spec asks about, for `user`. */
function specAttributes(info: ResourceInfo, spec: JsonObject, user: UserInfo, pathNamespace?: string): AuthorizationAttributes {
  const ra = isRecord(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
  const nra = isRecord(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
  const errs: FieldError[] = [];
  if (ra && nra) errs.push({ type: 'FieldValueInvalid', field: 'spec.nonResourceAttributes', message: `Invalid value: ${goNonResource(nra)}: cannot be specified in combination with resourceAttributes` });
  if (!ra && !nra) errs.push({ type: 'FieldValueInvalid', field: 'spec.resourceAttributes', message: 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified' });
  if (pathNamespace !== undefined && nra) errs.push({ type: 'FieldValueInvalid', field: 'spec.nonResourceAttributes', message: `Invalid value: ${goNonResource(nra)}: disallowed on this kind of request` });
  if (errs.length) throw invalid(info, errs);
  if (nra) return { user, resourceRequest: false, verb: str(nra, 'verb'), path: str(nra, 'path') };
  const namespace = str(ra, 'namespace');
  if (pathNamespace !== undefined && namespace !== '' && namespace !== pathNamespace) {
    throw ApiError.badRequest(`spec.resourceAttributes.namespace must match namespace: ${pathNamespace}`);
  }
  return {
    user,
    resourceRequest: true,
    verb: str(ra, 'verb'),
    apiGroup: str(ra, 'group'),
    resource: str(ra, 'resource'),
    subresource: str(ra, 'subresource'),
    namespace: pathNamespace ?? namespace,
    name: str(ra, 'name'),
  };
}

/** The user a SubjectAccessReview names. */
function specUser(info: ResourceInfo, spec: JsonObject): UserInfo {
  const name = str(spec, 'user');
  const groups = Array.isArray(spec.groups) ? spec.groups.filter((g): g is string => typeof g === 'string') : [];
  if (name === '' && groups.length === 0) throw invalid(info, [{ type: 'FieldValueInvalid', field: 'spec.user', message: 'Invalid value: "": at least one of user or group must be specified' }]);
  const user: UserInfo = { name, groups };
  if (str(spec, 'uid')) user.uid = str(spec, 'uid');
  if (isRecord(spec.extra)) user.extra = Object.fromEntries(Object.entries(spec.extra).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : []]));
  return user;
}

async function accessStatus(deps: ReviewDeps, attrs: AuthorizationAttributes): Promise<JsonObject> {
  const d = await decide(deps.authorizer, attrs);
  const status: JsonObject = { allowed: d.decision === 'allow' };
  if (d.decision === 'deny') status.denied = true;
  if (d.reason) status.reason = d.reason;
  return status;
}

function rulesStatus(deps: ReviewDeps, user: UserInfo, namespace: string): SubjectRulesReviewStatus {
  const status: SubjectRulesReviewStatus = { resourceRules: [], nonResourceRules: [], incomplete: false };
  if (!deps.authorizer || isPrivileged(user)) {
    status.resourceRules.push({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] });
    status.nonResourceRules.push({ verbs: ['*'], nonResourceURLs: ['*'] });
  }
  if (deps.rules) {
    const more = deps.rules(user, namespace);
    status.resourceRules.push(...more.resourceRules);
    status.nonResourceRules.push(...more.nonResourceRules);
    status.incomplete = status.incomplete || more.incomplete;
    if (more.evaluationError) status.evaluationError = more.evaluationError;
  } else if (deps.authorizer) {
    // An authorizer that cannot list rules: say so, as Kubernetes' webhook authorizer does.
    status.incomplete = true;
  }
  return status;
}

/** `POST` of a review kind (`route.info` is one: src/api/kinds.ts `isReview`) by `user`. */
export async function serveReview(req: IncomingMessage, res: ServerResponse, route: ResourceRoute, user: UserInfo, deps: ReviewDeps): Promise<void> {
  const { info } = route;
  const method = req.method ?? 'GET';
  if (method !== 'POST' || route.name !== undefined) throw ApiError.methodNotAllowed(info, method === 'GET' ? (route.name === undefined ? 'list' : 'get') : method.toLowerCase());
  const body = decodeObjectBody(req.headers['content-type'], await readBody(req)) as KubeObject;
  const apiVersion = apiVersionOf(info);
  if ((body.apiVersion !== undefined && body.apiVersion !== apiVersion) || (body.kind !== undefined && body.kind !== info.kind)) {
    throw ApiError.badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersion}) or the kind (${String(body.kind)}) is not ${info.kind}`);
  }
  const spec = isRecord(body.spec) ? body.spec : {};
  const out: JsonObject = { ...body, apiVersion, kind: info.kind, metadata: { ...(isRecord(body.metadata) ? body.metadata : {}), creationTimestamp: null } };
  switch (info.kind) {
    case 'SelfSubjectReview': {
      const userInfo: JsonObject = { username: user.name, groups: user.groups };
      if (user.uid) userInfo.uid = user.uid;
      if (user.extra && Object.keys(user.extra).length) userInfo.extra = user.extra;
      out.status = { userInfo };
      break;
    }
    case 'SelfSubjectAccessReview':
      out.status = await accessStatus(deps, specAttributes(info, spec, user));
      break;
    case 'SubjectAccessReview':
      out.status = await accessStatus(deps, specAttributes(info, spec, specUser(info, spec)));
      break;
    case 'LocalSubjectAccessReview':
      out.status = await accessStatus(deps, specAttributes(info, spec, specUser(info, spec), route.namespace ?? ''));
      break;
    case 'SelfSubjectRulesReview':
      out.status = rulesStatus(deps, user, str(spec, 'namespace'));
      break;
    default:
      throw ApiError.methodNotAllowed(info, 'create');
  }
  writeJson(res, 201, out);
}
