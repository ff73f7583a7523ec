/**
 * Objects for the StatefulSet machine's tests (decisions and model): a set `web` in `default`,
 * its ControllerRevisions, member pods in any state, and the facts a controller would observe.
 */
import type { JsonObject, KubeObject } from '../../api/object.ts';
import type { StatefulSetFacts } from './machine.ts';
import { POD_INDEX_LABEL, POD_NAME_LABEL, REVISION_LABEL } from './identity.ts';
import { newRevision } from './revisions.ts';

export const T0 = Date.parse('2024-06-01T00:00:00Z');
export const SET_UID = 'sts-uid';

export interface SetShape {
  replicas?: number;
  parallel?: boolean;
  start?: number;
  image?: string;
  updateStrategy?: JsonObject;
  minReadySeconds?: number;
  claims?: string[];
  retention?: JsonObject;
  status?: JsonObject;
  deleting?: boolean;
  uid?: string;
}

export function web(shape: SetShape = {}): KubeObject {
  const labels = { app: 'web' };
  const spec: JsonObject = {
    serviceName: 'web',
    replicas: shape.replicas ?? 3,
    selector: { matchLabels: labels },
    template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: shape.image ?? 'busybox:1' }] } },
    updateStrategy: shape.updateStrategy ?? { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    podManagementPolicy: shape.parallel ? 'Parallel' : 'OrderedReady',
    revisionHistoryLimit: 10,
  };
  if (shape.start !== undefined) spec.ordinals = { start: shape.start };
  if (shape.minReadySeconds !== undefined) spec.minReadySeconds = shape.minReadySeconds;
  if (shape.claims) spec.volumeClaimTemplates = shape.claims.map((c) => ({ metadata: { name: c }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }));
  if (shape.retention) spec.persistentVolumeClaimRetentionPolicy = shape.retention;
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default', uid: shape.uid ?? SET_UID, generation: 1, ...(shape.deleting ? { deletionTimestamp: new Date(T0).toISOString() } : {}) },
    spec,
    status: shape.status ?? { replicas: 0 },
  };
}

/** The set's ControllerRevision number `n` (its template now), as stored. */
export function revisionOf(set: KubeObject, n = 1): KubeObject {
  const r = newRevision(set, n, 0);
  return { ...r, metadata: { ...r.metadata, uid: `rev-${String(r.metadata?.name)}`, creationTimestamp: new Date(T0 - 7_200_000 + n * 1000).toISOString() } };
}

/** The revision name of the set's template now. */
export const revisionName = (set: KubeObject): string => String(newRevision(set, 1, 0).metadata?.name);

export interface MemberShape {
  /** The revision name the pod was made at (default: the set's template now). */
  revision?: string;
  phase?: 'Pending' | 'Running' | 'Failed' | 'Succeeded';
  ready?: boolean;
  terminating?: boolean;
  /** Ready since (default: an hour before T0). */
  readyAt?: number;
  /** The controller's uid (default: the set's). */
  ownerUid?: string;
  reason?: string;
}

/** Member `ordinal` of `set` in the given state (Running and ready by default). */
export function member(set: KubeObject, ordinal: number, shape: MemberShape = {}): KubeObject {
  const name = `web-${ordinal}`;
  const phase = shape.phase ?? 'Running';
  const ready = shape.ready ?? phase === 'Running';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `${name}-${shape.ownerUid ?? 'uid'}-${shape.revision ?? 'r'}-${phase}-${shape.terminating ? 't' : ''}`,
      labels: { app: 'web', [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [REVISION_LABEL]: shape.revision ?? revisionName(set) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: shape.ownerUid ?? SET_UID, controller: true, blockOwnerDeletion: true }],
      ...(shape.terminating ? { deletionTimestamp: new Date(T0).toISOString() } : {}),
    },
    spec: { hostname: name, subdomain: 'web', containers: [{ name: 'app', image: 'busybox:1' }] },
    status: {
      phase,
      ...(shape.reason ? { reason: shape.reason } : {}),
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(shape.readyAt ?? T0 - 3_600_000).toISOString() }],
    },
  };
}

/**
 * What a controller observes: `pods` the set controls (those owned by its uid), every member
 * name in the namespace (`strangers` too: pods of that name it does not control), its
 * revisions (default: its template's as revision 1), no claims, expectations met.
 */
export function facts(set: KubeObject, pods: KubeObject[], extra: Partial<StatefulSetFacts> & { strangers?: KubeObject[] } = {}): StatefulSetFacts {
  const { strangers = [], ...rest } = extra;
  const owned = pods.filter((p) => p.metadata?.ownerReferences?.[0]?.uid === set.metadata?.uid);
  return {
    set,
    pods: owned,
    podNames: [...pods, ...strangers].map((p) => p.metadata?.name ?? ''),
    claims: [],
    revisions: [revisionOf(set)],
    now: T0,
    expectationsMet: true,
    ...rest,
  };
}
