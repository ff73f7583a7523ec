/**
 * ResourceQuota and LimitRange rules (ValidateResourceQuota, ValidateLimitRange of Kubernetes'
 * core validation) beyond the schema, with Kubernetes' wording. Quantities are compared exactly
 * (src/api/quota/quantity.ts) and printed in canonical form.
 */
import { duplicate, forbidden, invalid, key, required, type FieldError } from '../field.ts';
import { isRecord, recordList, type KubeObject } from '../object.ts';
import { Quantity } from '../quota/quantity.ts';
import { invalidRendered } from './service.ts';

/** Resources counted in whole objects (helper.IsIntegerResourceName). */
const INTEGER_RESOURCES = new Set(['pods', 'resourcequotas', 'services', 'replicationcontrollers', 'secrets', 'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers']);
const STANDARD_SCOPES = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'];
const POD_COMPUTE = new Set(['cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory']);
const STANDARD_QUOTA_RESOURCES = new Set([
  ...INTEGER_RESOURCES,
  ...POD_COMPUTE,
  'ephemeral-storage',
  'requests.ephemeral-storage',
  'limits.ephemeral-storage',
  'requests.storage',
]);

const quantities = (value: unknown): [string, Quantity][] =>
  isRecord(value) ? Object.entries(value).flatMap(([k, v]) => { const q = Quantity.tryParse(v); return q ? [[k, q] as [string, Quantity]] : []; }) : [];

/** IsResourceQuotaScopeValidForResource. */
function scopeValidFor(scope: string, resource: string): boolean {
  if (scope === 'BestEffort') return resource === 'pods';
  if (['Terminating', 'NotTerminating', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'].includes(scope)) return resource === 'pods' || POD_COMPUTE.has(resource);
  return true;
}

export function validateResourceQuota(rq: KubeObject): FieldError[] {
  const spec = isRecord(rq.spec) ? rq.spec : {};
  const errs: FieldError[] = [];
  for (const [name, q] of quantities(spec.hard)) {
    const path = key('spec.hard', name);
    if (q.sign() < 0) errs.push(invalid(path, q.toString(), 'must be greater than or equal to 0'));
    if (INTEGER_RESOURCES.has(name) && q.nanos % 1_000_000_000n !== 0n) errs.push(invalid(path, q.toString(), 'must be an integer'));
  }
  const scopes = Array.isArray(spec.scopes) ? spec.scopes.filter((s): s is string => typeof s === 'string') : [];
  if (scopes.length === 0) return errs;
  // Go renders the scope list as a slice of its own type.
  const rendered = `[]core.ResourceQuotaScope{${scopes.map((s) => JSON.stringify(s)).join(', ')}}`;
  const hardNames = Object.keys(isRecord(spec.hard) ? spec.hard : {}).sort();
  for (const scope of scopes) {
    if (!STANDARD_SCOPES.includes(scope)) errs.push(invalidRendered('spec.scopes', rendered, 'unsupported scope'));
    for (const name of hardNames) if (STANDARD_QUOTA_RESOURCES.has(name) && !scopeValidFor(scope, name)) errs.push(invalidRendered('spec.scopes', rendered, 'unsupported scope applied to resource'));
  }
  for (const pair of [['BestEffort', 'NotBestEffort'], ['Terminating', 'NotTerminating']]) {
    if (pair.every((s) => scopes.includes(s))) errs.push(invalidRendered('spec.scopes', rendered, 'conflicting scopes'));
  }
  return errs;
}

const STANDARD_LIMIT_TYPES = ['Pod', 'Container', 'PersistentVolumeClaim'];

export function validateLimitRange(lr: KubeObject): FieldError[] {
  const spec = isRecord(lr.spec) ? lr.spec : undefined;
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  recordList(spec, 'limits').forEach((limit, i) => {
    const path = `spec.limits[${i}]`;
    const type = typeof limit.type === 'string' ? limit.type : '';
    if (!type.includes('/') && !STANDARD_LIMIT_TYPES.includes(type)) errs.push(invalid(`${path}.type`, type, 'must be a standard limit type or fully qualified'));
    if (seen.has(type)) errs.push(duplicate(`${path}.type`, type));
    seen.add(type);
    const min = new Map(quantities(limit.min));
    const max = new Map(quantities(limit.max));
    const ratio = new Map(quantities(limit.maxLimitRequestRatio));
    let defaults = new Map<string, Quantity>();
    let defaultRequests = new Map<string, Quantity>();
    if (type === 'Pod') {
      if (isRecord(limit.default) && Object.keys(limit.default).length > 0) errs.push(forbidden(`${path}.default`, "may not be specified when `type` is 'Pod'"));
      if (isRecord(limit.defaultRequest) && Object.keys(limit.defaultRequest).length > 0) errs.push(forbidden(`${path}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
    } else {
      defaults = new Map(quantities(limit.default));
      defaultRequests = new Map(quantities(limit.defaultRequest));
    }
    if (type === 'PersistentVolumeClaim' && !min.has('storage') && !max.has('storage')) {
      errs.push(required(`${path}.limits`, 'either minimum or maximum storage value is required, but neither was provided'));
    }
    const names = [...new Set([...max.keys(), ...min.keys(), ...defaults.keys(), ...defaultRequests.keys(), ...ratio.keys()])].sort();
    for (const k of names) {
      const [mn, mx, df, dr, r] = [min.get(k), max.get(k), defaults.get(k), defaultRequests.get(k), ratio.get(k)];
      if (mn && mx && mn.cmp(mx) > 0) errs.push(invalid(key(`${path}.min`, k), mn.toString(), `min value ${mn} is greater than max value ${mx}`));
      if (dr && mn && mn.cmp(dr) > 0) errs.push(invalid(key(`${path}.defaultRequest`, k), dr.toString(), `min value ${mn} is greater than default request value ${dr}`));
      if (dr && mx && dr.cmp(mx) > 0) errs.push(invalid(key(`${path}.defaultRequest`, k), dr.toString(), `default request value ${dr} is greater than max value ${mx}`));
      if (dr && df && dr.cmp(df) > 0) errs.push(invalid(key(`${path}.defaultRequest`, k), dr.toString(), `default request value ${dr} is greater than default limit value ${df}`));
      if (df && mn && mn.cmp(df) > 0) errs.push(invalid(key(`${path}.default`, k), mn.toString(), `min value ${mn} is greater than default value ${df}`));
      if (df && mx && df.cmp(mx) > 0) errs.push(invalid(key(`${path}.default`, k), mx.toString(), `default value ${df} is greater than max value ${mx}`));
      if (r && r.cmp(Quantity.fromInt(1)) < 0) errs.push(invalid(key(`${path}.maxLimitRequestRatio`, k), r.toString(), `ratio ${r} is less than 1`));
      if (r && mn && mx && mn.sign() > 0) {
        const limit = mx.toNumber() / mn.toNumber();
        if (r.toNumber() > limit) errs.push(invalid(key(`${path}.maxLimitRequestRatio`, k), r.toString(), `ratio ${r} is greater than max/min = ${limit.toFixed(6)}`));
      }
    }
  });
  return errs;
}
