/**
 * Schema validation with the compiled ajv validators kubernetes-models ships per kind. Each is
 * loaded on first use (dynamic import) so start-up stays fast; ajv errors become Kubernetes
 * field errors (`/spec/containers/0/image` -> `spec.containers[0].image`).
 */
import { apiVersionOf, type ResourceInfo } from '../kinds.ts';
import { notSupported, required, typeInvalid, invalid, child, index, type FieldError } from '../field.ts';
import { isRecord } from '../object.ts';

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

type ValidateFn = ((data: unknown) => boolean) & { errors?: AjvError[] | null };
type Loader = () => Promise<{ validate: (data: unknown) => boolean }>;

/** One validator module per served kind, keyed `apiVersion/Kind`. */
const LOADERS: Record<string, Loader> = {
  'v1/Namespace': () => import('kubernetes-models/_schemas/IoK8sApiCoreV1Namespace'),
  'v1/Node': () => import('kubernetes-models/_schemas/IoK8sApiCoreV1Node'),
  'v1/Pod': () => import('kubernetes-models/_schemas/IoK8sApiCoreV1Pod'),
  'v1/Event': () => import('kubernetes-models/_schemas/IoK8sApiCoreV1Event'),
  'v1/ConfigMap': () => import('kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap'),
  'v1/Secret': () => import('kubernetes-models/_schemas/IoK8sApiCoreV1Secret'),
  'v1/Service': () => import('kubernetes-models/_schemas/IoK8sApiCoreV1Service'),
  'v1/Endpoints': () => import('kubernetes-models/_schemas/IoK8sApiCoreV1Endpoints'),
  'v1/PersistentVolumeClaim': () => import('kubernetes-models/_schemas/IoK8sApiCoreV1PersistentVolumeClaim'),
  'v1/PersistentVolume': () => import('kubernetes-models/_schemas/IoK8sApiCoreV1PersistentVolume'),
  'v1/ReplicationController': () => import('kubernetes-models/_schemas/IoK8sApiCoreV1ReplicationController'),
  'v1/ServiceAccount': () => import('kubernetes-models/_schemas/IoK8sApiCoreV1ServiceAccount'),
  'v1/ResourceQuota': () => import('kubernetes-models/_schemas/IoK8sApiCoreV1ResourceQuota'),
  'v1/LimitRange': () => import('kubernetes-models/_schemas/IoK8sApiCoreV1LimitRange'),
  'apps/v1/Deployment': () => import('kubernetes-models/_schemas/IoK8sApiAppsV1Deployment'),
  'apps/v1/ReplicaSet': () => import('kubernetes-models/_schemas/IoK8sApiAppsV1ReplicaSet'),
  'apps/v1/StatefulSet': () => import('kubernetes-models/_schemas/IoK8sApiAppsV1StatefulSet'),
  'apps/v1/DaemonSet': () => import('kubernetes-models/_schemas/IoK8sApiAppsV1DaemonSet'),
  'apps/v1/ControllerRevision': () => import('kubernetes-models/_schemas/IoK8sApiAppsV1ControllerRevision'),
  'batch/v1/Job': () => import('kubernetes-models/_schemas/IoK8sApiBatchV1Job'),
  'batch/v1/CronJob': () => import('kubernetes-models/_schemas/IoK8sApiBatchV1CronJob'),
  'autoscaling/v2/HorizontalPodAutoscaler': () => import('kubernetes-models/_schemas/IoK8sApiAutoscalingV2HorizontalPodAutoscaler'),
  'coordination.k8s.io/v1/Lease': () => import('kubernetes-models/_schemas/IoK8sApiCoordinationV1Lease'),
  'events.k8s.io/v1/Event': () => import('kubernetes-models/_schemas/IoK8sApiEventsV1Event'),
  'discovery.k8s.io/v1/EndpointSlice': () => import('kubernetes-models/_schemas/IoK8sApiDiscoveryV1EndpointSlice'),
  'storage.k8s.io/v1/StorageClass': () => import('kubernetes-models/_schemas/IoK8sApiStorageV1StorageClass'),
  'scheduling.k8s.io/v1/PriorityClass': () => import('kubernetes-models/_schemas/IoK8sApiSchedulingV1PriorityClass'),
  'rbac.authorization.k8s.io/v1/Role': () => import('kubernetes-models/_schemas/IoK8sApiRbacV1Role'),
  'rbac.authorization.k8s.io/v1/ClusterRole': () => import('kubernetes-models/_schemas/IoK8sApiRbacV1ClusterRole'),
  'rbac.authorization.k8s.io/v1/RoleBinding': () => import('kubernetes-models/_schemas/IoK8sApiRbacV1RoleBinding'),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': () => import('kubernetes-models/_schemas/IoK8sApiRbacV1ClusterRoleBinding'),
  'authentication.k8s.io/v1/SelfSubjectReview': () => import('kubernetes-models/_schemas/IoK8sApiAuthenticationV1SelfSubjectReview'),
  'authorization.k8s.io/v1/SelfSubjectAccessReview': () => import('kubernetes-models/_schemas/IoK8sApiAuthorizationV1SelfSubjectAccessReview'),
  'authorization.k8s.io/v1/SelfSubjectRulesReview': () => import('kubernetes-models/_schemas/IoK8sApiAuthorizationV1SelfSubjectRulesReview'),
  'authorization.k8s.io/v1/SubjectAccessReview': () => import('kubernetes-models/_schemas/IoK8sApiAuthorizationV1SubjectAccessReview'),
  'authorization.k8s.io/v1/LocalSubjectAccessReview': () => import('kubernetes-models/_schemas/IoK8sApiAuthorizationV1LocalSubjectAccessReview'),
};

const loaded = new Map<string, ValidateFn>();

async function validatorFor(info: ResourceInfo): Promise<ValidateFn | undefined> {
  const id = `${apiVersionOf(info)}/${info.kind}`;
  const cached = loaded.get(id);
  if (cached) return cached;
  const loader = LOADERS[id];
  if (!loader) return undefined;
  const fn: ValidateFn = (await loader()).validate;
  loaded.set(id, fn);
  return fn;
}

/** True when every registry kind has a validator (checked by tests). */
export function hasSchemaValidator(info: ResourceInfo): boolean {
  return `${apiVersionOf(info)}/${info.kind}` in LOADERS;
}

/** Schema errors for `obj` (nulls already removed), as Kubernetes field errors. */
export async function schemaErrors(info: ResourceInfo, obj: unknown): Promise<FieldError[]> {
  const validate = await validatorFor(info);
  if (!validate || validate(obj)) return [];
  return convertAjvErrors(validate.errors ?? [], obj);
}

function convertAjvErrors(errors: AjvError[], root: unknown): FieldError[] {
  // An int-or-string field reports one type error per branch plus the oneOf/anyOf: keep only the latter.
  const unionPaths = new Set(errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => e.instancePath));
  // A type error makes the format error at the same path redundant.
  const typePaths = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'type' && unionPaths.has(e.instancePath)) continue;
    if (e.keyword === 'format' && typePaths.has(e.instancePath)) continue;
    if (e.keyword === 'enum' && typePaths.has(e.instancePath)) continue;
    const converted = convertOne(e, root);
    const id = `${converted.field}\u0000${converted.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(converted);
  }
  return out;
}

function convertOne(e: AjvError, root: unknown): FieldError {
  const segments = pointerSegments(e.instancePath);
  const field = fieldPath(segments, root);
  const value = valueAt(segments, root);
  switch (e.keyword) {
    case 'required':
      return required(child(field, String(e.params.missingProperty)));
    case 'enum': {
      const allowed = Array.isArray(e.params.allowedValues) ? e.params.allowedValues.map(String) : [];
      return notSupported(field, value, allowed);
    }
    case 'type':
      return typeMismatch(field, value, String(e.params.type));
    case 'oneOf':
    case 'anyOf':
      return typeMismatch(field, value, 'integer or string');
    case 'format':
      return invalid(field, value, `must be a valid ${String(e.params.format)}`);
    default:
      return invalid(field, value, `failed schema check "${e.keyword}"`);
  }
}

/** The apiextensions wording: `spec.replicas in body must be of type integer: "string"`. */
function typeMismatch(field: string, value: unknown, expected: string): FieldError {
  const actual = jsonTypeName(value);
  return typeInvalid(field, actual, `${field} in body must be of type ${expected}: ${JSON.stringify(actual)}`);
}

function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Array elements as `[i]`; plain property names dotted; map keys that are not identifiers as `[key]`. */
function fieldPath(segments: string[], root: unknown): string {
  let path = '';
  let node: unknown = root;
  for (const seg of segments) {
    if (Array.isArray(node)) {
      path = index(path, Number(seg));
      node = node[Number(seg)];
    } else {
      path = PLAIN_KEY.test(seg) ? child(path, seg) : `${path}[${seg}]`;
      node = isRecord(node) ? node[seg] : undefined;
    }
  }
  return path;
}

function valueAt(segments: string[], root: unknown): unknown {
  let node: unknown = root;
  for (const seg of segments) {
    if (Array.isArray(node)) node = node[Number(seg)];
    else if (isRecord(node)) node = node[seg];
    else return undefined;
  }
  return node;
}
