/**
 * Kubernetes' NodeSelector semantics (`k8s.io/component-helpers/scheduling/corev1/nodeaffinity`):
 * the terms of a required node selector are ORed; within a term every `matchExpressions` and
 * `matchFields` requirement must hold; a term with neither matches nothing, as does an empty term
 * list. Used for pods' required node affinity and for PersistentVolumes' `spec.nodeAffinity`.
 */
import type { JsonObject, KubeObject } from './object.ts';
import { recordList } from './object.ts';

/** True when `node` satisfies the NodeSelector `selector` (`{ nodeSelectorTerms: [...] }`). */
export function nodeSelectorMatches(selector: JsonObject, node: KubeObject): boolean {
  return recordList(selector, 'nodeSelectorTerms').some((term) => termMatches(term, node));
}

function termMatches(term: JsonObject, node: KubeObject): boolean {
  const expressions = recordList(term, 'matchExpressions');
  const fields = recordList(term, 'matchFields');
  if (expressions.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  // The only field Kubernetes supports in matchFields is metadata.name.
  const nodeFields: Record<string, string> = { 'metadata.name': node.metadata?.name ?? '' };
  return expressions.every((r) => requirementHolds(r, labels)) && fields.every((r) => requirementHolds(r, nodeFields));
}

/** One NodeSelectorRequirement against a label (or field) map. */
export function requirementHolds(req: JsonObject, values: Record<string, string>): boolean {
  const key = typeof req.key === 'string' ? req.key : '';
  const wanted = Array.isArray(req.values) ? req.values.map(String) : [];
  const has = Object.hasOwn(values, key);
  const value = values[key];
  switch (req.operator) {
    case 'In':
      return has && wanted.includes(value);
    case 'NotIn':
      return !has || !wanted.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || wanted.length !== 1) return false;
      const actual = parseInteger(value);
      const bound = parseInteger(wanted[0]);
      if (actual === undefined || bound === undefined) return false;
      return req.operator === 'Gt' ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}

function parseInteger(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s.trim()) ? Number(s) : undefined;
}
