/**
 * A PersistentVolume's `spec.nodeAffinity.required` against this node, as the kubelet's
 * `CheckNodeAffinity`: the node selector terms are ORed, the expressions (and fields) of a term
 * ANDed; an empty term matches nothing; no required affinity matches every node.
 */
import { isRecord, optionalRecord, recordList, type JsonObject } from '../../src/api/object.ts';

export interface NodeIdentity {
  name: string;
  labels: Readonly<Record<string, string>>;
}

function requirementMatches(r: JsonObject, value: string | undefined): boolean {
  const values = Array.isArray(r.values) ? r.values.filter((v): v is string => typeof v === 'string') : [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1 || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(values[0]!)) return false;
      return r.operator === 'Gt' ? BigInt(value) > BigInt(values[0]!) : BigInt(value) < BigInt(values[0]!);
    }
    default:
      return false;
  }
}

function termMatches(term: JsonObject, node: NodeIdentity): boolean {
  const expressions = recordList(term, 'matchExpressions');
  const fields = recordList(term, 'matchFields');
  if (expressions.length === 0 && fields.length === 0) return false;
  return (
    expressions.every((r) => requirementMatches(r, typeof r.key === 'string' ? node.labels[r.key] : undefined)) &&
    fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, node.name))
  );
}

/** Whether the PV may be used on `node`. */
export function persistentVolumeFitsNode(pv: JsonObject, node: NodeIdentity): boolean {
  const required = optionalRecord(optionalRecord(optionalRecord(pv, 'spec'), 'nodeAffinity'), 'required');
  if (!isRecord(required)) return true;
  return recordList(required, 'nodeSelectorTerms').some((t) => termMatches(t, node));
}
