/**
 * Per-kind rules (the `Validate<Kind>` functions of Kubernetes' pkg/apis/<group>/validation)
 * beyond ObjectMeta and beyond what the schema checks.
 */
import { child, forbidden, index, invalid, key, notSupported, required, type FieldError } from '../field.ts';
import { apiVersionOf, type ResourceInfo } from '../kinds.ts';
import { isRecord, optionalRecord, recordList, type JsonObject, type KubeObject } from '../object.ts';
import { LabelSelector, type LabelSelectorObject } from '../selectors.ts';
import { validateLabels } from './meta.ts';
import { isConfigMapKey, isQualifiedName } from './names.ts';
import { validatePodSpec } from './pod.ts';
import { validateEndpointSlice, validateEndpoints, validateService } from './service.ts';
import { validateLimitRange, validateResourceQuota } from './quota.ts';
import { validateBinding, validateRole } from '../rbac/validation.ts';
import { validatePriorityClass } from '../scheduling/priority-class.ts';

type Rule = (obj: KubeObject) => FieldError[];

/** Rules for `info`'s kind; [] for kinds with none beyond metadata. */
export function kindRules(info: ResourceInfo, obj: KubeObject): FieldError[] {
  return RULES[`${apiVersionOf(info)}/${info.kind}`]?.(obj) ?? [];
}

const ALWAYS = ['Always'];
const JOB_RESTART = ['OnFailure', 'Never'];

const RULES: Record<string, Rule> = {
  'v1/Pod': (obj) => validatePodSpec(optionalRecord(obj, 'spec'), 'spec'),
  'v1/Node': (obj) => validateTaints(optionalRecord(obj, 'spec')?.taints, 'spec.taints'),
  'v1/ConfigMap': (obj) => validateDataKeys(obj, ['data', 'binaryData']),
  'v1/Secret': validateSecret,
  'v1/ResourceQuota': validateResourceQuota,
  'v1/LimitRange': validateLimitRange,
  'v1/Service': validateService,
  'v1/Endpoints': validateEndpoints,
  'discovery.k8s.io/v1/EndpointSlice': validateEndpointSlice,
  'v1/PersistentVolumeClaim': (obj) => validateClaimSpec(optionalRecord(obj, 'spec'), 'spec'),
  'storage.k8s.io/v1/StorageClass': validateStorageClass,
  'scheduling.k8s.io/v1/PriorityClass': validatePriorityClass,
  'rbac.authorization.k8s.io/v1/Role': (obj) => validateRole(obj, true),
  'rbac.authorization.k8s.io/v1/ClusterRole': (obj) => validateRole(obj, false),
  'rbac.authorization.k8s.io/v1/RoleBinding': (obj) => validateBinding(obj, true),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': (obj) => validateBinding(obj, false),
  'v1/ReplicationController': (obj) => {
    const spec = optionalRecord(obj, 'spec') ?? {};
    const errs = nonNegative(spec, 'replicas', 'spec');
    const selector = isRecord(spec.selector) ? spec.selector : {};
    if (Object.keys(selector).length === 0) errs.push(required('spec.selector'));
    errs.push(...validateLabels(selector, 'spec.selector'));
    errs.push(...validateTemplate(spec, 'spec', LabelSelector.fromSet(stringMap(selector)), ALWAYS));
    return errs;
  },
  'apps/v1/Deployment': (obj) => validateWorkload(obj, 'deployment', ALWAYS),
  'apps/v1/ReplicaSet': (obj) => validateWorkload(obj, 'replicaset', ALWAYS),
  'apps/v1/StatefulSet': (obj) => {
    const errs = validateWorkload(withClaimVolumes(obj), 'statefulset', ALWAYS);
    recordList(optionalRecord(obj, 'spec'), 'volumeClaimTemplates').forEach((claim, i) => {
      errs.push(...validateClaimSpec(optionalRecord(claim, 'spec'), child(index('spec.volumeClaimTemplates', i), 'spec')));
    });
    return errs;
  },
  'apps/v1/DaemonSet': (obj) => validateWorkload(obj, 'daemonset', ALWAYS),
  'batch/v1/Job': (obj) => validateJobSpec(optionalRecord(obj, 'spec'), 'spec'),
  'batch/v1/CronJob': (obj) => {
    const errs: FieldError[] = [];
    const name = obj.metadata?.name;
    // Jobs get `<name>-<11 digit timestamp>`, which must stay a 63-character label.
    if (typeof name === 'string' && name.length > 52) errs.push(invalid('metadata.name', name, 'must be no more than 52 characters'));
    const spec = optionalRecord(obj, 'spec') ?? {};
    if (typeof spec.schedule !== 'string' || spec.schedule.trim() === '') errs.push(required('spec.schedule'));
    else if (!isCronSchedule(spec.schedule)) errs.push(invalid('spec.schedule', spec.schedule, 'unparseable cron expression'));
    if (spec.concurrencyPolicy !== undefined && !['Allow', 'Forbid', 'Replace'].includes(String(spec.concurrencyPolicy))) {
      errs.push(notSupported('spec.concurrencyPolicy', spec.concurrencyPolicy, ['Allow', 'Forbid', 'Replace']));
    }
    errs.push(...validateJobSpec(optionalRecord(optionalRecord(spec, 'jobTemplate'), 'spec'), 'spec.jobTemplate.spec'));
    return errs;
  },
  'autoscaling/v2/HorizontalPodAutoscaler': (obj) => {
    const spec = optionalRecord(obj, 'spec') ?? {};
    const errs: FieldError[] = [];
    const ref = optionalRecord(spec, 'scaleTargetRef') ?? {};
    if (typeof ref.kind !== 'string' || ref.kind === '') errs.push(required('spec.scaleTargetRef.kind'));
    if (typeof ref.name !== 'string' || ref.name === '') errs.push(required('spec.scaleTargetRef.name'));
    const min = spec.minReplicas;
    const max = spec.maxReplicas;
    if (typeof min === 'number' && min < 1) errs.push(invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
    if (typeof max === 'number' && max < 1) errs.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to 1'));
    if (typeof min === 'number' && typeof max === 'number' && max < min) {
      errs.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
    }
    return errs;
  },
};

function stringMap(value: JsonObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

function nonNegative(spec: JsonObject, field: string, path: string): FieldError[] {
  const v = spec[field];
  return typeof v === 'number' && v < 0 ? [invalid(child(path, field), v, 'must be greater than or equal to 0')] : [];
}

/**
 * A StatefulSet's pods mount a claim per `volumeClaimTemplates` entry as the volume of the
 * template's name (the controller adds it): the template is validated with those volumes in
 * place, as the pods will be (Kubernetes checks the union of the volumes and the claim templates).
 */
function withClaimVolumes(obj: KubeObject): KubeObject {
  const spec = optionalRecord(obj, 'spec');
  const claimNames = recordList(spec, 'volumeClaimTemplates')
    .map((c) => optionalRecord(c, 'metadata')?.name)
    .filter((n): n is string => typeof n === 'string' && n !== '');
  const podSpec = optionalRecord(optionalRecord(spec, 'template'), 'spec');
  if (claimNames.length === 0 || !podSpec) return obj;
  const volumes = recordList(podSpec, 'volumes').filter((v) => !claimNames.includes(String(v.name)));
  const claimVolumes = claimNames.map((name) => ({ name, persistentVolumeClaim: { claimName: name } }));
  const template = optionalRecord(spec, 'template') ?? {};
  return { ...obj, spec: { ...spec, template: { ...template, spec: { ...podSpec, volumes: [...claimVolumes, ...volumes] } } } };
}

/** Deployment, ReplicaSet, StatefulSet, DaemonSet: selector, template labels matching it, template. */
function validateWorkload(obj: KubeObject, noun: string, restartPolicies: string[]): FieldError[] {
  const spec = optionalRecord(obj, 'spec') ?? {};
  const errs = nonNegative(spec, 'replicas', 'spec');
  const selectorObj = optionalRecord(spec, 'selector');
  if (!selectorObj) return errs; // the schema reports spec.selector as required
  const selErrs = validateLabelSelector(selectorObj, 'spec.selector');
  errs.push(...selErrs);
  if (selErrs.length) return errs;
  const selector = selectorOf(selectorObj, 'spec.selector', errs);
  if (!selector) return errs;
  if (selector.empty) {
    errs.push(invalid('spec.selector', selectorObj, `empty selector is invalid for ${noun}`));
    return errs;
  }
  errs.push(...validateTemplate(spec, 'spec', selector, restartPolicies));
  return errs;
}

/** `holder.template`: labels must match `selector`; the pod spec must be valid. */
function validateTemplate(holder: JsonObject, path: string, selector: LabelSelector | undefined, restartPolicies: string[]): FieldError[] {
  const template = optionalRecord(holder, 'template');
  const templatePath = child(path, 'template');
  if (!template) return [required(templatePath)];
  const errs: FieldError[] = [];
  const labels = optionalRecord(template, 'metadata')?.labels;
  const labelsPath = child(child(templatePath, 'metadata'), 'labels');
  errs.push(...validateLabels(labels, labelsPath));
  if (selector && !selector.matches(isRecord(labels) ? stringMap(labels) : {})) {
    errs.push(invalid(labelsPath, labels ?? {}, '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodSpec(optionalRecord(template, 'spec'), child(templatePath, 'spec'), restartPolicies));
  return errs;
}

/**
 * The selector `sel` converts to, or undefined with an error at `path` pushed onto `errs` when it
 * cannot be converted: a malformed one (`matchLabels` a string, a value not a string, which the
 * schema reports by type) must stay a 422 naming the field, not the converter's bare 400 (found
 * by the API fuzzer).
 */
function selectorOf(sel: JsonObject, path: string, errs: FieldError[]): LabelSelector | undefined {
  // Not a selector at all: the schema names the field and its type.
  if ((sel.matchLabels != null && !isRecord(sel.matchLabels)) || (sel.matchExpressions != null && !Array.isArray(sel.matchExpressions))) return undefined;
  try {
    return LabelSelector.fromObject(sel as LabelSelectorObject);
  } catch (err) {
    errs.push(invalid(path, sel, err instanceof Error ? err.message : String(err)));
    return undefined;
  }
}

const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function validateLabelSelector(sel: JsonObject, path: string): FieldError[] {
  const errs = validateLabels(sel.matchLabels, child(path, 'matchLabels'));
  recordList(sel, 'matchExpressions').forEach((expr, i) => {
    const exprPath = index(child(path, 'matchExpressions'), i);
    const values = Array.isArray(expr.values) ? expr.values : [];
    if (typeof expr.key === 'string') for (const msg of isQualifiedName(expr.key)) errs.push(invalid(child(exprPath, 'key'), expr.key, msg));
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(required(child(exprPath, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errs.push(forbidden(child(exprPath, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(notSupported(child(exprPath, 'operator'), expr.operator, SELECTOR_OPERATORS));
    }
  });
  return errs;
}

function validateJobSpec(spec: JsonObject | undefined, path: string): FieldError[] {
  if (!spec) return [required(path)];
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'backoffLimit']) errs.push(...nonNegative(spec, f, path));
  if (typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds <= 0) {
    errs.push(invalid(child(path, 'activeDeadlineSeconds'), spec.activeDeadlineSeconds, 'must be greater than 0'));
  }
  let selector: LabelSelector | undefined;
  const selectorObj = optionalRecord(spec, 'selector');
  if (selectorObj) {
    const selErrs = validateLabelSelector(selectorObj, child(path, 'selector'));
    errs.push(...selErrs);
    if (!selErrs.length) selector = selectorOf(selectorObj, child(path, 'selector'), errs);
  }
  const template = optionalRecord(spec, 'template');
  const restartPolicy = optionalRecord(template, 'spec')?.restartPolicy;
  // Kubernetes requires an explicit OnFailure/Never here (the pod default Always is refused).
  if (template && restartPolicy !== undefined && !JOB_RESTART.includes(String(restartPolicy))) {
    errs.push(notSupported(child(path, 'template.spec.restartPolicy'), restartPolicy, JOB_RESTART));
  }
  const templateErrs = validateTemplate(spec, path, selector, JOB_RESTART).filter((e) => !e.field.endsWith('template.spec.restartPolicy'));
  errs.push(...templateErrs);
  return errs;
}

/** Five space-separated fields (or a `@hourly`-style macro), each of digits, `*`, `/`, `,`, `-`, `?` or names. */
function isCronSchedule(schedule: string): boolean {
  const s = schedule.trim().replace(/^(CRON_)?TZ=\S+\s+/, '');
  if (/^@(yearly|annually|monthly|weekly|daily|midnight|hourly|every \S+)$/.test(s)) return true;
  const fields = s.split(/\s+/);
  return fields.length === 5 && fields.every((f) => /^[\d*/,?A-Za-z-]+$/.test(f));
}

function validateTaints(taints: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(taints)) return errs;
  const effects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
  taints.forEach((t, i) => {
    if (!isRecord(t)) return;
    const p = index(path, i);
    if (typeof t.key !== 'string' || t.key === '') errs.push(required(child(p, 'key')));
    else for (const msg of isQualifiedName(t.key)) errs.push(invalid(child(p, 'key'), t.key, msg));
    if (t.effect === undefined || t.effect === '') errs.push(required(child(p, 'effect')));
    else if (!effects.includes(String(t.effect))) errs.push(notSupported(child(p, 'effect'), t.effect, effects));
  });
  return errs;
}

function validateDataKeys(obj: KubeObject, fields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Map<string, string>();
  for (const field of fields) {
    const data = optionalRecord(obj, field);
    if (!data) continue;
    for (const k of Object.keys(data)) {
      for (const msg of isConfigMapKey(k)) errs.push(invalid(key(field, k), k, msg));
      const other = seen.get(k);
      if (other) errs.push(invalid(key(field, k), k, `duplicate of key present in ${other}`));
      seen.set(k, field);
    }
  }
  return errs;
}

/** Keys each typed Secret must carry in `data`. */
const SECRET_REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
};

function validateSecret(obj: KubeObject): FieldError[] {
  const errs = validateDataKeys(obj, ['data']);
  const data = optionalRecord(obj, 'data') ?? {};
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== 'string') continue;
    const bad = base64Error(v);
    if (bad !== undefined) errs.push(invalid(key('data', k), '<secret contents redacted>', `illegal base64 data at input byte ${bad}`));
  }
  const type = typeof obj.type === 'string' ? obj.type : 'Opaque';
  if (type.length > 253) errs.push(invalid('type', type, 'must be no more than 253 characters'));
  const has = (k: string): boolean => typeof data[k] === 'string' && data[k] !== '';
  for (const k of SECRET_REQUIRED_KEYS[type] ?? []) if (!has(k)) errs.push(required(key('data', k)));
  if (type === 'kubernetes.io/basic-auth' && !has('username') && !has('password')) {
    errs.push(required(key('data', 'username')), required(key('data', 'password')));
  }
  if (type === 'kubernetes.io/service-account-token') {
    const name = obj.metadata?.annotations?.['kubernetes.io/service-account.name'];
    if (!name) errs.push(required(key('metadata.annotations', 'kubernetes.io/service-account.name')));
  }
  return errs;
}

/**
 * Where Go's padded base64 decoder (the JSON decoding of a Secret's `[]byte`) would fail: the
 * first illegal character, or the start of an incomplete final quantum; undefined when valid.
 */
function base64Error(value: string): number | undefined {
  const s = value.replace(/[\r\n]/g, '');
  const padding = s.indexOf('=');
  const body = padding === -1 ? s : s.slice(0, padding);
  const illegal = body.search(/[^A-Za-z0-9+/]/);
  if (illegal !== -1) return illegal;
  if (padding !== -1) {
    const pad = s.slice(padding);
    if (!/^={1,2}$/.test(pad) || s.length % 4 !== 0 || padding % 4 < 2) return padding;
  }
  if (s.length % 4 !== 0) return Math.floor(s.length / 4) * 4;
  return undefined;
}

function validateClaimSpec(spec: JsonObject | undefined, path: string): FieldError[] {
  const s = spec ?? {};
  const errs: FieldError[] = [];
  if (!Array.isArray(s.accessModes) || s.accessModes.length === 0) {
    errs.push(required(child(path, 'accessModes'), 'at least 1 access mode is required'));
  }
  const hasSource = isRecord(s.dataSource) || isRecord(s.dataSourceRef);
  const storage = optionalRecord(optionalRecord(s, 'resources'), 'requests')?.storage;
  if (!hasSource && storage === undefined) errs.push(required(key(child(path, 'resources'), 'storage')));
  return errs;
}

/** ValidateStorageClass: a provisioner, and reclaim and binding modes Kubernetes knows. */
function validateStorageClass(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const provisioner = obj.provisioner;
  if (typeof provisioner !== 'string' || provisioner === '') errs.push(required('provisioner'));
  else for (const detail of isQualifiedName(provisioner.toLowerCase())) errs.push(invalid('provisioner', provisioner, detail));
  if (obj.reclaimPolicy !== undefined && !['Delete', 'Retain'].includes(String(obj.reclaimPolicy))) errs.push(notSupported('reclaimPolicy', obj.reclaimPolicy, ['Delete', 'Retain']));
  if (obj.volumeBindingMode !== undefined && !['Immediate', 'WaitForFirstConsumer'].includes(String(obj.volumeBindingMode))) {
    errs.push(notSupported('volumeBindingMode', obj.volumeBindingMode, ['Immediate', 'WaitForFirstConsumer']));
  }
  return errs;
}
