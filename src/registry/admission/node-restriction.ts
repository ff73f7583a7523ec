/**
 * NodeRestriction admission (plugin/pkg/admission/noderestriction): what a node's writes may
 * change, once the Node authorizer (../authorization/node.ts) let the request through. Only users
 * that are nodes (`system:node:<name>` in `system:nodes`) are judged; everyone else passes.
 *
 * - Node: only its own (`node "n1" is not allowed to modify node "n2"`); not its taints; no label
 *   it sets or changes under `node-restriction.kubernetes.io/`, under `kubernetes.io/` or `k8s.io/`
 *   beyond the kubelet's own labels (hostname, os, arch, instance type, zone, region,
 *   `kubelet.kubernetes.io/`, `node.kubernetes.io/`), or under `kactus.io/` — nor a `kactus.io/`
 *   annotation: those bind the node's mesh identity (peer id, addresses) to its name.
 * - Pod: no creates (kactus has no static pods, so no mirror pods); no updates of the object;
 *   deletes and status writes of pods bound to it only, and no label changes through the status.
 * - Lease: only `kube-node-lease/<its name>`.
 *
 * It handles every write (status writes and deletes too), as Kubernetes' plugin does.
 */
import { isRecord, jsonEqual, type KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import { NODE_LEASE_NAMESPACE, nodeIdentity } from '../authorization/node.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './types.ts';

/** The labels a kubelet sets on its own Node (Kubernetes' kubeletapis.KubeletLabels()). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/os',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

const inDomain = (ns: string, domain: string): boolean => ns === domain || ns.endsWith(`.${domain}`);

/** True when a node may not set or change label `key` on itself (Kubernetes' getForbiddenLabels, plus kactus.io). */
export function isForbiddenNodeLabel(key: string): boolean {
  const slash = key.indexOf('/');
  const ns = slash < 0 ? '' : key.slice(0, slash);
  if (inDomain(ns, 'node-restriction.kubernetes.io') || inDomain(ns, 'kactus.io')) return true;
  if (inDomain(ns, 'kubernetes.io') || inDomain(ns, 'k8s.io')) {
    return !(KUBELET_LABELS.has(key) || KUBELET_LABEL_NAMESPACES.some((d) => inDomain(ns, d)));
  }
  return false;
}

/** Keys added, removed or changed between two maps. */
function modifiedKeys(next: Record<string, string> = {}, old: Record<string, string> = {}): string[] {
  const keys = new Set([...Object.keys(next), ...Object.keys(old)]);
  return [...keys].filter((k) => next[k] !== old[k]).sort();
}

const taintsOf = (node: KubeObject | undefined): unknown => (isRecord(node?.spec) ? (node.spec.taints ?? []) : []);
const boundNode = (pod: KubeObject | undefined): unknown => (isRecord(pod?.spec) ? pod.spec.nodeName : undefined);

export class NodeRestriction implements AdmissionPlugin {
  readonly name = 'NodeRestriction';
  readonly handlesEveryWrite = true;

  async validate(attrs: AdmissionAttributes): Promise<void> {
    const node = attrs.user ? nodeIdentity(attrs.user) : undefined;
    if (node === undefined) return;
    const { info } = attrs;
    if (info.group === '' && info.resource === 'pods') return this.pod(node, attrs);
    if (info.group === '' && info.resource === 'nodes') return this.node(node, attrs);
    if (info.group === 'coordination.k8s.io' && info.resource === 'leases') {
      if (attrs.namespace !== NODE_LEASE_NAMESPACE || attrs.obj.metadata?.name !== node) {
        throw this.forbidden(attrs, 'can only access node lease with the same name as the requesting node');
      }
    }
  }

  private pod(node: string, attrs: AdmissionAttributes): void {
    if (attrs.subresource === 'status') {
      if (boundNode(attrs.old) !== node) throw this.forbidden(attrs, `node "${node}" can only update pod status for pods with spec.nodeName set to itself`);
      if (!jsonEqual(attrs.obj.metadata?.labels ?? {}, attrs.old?.metadata?.labels ?? {})) throw this.forbidden(attrs, `node "${node}" cannot update labels through pod status`);
      return;
    }
    switch (attrs.operation) {
      case 'CREATE':
        throw this.forbidden(attrs, `pod does not have "kubernetes.io/config.mirror" annotation, node "${node}" can only create mirror pods, and kactus runs no static pods`);
      case 'DELETE':
        if (boundNode(attrs.obj) !== node) throw this.forbidden(attrs, `node "${node}" can only delete pods with spec.nodeName set to itself`);
        return;
      default:
        throw this.forbidden(attrs, `unexpected operation "${attrs.operation}", node "${node}" can only create and delete mirror pods`);
    }
  }

  private node(node: string, attrs: AdmissionAttributes): void {
    const requested = attrs.obj.metadata?.name ?? attrs.name;
    if (requested !== node) throw this.forbidden(attrs, `node "${node}" is not allowed to modify node "${requested}"`);
    if (attrs.operation === 'DELETE') return;
    const old = attrs.operation === 'UPDATE' ? attrs.old : undefined;
    if (old && !jsonEqual(taintsOf(attrs.obj), taintsOf(old))) throw this.forbidden(attrs, `node "${node}" is not allowed to modify taints`);
    const labels = modifiedKeys(attrs.obj.metadata?.labels, old?.metadata?.labels).filter(isForbiddenNodeLabel);
    if (labels.length > 0) {
      throw this.forbidden(attrs, old ? `node "${node}" is not allowed to modify labels: ${labels.join(', ')}` : `node "${node}" is not allowed to set the following labels: ${labels.join(', ')}`);
    }
    const annotations = modifiedKeys(attrs.obj.metadata?.annotations, old?.metadata?.annotations).filter((k) => inDomain(k.split('/')[0] ?? '', 'kactus.io') && k.includes('/'));
    if (annotations.length > 0) throw this.forbidden(attrs, `node "${node}" is not allowed to modify annotations: ${annotations.join(', ')}`);
  }

  private forbidden(attrs: AdmissionAttributes, reason: string): ApiError {
    return ApiError.forbidden(attrs.info, attrs.obj.metadata?.name || attrs.name, reason);
  }
}
