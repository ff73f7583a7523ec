/**
 * `corev1.ResourceList` (resource name → Quantity) and the set operations Kubernetes' quota
 * package does on it (k8s.io/apiserver/pkg/quota/v1/resources.go): Add, Subtract, Mask,
 * LessThanOrEqual, Equals, and the `k=v,k=v` rendering of admission messages.
 */
import { isRecord } from '../object.ts';
import { Quantity } from './quantity.ts';

export type ResourceList = Record<string, Quantity>;

/** A ResourceList from JSON (`{cpu: '500m', pods: 2}`); values that are not quantities are skipped. */
export function parseResourceList(json: unknown): ResourceList {
  const out: ResourceList = {};
  if (!isRecord(json)) return out;
  for (const [name, value] of Object.entries(json)) {
    const q = Quantity.tryParse(value);
    if (q) out[name] = q;
  }
  return out;
}

/** The JSON form (canonical strings), keys sorted as Go's encoding/json writes maps. */
export function resourceListJson(list: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(list).sort()) out[name] = list[name]!.toString();
  return out;
}

export function resourceNames(list: ResourceList): string[] {
  return Object.keys(list);
}

export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = { ...a };
  for (const [name, q] of Object.entries(b)) out[name] = out[name] ? out[name].add(q) : q;
  return out;
}

export function subtractLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = { ...a };
  for (const [name, q] of Object.entries(b)) out[name] = out[name] ? out[name].sub(q) : q.neg();
  return out;
}

/** a - b, each value at least zero (quota.SubtractWithNonNegativeResult). */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const [name, q] of Object.entries(a)) {
    const diff = b[name] ? q.sub(b[name]) : q;
    out[name] = diff.sign() < 0 ? Quantity.zero(q.format) : diff;
  }
  for (const name of Object.keys(b)) if (!(name in out)) out[name] = Quantity.zero();
  return out;
}

/** Only the entries named in `names`. */
export function maskList(list: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = {};
  for (const name of names) if (list[name]) out[name] = list[name];
  return out;
}

/** Every value of `a` that `b` also names is ≤ `b`'s; the names that are not (quota.LessThanOrEqual). */
export function lessThanOrEqual(a: ResourceList, b: ResourceList): { allowed: boolean; exceeded: string[] } {
  const exceeded = Object.keys(b).filter((name) => a[name] !== undefined && a[name].cmp(b[name]!) > 0);
  return { allowed: exceeded.length === 0, exceeded };
}

export function listsEqual(a: ResourceList, b: ResourceList): boolean {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((n) => b[n] !== undefined && a[n]!.cmp(b[n]) === 0);
}

export function isZeroList(list: ResourceList): boolean {
  return Object.values(list).every((q) => q.isZero());
}

export function negativeNames(list: ResourceList): string[] {
  return Object.entries(list)
    .filter(([, q]) => q.sign() < 0)
    .map(([n]) => n);
}

/** `pods=1,requests.cpu=500m`: names sorted, as the quota admission's prettyPrint. */
export function prettyPrint(list: ResourceList): string {
  return Object.keys(list)
    .sort()
    .map((name) => `${name}=${list[name]!.toString()}`)
    .join(',');
}

/** `pods,requests.cpu`: names sorted (prettyPrintResourceNames). */
export function prettyPrintNames(names: Iterable<string>): string {
  return [...names].sort().join(',');
}
