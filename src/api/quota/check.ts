/**
 * The quota checks, pure: Kubernetes' ResourceQuota admission `CheckRequest`
 * (plugin/pkg/admission/resourcequota/controller.go) — which quotas an object falls in, its
 * constraints, the charge against each and the 403 message when one would be exceeded — and the
 * quota controller's `CalculateUsage` (what a namespace uses of a quota's hard resources).
 */
import { isRecord, type KubeObject } from '../object.ts';
import { evaluatorFor, persistentVolumeClaimEvaluator, podEvaluator, serviceEvaluator, type QuotaEvaluator, type QuotaOperation, type ScopeSelector } from './evaluators.ts';
import { Quantity } from './quantity.ts';
import {
  addLists,
  isZeroList,
  lessThanOrEqual,
  maskList,
  negativeNames,
  parseResourceList,
  prettyPrint,
  prettyPrintNames,
  subtractNonNegative,
  type ResourceList,
} from './resource-list.ts';

/** A ResourceQuota as the checks read it: its status (hard as last observed, used), its scopes. */
export interface QuotaView {
  name: string;
  /** status.hard: what admission enforces (the controller copies spec.hard there). */
  hard: ResourceList;
  /** status.used; names absent from it are "status unknown". */
  used: ResourceList;
  scopes: ScopeSelector[];
}

function scopeSelectorsOf(spec: Record<string, unknown>): ScopeSelector[] {
  const out: ScopeSelector[] = [];
  if (Array.isArray(spec.scopes)) for (const s of spec.scopes) if (typeof s === 'string') out.push({ scopeName: s, operator: 'Exists' });
  const selector = isRecord(spec.scopeSelector) ? spec.scopeSelector : undefined;
  if (selector && Array.isArray(selector.matchExpressions)) {
    for (const e of selector.matchExpressions) {
      if (!isRecord(e) || typeof e.scopeName !== 'string') continue;
      out.push({
        scopeName: e.scopeName,
        operator: typeof e.operator === 'string' ? e.operator : '',
        values: Array.isArray(e.values) ? e.values.filter((v): v is string => typeof v === 'string') : [],
      });
    }
  }
  return out;
}

export function quotaView(rq: KubeObject): QuotaView {
  const spec = isRecord(rq.spec) ? rq.spec : {};
  const status = isRecord(rq.status) ? rq.status : {};
  return { name: rq.metadata?.name ?? '', hard: parseResourceList(status.hard), used: parseResourceList(status.used), scopes: scopeSelectorsOf(spec) };
}

/** The quota's scopes as selectors (spec.scopes and spec.scopeSelector), for the controller. */
export function quotaScopes(rq: KubeObject): ScopeSelector[] {
  return scopeSelectorsOf(isRecord(rq.spec) ? rq.spec : {});
}

/** generic.Matches: the quota tracks something this evaluator measures, and the object is in every scope. */
export function quotaMatches(evaluator: QuotaEvaluator, hardNames: readonly string[], scopes: readonly ScopeSelector[], obj: KubeObject): boolean {
  if (evaluator.matchingResources(hardNames).length === 0) return false;
  return scopes.every((s) => evaluator.matchesScope(s, obj));
}

export interface QuotaRequest {
  operation: QuotaOperation;
  /** `pods`, `deployments.apps`. */
  groupResource: string;
  obj: KubeObject;
  /** The stored object of an update. */
  old?: KubeObject;
  now: Date;
}

export type QuotaCheck =
  /** Nothing to charge (no quota applies, or the usage does not grow). */
  | { outcome: 'unchanged' }
  /** Charges fit: each named quota's new status.used. */
  | { outcome: 'charged'; used: Map<string, ResourceList> }
  /** Refused: the reason, for `<resource> "<name>" is forbidden: <reason>`. */
  | { outcome: 'refused'; reason: string };

/** CheckRequest: the object against every quota of its namespace. */
export function checkQuotaRequest(quotas: readonly QuotaView[], req: QuotaRequest): QuotaCheck {
  const evaluator = evaluatorFor(req.groupResource);
  if (!evaluator.handles(req.operation, req.obj, req.old)) return { outcome: 'unchanged' };
  const interesting: QuotaView[] = [];
  for (const quota of [...quotas].sort((a, b) => a.name.localeCompare(b.name))) {
    const hardNames = Object.keys(quota.hard);
    if (!quotaMatches(evaluator, hardNames, quota.scopes, req.obj)) continue;
    const restricted = evaluator.matchingResources(hardNames);
    const failed = evaluator.constraints(restricted, req.obj);
    if (failed) return { outcome: 'refused', reason: `failed quota: ${quota.name}: ${failed}` };
    if (!restricted.every((name) => quota.used[name] !== undefined)) {
      return { outcome: 'refused', reason: `status unknown for quota: ${quota.name}, resources: ${prettyPrintNames(restricted)}` };
    }
    interesting.push(quota);
  }
  let delta = evaluator.usage(req.obj, req.now);
  const negative = negativeNames(delta);
  if (negative.length > 0) return { outcome: 'refused', reason: `quota usage is negative for resource(s): ${prettyPrintNames(negative)}` };
  if (req.operation === 'UPDATE' && req.old) delta = subtractNonNegative(delta, evaluator.usage(req.old, req.now));
  if (isZeroList(delta) || interesting.length === 0) return { outcome: 'unchanged' };
  const used = new Map<string, ResourceList>();
  for (const quota of interesting) {
    const requested = maskList(delta, Object.keys(quota.hard));
    const newUsage = addLists(quota.used, requested);
    const { allowed, exceeded } = lessThanOrEqual(maskList(newUsage, Object.keys(requested)), quota.hard);
    if (!allowed) {
      return {
        outcome: 'refused',
        reason: `exceeded quota: ${quota.name}, requested: ${prettyPrint(maskList(requested, exceeded))}, used: ${prettyPrint(maskList(quota.used, exceeded))}, limited: ${prettyPrint(maskList(quota.hard, exceeded))}`,
      };
    }
    used.set(quota.name, newUsage);
  }
  return { outcome: 'charged', used };
}

/** The legacy object-count names and the group-resources they count. */
const LEGACY_NAMES: Record<string, string> = { configmaps: 'configmaps', secrets: 'secrets', replicationcontrollers: 'replicationcontrollers', resourcequotas: 'resourcequotas' };

/** The evaluators that measure some of `hardNames`: the three special ones, and an object count per `count/<resource>` or legacy name. */
export function evaluatorsForHard(hardNames: readonly string[]): QuotaEvaluator[] {
  const out = new Map<string, QuotaEvaluator>();
  for (const e of [podEvaluator, serviceEvaluator, persistentVolumeClaimEvaluator]) if (e.matchingResources(hardNames).length > 0) out.set(e.groupResource, e);
  for (const name of hardNames) {
    const gr = name.startsWith('count/') ? name.slice('count/'.length) : LEGACY_NAMES[name];
    if (gr && !out.has(gr)) out.set(gr, evaluatorFor(gr));
  }
  return [...out.values()];
}

/**
 * CalculateUsage: what `objectsOf(groupResource)` (the namespace's objects of that kind) use of
 * the quota's hard names, within its scopes. Every tracked name is present (zero when nothing
 * uses it), so admission knows the status.
 */
export function calculateUsage(hard: ResourceList, scopes: readonly ScopeSelector[], objectsOf: (groupResource: string) => readonly KubeObject[], now: Date): ResourceList {
  const hardNames = Object.keys(hard);
  let used: ResourceList = {};
  for (const evaluator of evaluatorsForHard(hardNames)) {
    const matched = evaluator.matchingResources(hardNames);
    let stats: ResourceList = Object.fromEntries(matched.map((n) => [n, Quantity.zero()]));
    for (const obj of objectsOf(evaluator.groupResource)) {
      if (!scopes.every((s) => evaluator.matchesScope(s, obj))) continue;
      stats = addLists(stats, evaluator.usage(obj, now));
    }
    used = addLists(used, maskList(stats, matched));
  }
  return maskList(used, hardNames);
}
