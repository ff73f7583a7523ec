/**
 * Object lifecycle rules the registry applies on every write, as Kubernetes' `rest.BeforeCreate`
 * / `BeforeUpdate` and the kinds' `PrepareForCreate` / `PrepareForUpdate` do: system fields
 * (uid, creationTimestamp, generation) owned by the server, status reset on create and kept on
 * spec updates, generated names and Job selectors. Also the store key layout.
 */
import { randomUUID } from 'node:crypto';
import { apiVersionOf, type ResourceInfo } from './kinds.ts';
import { childRecord, isRecord, jsonEqual, optionalRecord, recordList, type JsonObject, type KubeObject, type ObjectMetaLike } from './object.ts';
import { parseQuantity } from './quantity.ts';
import { prepareServiceForCreate, prepareServiceForUpdate } from './service.ts';
import { ApiError } from './status.ts';

/** Kinds whose controllers track `metadata.generation` against `status.observedGeneration`. */
const GENERATION_KINDS = new Set([
  'v1/ReplicationController',
  'apps/v1/Deployment',
  'apps/v1/ReplicaSet',
  'apps/v1/StatefulSet',
  'apps/v1/DaemonSet',
  'batch/v1/Job',
  'batch/v1/CronJob',
  'autoscaling/v2/HorizontalPodAutoscaler',
]);

function kindId(info: ResourceInfo): string {
  return `${apiVersionOf(info)}/${info.kind}`;
}

/** True when `info`'s objects carry a generation that spec changes bump. */
export function tracksGeneration(info: ResourceInfo): boolean {
  return GENERATION_KINDS.has(kindId(info));
}

/** RFC 3339 in UTC with whole seconds (`2024-05-01T10:00:00Z`), as Kubernetes stores metav1.Time. */
export function rfc3339Seconds(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

/** Kubernetes' name-suffix alphabet: no vowels (no accidental words), no look-alike 0/1/3. */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const GENERATED_SUFFIX_LENGTH = 5;
/** 63 minus the suffix: a generated name still fits a DNS label. */
const MAX_GENERATE_NAME_BASE = 58;

/** `generateName` + 5 random characters, the base cut to 58 characters. */
export function generatedName(generateName: string, random: () => number = Math.random): string {
  let suffix = '';
  for (let i = 0; i < GENERATED_SUFFIX_LENGTH; i++) suffix += SUFFIX_ALPHABET[Math.floor(random() * SUFFIX_ALPHABET.length)];
  return generateName.slice(0, MAX_GENERATE_NAME_BASE) + suffix;
}

export interface PrepareCreateOptions {
  /** The uid to assign; a random UUID when absent. */
  uid?: string;
  /** The request's namespace, filled in when the object names none (namespaced kinds only). */
  namespace?: string;
  /** Random source for generateName suffixes (tests inject a fixed one). */
  random?: () => number;
}

/**
 * The object as it is first stored: a copy of `obj` with uid, creationTimestamp, generation,
 * a name from generateName, system fields cleared and the status a new object starts with.
 * Throws ApiError 400 when `resourceVersion` is set.
 */
export function prepareForCreate(info: ResourceInfo, obj: KubeObject, now: Date, opts: PrepareCreateOptions = {}): KubeObject {
  const out = structuredClone(obj);
  const meta: ObjectMetaLike = isRecord(out.metadata) ? out.metadata : {};
  out.metadata = meta;
  if (meta.resourceVersion !== undefined && meta.resourceVersion !== '') {
    throw ApiError.badRequest('resourceVersion should not be set on objects to be created');
  }
  delete meta.resourceVersion;
  if (info.namespaced && !meta.namespace && opts.namespace) meta.namespace = opts.namespace;
  if (!meta.name && meta.generateName) meta.name = generatedName(meta.generateName, opts.random);
  meta.uid = opts.uid ?? randomUUID();
  meta.creationTimestamp = rfc3339Seconds(now);
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.managedFields;
  delete meta.selfLink;
  if (tracksGeneration(info)) meta.generation = 1;
  else delete meta.generation;
  const status = initialStatus(info, out);
  if (status === undefined) delete out.status;
  else if (status !== KEEP) out.status = status;
  CREATE_HOOKS[kindId(info)]?.(out, meta.uid);
  return out;
}

const KEEP = Symbol('keep status');

/**
 * What a new object's status becomes: kinds with a status subresource start empty (Kubernetes
 * resets it), except those whose creators report status (Node) and those with a starting phase.
 */
function initialStatus(info: ResourceInfo, obj: KubeObject): JsonObject | undefined | typeof KEEP {
  switch (kindId(info)) {
    case 'v1/Node':
      return KEEP;
    case 'v1/Pod':
      return { phase: 'Pending', qosClass: qosClass(optionalRecord(obj, 'spec')) };
    case 'v1/Namespace':
      return { phase: 'Active' };
    case 'v1/PersistentVolumeClaim':
    case 'v1/PersistentVolume':
      return { phase: 'Pending' };
    // Status types whose schema requires counters start at zero, as Kubernetes stores them
    // (an empty status would fail their own validation).
    case 'v1/ReplicationController':
    case 'apps/v1/ReplicaSet':
    case 'apps/v1/StatefulSet':
      return { replicas: 0 };
    case 'apps/v1/DaemonSet':
      return { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
    case 'autoscaling/v2/HorizontalPodAutoscaler':
      return { currentReplicas: 0, desiredReplicas: 0 };
    default:
      return info.subresources.includes('status') ? {} : KEEP;
  }
}

type CreateHook = (obj: KubeObject, uid: string) => void;

const CREATE_HOOKS: Record<string, CreateHook> = {
  // The ServiceAccount admission plugin: pods run as `default` unless they name another account.
  'v1/Pod': (obj) => {
    const spec = childRecord(obj, 'spec');
    if (!spec.serviceAccountName) spec.serviceAccountName = typeof spec.serviceAccount === 'string' && spec.serviceAccount ? spec.serviceAccount : 'default';
    spec.serviceAccount = spec.serviceAccountName;
  },
  'v1/Namespace': (obj) => {
    const spec = childRecord(obj, 'spec');
    if (!Array.isArray(spec.finalizers) || !spec.finalizers.includes('kubernetes')) spec.finalizers = ['kubernetes'];
  },
  'v1/Service': prepareServiceForCreate,
  // The StorageObjectInUseProtection admission plugin: claims and volumes are not removed while in use.
  'v1/PersistentVolumeClaim': (obj) => addFinalizer(obj, 'kubernetes.io/pvc-protection'),
  'v1/PersistentVolume': (obj) => addFinalizer(obj, 'kubernetes.io/pv-protection'),
  // Job strategy: unless manualSelector, the selector is the job's uid and the template carries it.
  'batch/v1/Job': (obj, uid) => {
    const spec = childRecord(obj, 'spec');
    if (spec.manualSelector === true) return;
    const name = obj.metadata?.name ?? '';
    const labels = childRecord(childRecord(childRecord(spec, 'template'), 'metadata'), 'labels');
    labels['batch.kubernetes.io/controller-uid'] = uid;
    labels['batch.kubernetes.io/job-name'] = name;
    labels['controller-uid'] = uid;
    labels['job-name'] = name;
    spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  },
};

function addFinalizer(obj: KubeObject, finalizer: string): void {
  const meta = obj.metadata ?? (obj.metadata = {});
  const finalizers = Array.isArray(meta.finalizers) ? meta.finalizers : [];
  if (!finalizers.includes(finalizer)) meta.finalizers = [...finalizers, finalizer];
}

/** Kubernetes' QoS class: Guaranteed (cpu+memory limits = requests everywhere), BestEffort (none set), else Burstable. */
export function qosClass(spec: JsonObject | undefined): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  const containers = [...recordList(spec, 'initContainers'), ...recordList(spec, 'containers')];
  for (const c of containers) {
    const resources = optionalRecord(c, 'resources');
    const found = new Set<string>();
    for (const [which, into] of [['requests', requests], ['limits', limits]] as const) {
      for (const [name, q] of Object.entries(optionalRecord(resources, which) ?? {})) {
        const v = parseQuantity(q);
        if ((name !== 'cpu' && name !== 'memory') || v === undefined || v <= 0) continue;
        into.set(name, (into.get(name) ?? 0) + v);
        if (which === 'limits') found.add(name);
      }
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) if (limits.get(name) !== req) guaranteed = false;
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

export interface PrepareUpdateOptions {
  /** 'status' for a write to the /status subresource: only the status is taken from `newObj`. */
  subresource?: 'status';
}

/**
 * The object as it is stored by an update: a copy of `newObj` with the server-owned metadata of
 * `oldObj` (uid when omitted, creationTimestamp, generation, deletion fields), the old status on
 * a main-resource write of a kind with a status subresource (or only the new status on a /status
 * write), and generation + 1 when the spec changed.
 */
export function prepareForUpdate(info: ResourceInfo, oldObj: KubeObject, newObj: KubeObject, opts: PrepareUpdateOptions = {}): KubeObject {
  let out: KubeObject;
  if (opts.subresource === 'status') {
    out = structuredClone(oldObj);
    if (newObj.status === undefined) delete out.status;
    else out.status = structuredClone(newObj.status);
    const rv = newObj.metadata?.resourceVersion;
    if (out.metadata && rv !== undefined) out.metadata.resourceVersion = rv;
  } else {
    out = structuredClone(newObj);
    if (info.subresources.includes('status')) {
      if (oldObj.status === undefined) delete out.status;
      else out.status = structuredClone(oldObj.status);
    }
    UPDATE_HOOKS[kindId(info)]?.(oldObj, out);
  }
  const oldMeta = oldObj.metadata ?? {};
  const meta: ObjectMetaLike = isRecord(out.metadata) ? out.metadata : {};
  out.metadata = meta;
  if (!meta.uid && oldMeta.uid) meta.uid = oldMeta.uid;
  copyField(oldMeta, meta, 'creationTimestamp');
  copyField(oldMeta, meta, 'deletionTimestamp');
  copyField(oldMeta, meta, 'deletionGracePeriodSeconds');
  copyField(oldMeta, meta, 'generation');
  delete meta.managedFields;
  if (tracksGeneration(info) && !jsonEqual(oldObj.spec, out.spec)) meta.generation = (oldMeta.generation ?? 0) + 1;
  return out;
}

function copyField(from: ObjectMetaLike, to: ObjectMetaLike, field: keyof ObjectMetaLike & string): void {
  if (from[field] === undefined) delete to[field];
  else to[field] = structuredClone(from[field]);
}

type UpdateHook = (oldObj: KubeObject, newObj: KubeObject) => void;

const UPDATE_HOOKS: Record<string, UpdateHook> = {
  // Finalizers of a namespace change only through /finalize.
  'v1/Namespace': (o, n) => {
    const oldFinalizers = optionalRecord(o, 'spec')?.finalizers;
    if (oldFinalizers !== undefined) childRecord(n, 'spec').finalizers = structuredClone(oldFinalizers);
  },
  // Allocated values stay when an update omits them; values a new type does not need go (service.ts).
  'v1/Service': prepareServiceForUpdate,
};

function groupSegment(info: ResourceInfo): string {
  return info.group === '' ? 'core' : info.group;
}

/** `/registry/<group|core>/<resource>/<namespace>/<name>`; cluster-scoped kinds have no namespace part. */
export function objectKey(info: ResourceInfo, namespace: string | undefined, name: string): string {
  return `${prefixFor(info, namespace)}${name}`;
}

/**
 * The key prefix under which `info`'s objects live: every namespace when `namespace` is absent,
 * one namespace otherwise. Ends with '/', so `default` never matches `default2`.
 */
export function prefixFor(info: ResourceInfo, namespace?: string): string {
  const base = `/registry/${groupSegment(info)}/${info.resource}/`;
  return info.namespaced && namespace ? `${base}${namespace}/` : base;
}
