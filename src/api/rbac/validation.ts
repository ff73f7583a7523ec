/**
 * RBAC validation (pkg/apis/rbac/validation/validation.go), with Kubernetes' wording: rules name
 * verbs and either resources (with API groups) or non-resource URLs, never both, and a
 * namespaced Role none of the latter; bindings refer to a Role or ClusterRole of the RBAC group
 * and name ServiceAccounts, Users or Groups; a binding's roleRef never changes.
 */
import { child, index, notSupported, required, type FieldError } from '../field.ts';
import { isRecord, optionalRecord, recordList, type JsonObject, type KubeObject } from '../object.ts';
import { LabelSelector, type LabelSelectorObject } from '../selectors.ts';
import { ApiError } from '../status.ts';
import { nameIsDNSSubdomain, type NameValidator } from '../validation/names.ts';
import { goStringSlice, invalidRendered } from '../validation/service.ts';
import { RBAC_GROUP } from './names.ts';

/** `path.IsValidPathSegmentName`: RBAC names may hold colons (`system:discovery`), not `/` or `%`. */
export const nameIsPathSegment: NameValidator = (name, prefix) => {
  const errs: string[] = [];
  if (!prefix && (name === '.' || name === '..')) errs.push(`may not be '${name}'`);
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
};

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** `ValidatePolicyRule`. */
export function validatePolicyRule(rule: JsonObject, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (strings(rule.verbs).length === 0) errs.push(required(child(path, 'verbs'), 'verbs must contain at least one value'));
  const urls = strings(rule.nonResourceURLs);
  if (urls.length > 0) {
    if (namespaced) errs.push(invalidRendered(child(path, 'nonResourceURLs'), goStringSlice(urls), 'namespaced rules cannot apply to non-resource URLs'));
    if (strings(rule.apiGroups).length > 0 || strings(rule.resources).length > 0 || strings(rule.resourceNames).length > 0) {
      errs.push(invalidRendered(child(path, 'nonResourceURLs'), goStringSlice(urls), 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (strings(rule.apiGroups).length === 0) errs.push(required(child(path, 'apiGroups'), 'resource rules must supply at least one api group'));
  if (strings(rule.resources).length === 0) errs.push(required(child(path, 'resources'), 'resource rules must supply at least one resource'));
  return errs;
}

/** `ValidateRole` / `ValidateClusterRole` (beyond metadata). */
export function validateRole(obj: KubeObject, namespaced: boolean): FieldError[] {
  const errs = recordList(obj, 'rules').flatMap((rule, i) => validatePolicyRule(rule, namespaced, index('rules', i)));
  const aggregation = optionalRecord(obj, 'aggregationRule');
  if (!namespaced && aggregation) {
    const selectors = recordList(aggregation, 'clusterRoleSelectors');
    if (selectors.length === 0) errs.push(required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    selectors.forEach((selector, i) => {
      try {
        LabelSelector.fromObject(selector as LabelSelectorObject);
      } catch (err) {
        const message = err instanceof ApiError ? err.message : String(err);
        errs.push({ type: 'FieldValueInvalid', field: index('aggregationRule.clusterRoleSelectors', i), message });
      }
    });
  }
  return errs;
}

/** `ValidateRoleBinding` / `ValidateClusterRoleBinding` (beyond metadata). */
export function validateBinding(obj: KubeObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const roleRef = optionalRecord(obj, 'roleRef') ?? {};
  if (roleRef.apiGroup !== RBAC_GROUP) errs.push(notSupported('roleRef.apiGroup', roleRef.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(String(roleRef.kind))) errs.push(notSupported('roleRef.kind', roleRef.kind ?? '', kinds));
  const name = typeof roleRef.name === 'string' ? roleRef.name : '';
  if (name === '') errs.push(required('roleRef.name'));
  else for (const msg of nameIsPathSegment(name, false)) errs.push({ type: 'FieldValueInvalid', field: 'roleRef.name', message: `Invalid value: ${JSON.stringify(name)}: ${msg}` });
  recordList(obj, 'subjects').forEach((s, i) => errs.push(...validateSubject(s, namespaced, index('subjects', i))));
  return errs;
}

/** `ValidateRoleBindingSubject`. */
export function validateSubject(subject: JsonObject, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = typeof subject.name === 'string' ? subject.name : '';
  const apiGroup = typeof subject.apiGroup === 'string' ? subject.apiGroup : '';
  if (name === '') errs.push(required(child(path, 'name')));
  switch (subject.kind) {
    case 'ServiceAccount':
      if (name !== '') for (const msg of nameIsDNSSubdomain(name, false)) errs.push({ type: 'FieldValueInvalid', field: child(path, 'name'), message: `Invalid value: ${JSON.stringify(name)}: ${msg}` });
      if (apiGroup !== '') errs.push(notSupported(child(path, 'apiGroup'), apiGroup, ['']));
      if (!namespaced && !subject.namespace) errs.push(required(child(path, 'namespace')));
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== RBAC_GROUP) errs.push(notSupported(child(path, 'apiGroup'), apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(child(path, 'kind'), subject.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

/** Go's `%#v` of an rbac.RoleRef, as `cannot change roleRef` prints it. */
function goRoleRef(ref: JsonObject | undefined): string {
  const s = (v: unknown): string => JSON.stringify(typeof v === 'string' ? v : '');
  return `rbac.RoleRef{APIGroup:${s(ref?.apiGroup)}, Kind:${s(ref?.kind)}, Name:${s(ref?.name)}}`;
}

/** `ValidateRoleBindingUpdate`: the role a binding grants never changes (delete and create it again). */
export function validateBindingUpdate(oldObj: KubeObject, newObj: KubeObject): FieldError[] {
  const o = optionalRecord(oldObj, 'roleRef');
  const n = optionalRecord(newObj, 'roleRef');
  const same = (['apiGroup', 'kind', 'name'] as const).every((f) => (o?.[f] ?? '') === (n?.[f] ?? ''));
  return same ? [] : [invalidRendered('roleRef', goRoleRef(isRecord(n) ? n : undefined), 'cannot change roleRef')];
}
