/**
 * What differs between the two replica kinds one controller serves: ReplicaSet (apps/v1, a
 * LabelSelector object) and ReplicationController (v1, a plain label map as selector).
 */
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import { isRecord, type KubeObject } from '../../api/object.ts';
import { LabelSelector, type LabelSelectorObject } from '../../api/selectors.ts';
import { ApiError } from '../../api/status.ts';

export interface ReplicaKind {
  info: ResourceInfo;
  /** `replicaset-controller`, as Kubernetes names the Event source. */
  component: string;
  /** The owner's selector; one that cannot be parsed matches nothing. */
  selectorOf(owner: KubeObject): LabelSelector;
}

const specOf = (owner: KubeObject): Record<string, unknown> => (isRecord(owner.spec) ? owner.spec : {});

function safely(build: () => LabelSelector): LabelSelector {
  try {
    return build();
  } catch (err) {
    if (err instanceof ApiError) return LabelSelector.nothing();
    throw err;
  }
}

export const REPLICA_SET: ReplicaKind = {
  info: findKind('apps/v1', 'ReplicaSet') as ResourceInfo,
  component: 'replicaset-controller',
  selectorOf: (owner) => {
    const sel = specOf(owner).selector;
    return safely(() => LabelSelector.fromObject(isRecord(sel) ? (sel as LabelSelectorObject) : null));
  },
};

export const REPLICATION_CONTROLLER: ReplicaKind = {
  info: findKind('v1', 'ReplicationController') as ResourceInfo,
  component: 'replication-controller',
  selectorOf: (owner) => {
    const sel = specOf(owner).selector;
    // An empty map would select every pod in the namespace; Kubernetes' validation forbids it.
    if (!isRecord(sel) || Object.keys(sel).length === 0) return LabelSelector.nothing();
    return safely(() => LabelSelector.fromSet(Object.fromEntries(Object.entries(sel).map(([k, v]) => [k, String(v)]))));
  },
};

/** spec.replicas (default 1), spec.minReadySeconds (default 0), the template. */
export function replicaSpec(owner: KubeObject): { replicas: number; minReadySeconds: number; template: Record<string, unknown> } {
  const spec = specOf(owner);
  return {
    replicas: typeof spec.replicas === 'number' ? spec.replicas : 1,
    minReadySeconds: typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0,
    template: isRecord(spec.template) ? spec.template : {},
  };
}
