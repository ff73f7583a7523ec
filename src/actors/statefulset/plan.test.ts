/**
 * Hand-derived tables for the pure parts: Kubernetes' walk (planStatefulSet), the claim owner
 * references of each retention policy, pod identity, and the status with completeRollingUpdate.
 */
import { describe, expect, it } from 'vitest';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { claimsFor, identityMatches, newStatefulSetPod, parentAndOrdinal } from './identity.ts';
import { facts, member, revisionName, web, type MemberShape, type SetShape } from './machine-fixtures.ts';
import { planStatefulSet } from './plan.ts';
import { claimOwnerRefsFor, podClaimIsStale } from './retention.ts';
import { calculateStatus } from './status.ts';
import { T0 } from './machine-fixtures.ts';

const OLD = 'web-old';

/** The plan for `shape` over pods given as `[ordinal, shape]`, in words: `kind:name` per item. */
function planOf(shape: SetShape, pods: [number, MemberShape?][], claims: KubeObject[] = []): { work: string[]; held?: string } {
  const set = web(shape);
  const f = facts(set, pods.map(([o, s]) => member(set, o, s)), { claims });
  const update = { name: revisionName(set), template: {} };
  const current = { name: shape.status?.currentRevision === OLD ? OLD : update.name, template: {} };
  const plan = planStatefulSet({ set, pods: f.pods, claims: new Map(claims.map((c) => [c.metadata?.name ?? '', c])), current, update, now: T0 });
  const work = [
    ...plan.replaceFailed.map((p) => `replace:${p.metadata?.name}`),
    ...plan.create.map((p) => `create:web-${p.ordinal}@${p.revision === OLD ? 'old' : 'new'}`),
    ...plan.repair.map((r) => `repair:${r.pod.metadata?.name}`),
    ...plan.condemn.map((p) => `condemn:${p.metadata?.name}`),
    ...plan.update.map((p) => `update:${p.metadata?.name}`),
  ];
  return plan.heldAt ? { work, held: `${plan.heldAt.reason}@${plan.heldAt.ordinal}` } : { work };
}

const old: MemberShape = { revision: OLD };
const rolling = (extra: JsonObject = {}): SetShape => ({ image: 'busybox:2', status: { replicas: 3, currentRevision: OLD }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, ...extra } } });

describe('planStatefulSet (Kubernetes updateStatefulSet)', () => {
  it.each<[string, SetShape, [number, MemberShape?][], { work: string[]; held?: string }]>([
    ['empty, OrderedReady: web-0 only', {}, [], { work: ['create:web-0@new'], held: 'creating@0' }],
    ['empty, Parallel: all', { parallel: true }, [], { work: ['create:web-0@new', 'create:web-1@new', 'create:web-2@new'] }],
    ['web-0 not ready holds web-1', {}, [[0, { ready: false }]], { work: [], held: 'notReady@0' }],
    ['web-0 terminating holds', {}, [[0, { terminating: true }]], { work: [], held: 'terminating@0' }],
    ['web-0 ready: web-1 next', {}, [[0]], { work: ['create:web-1@new'], held: 'creating@1' }],
    ['a gap is filled first', {}, [[0], [2]], { work: ['create:web-1@new'], held: 'creating@1' }],
    ['a failed pod is replaced, nothing after it', {}, [[0], [1, { phase: 'Failed' }]], { work: ['replace:web-1'], held: 'replacing@1' }],
    ['a failed pod terminating is waited for', {}, [[0], [1, { phase: 'Failed', terminating: true }]], { work: [], held: 'replacing@1' }],
    ['Parallel replaces and creates past a failure', { parallel: true }, [[0, { phase: 'Failed' }]], { work: ['replace:web-0', 'create:web-1@new', 'create:web-2@new'] }],
    ['scale down: the highest, alone', { replicas: 1 }, [[0], [1], [2]], { work: ['condemn:web-2'] }],
    ['scale down waits for a terminating one', { replicas: 1 }, [[0], [1], [2, { terminating: true }]], { work: [], held: 'condemnedTerminating@2' }],
    ['scale down removes the first unhealthy one', { replicas: 1 }, [[0], [1], [2, { ready: false }]], { work: ['condemn:web-2'] }],
    ['scale down blocks on an unhealthy one below', { replicas: 1 }, [[0], [1, { ready: false }], [2, { ready: false }]], { work: [], held: 'condemnedUnhealthy@2' }],
    ['scale down waits for the kept pods', { replicas: 1 }, [[0, { ready: false }], [1]], { work: [], held: 'notReady@0' }],
    ['Parallel scale down: all at once', { replicas: 1, parallel: true }, [[0], [1, { ready: false }], [2]], { work: ['condemn:web-2', 'condemn:web-1'] }],
    ['rolling update: the highest old pod', rolling(), [[0, old], [1, old], [2, old]], { work: ['update:web-2'] }],
    ['rolling update: waits for an unhealthy pod', rolling(), [[0, old], [1, old], [2, { ready: false }]], { work: [], held: 'notReady@2' }],
    ['rolling update: maxUnavailable 2', rolling({ maxUnavailable: 2 }), [[0, old], [1, old], [2, old]], { work: ['update:web-2', 'update:web-1'] }],
    ['rolling update: 50% of 3 rounds down to 1', rolling({ maxUnavailable: '50%' }), [[0, old], [1, old], [2, old]], { work: ['update:web-2'] }],
    ['partition 2: only web-2', rolling({ partition: 2 }), [[0, old], [1, old], [2, old]], { work: ['update:web-2'] }],
    ['partition 2: done', rolling({ partition: 2 }), [[0, old], [1, old], [2]], { work: [] }],
    ['partition 2: below it a pod is made at the old revision', rolling({ partition: 2 }), [[1, old], [2]], { work: ['create:web-0@old'], held: 'creating@0' }],
    ['OnDelete: nothing rolls', { ...rolling(), updateStrategy: { type: 'OnDelete' } }, [[0, old], [1, old], [2, old]], { work: [] }],
    ['ordinals.start 3: web-3 first', { start: 3 }, [], { work: ['create:web-3@new'], held: 'creating@3' }],
    ['ordinals.start 1: web-0 is condemned', { start: 1, replicas: 2 }, [[0], [1], [2]], { work: ['condemn:web-0'] }],
  ])('%s', (_what, shape, pods, expected) => {
    expect(planOf(shape, pods)).toEqual(expected);
  });

  it('creates the claims a new pod lacks with it, holds while one of its claims is being deleted', () => {
    const set = web({ claims: ['data'] });
    const [claim] = claimsFor(set, 1);
    expect(planOf({ claims: ['data'] }, [[0]], claimsFor(set, 0)).work).toEqual(['create:web-1@new']);
    const deleting = { ...claim!, metadata: { ...claim!.metadata, deletionTimestamp: new Date(T0).toISOString() } };
    expect(planOf({ claims: ['data'] }, [[0]], [claimsFor(set, 0)[0]!, deleting])).toEqual({ work: [], held: 'claimDeleting@1' });
  });
});

describe('claim owner references by retention policy (Kubernetes isClaimOwnerUpToDate / updateClaimOwnerRefForSetAndPod)', () => {
  const set = web({ replicas: 2, claims: ['data'] });
  const pod = (ordinal: number): KubeObject => member(set, ordinal);
  const claim = (ordinal: number, refs: JsonObject[] = []): KubeObject => {
    const c = claimsFor(set, ordinal)[0]!;
    return { ...c, metadata: { ...c.metadata, uid: `c${ordinal}`, ...(refs.length ? { ownerReferences: refs } : {}) } };
  };
  const withPolicy = (whenDeleted: string, whenScaled: string): KubeObject => ({ ...set, spec: { ...(set.spec as JsonObject), persistentVolumeClaimRetentionPolicy: { whenDeleted, whenScaled } } });
  const owners = (refs: JsonObject[] | undefined): string[] | undefined => refs?.map((r) => `${String(r.kind)}/${String(r.name)}`);

  it.each([
    ['Retain', 'Retain', 1, []],
    ['Retain', 'Retain', 2, []],
    ['Delete', 'Retain', 1, ['StatefulSet/web']],
    ['Delete', 'Retain', 2, ['StatefulSet/web']],
    ['Retain', 'Delete', 1, []],
    ['Retain', 'Delete', 2, ['Pod/web-2']],
    ['Delete', 'Delete', 1, ['StatefulSet/web']],
    ['Delete', 'Delete', 2, ['Pod/web-2']],
  ])('whenDeleted %s, whenScaled %s: the claim of web-%i is owned by %j', (whenDeleted, whenScaled, ordinal, expected) => {
    const s = withPolicy(whenDeleted as string, whenScaled as string);
    const wanted = claimOwnerRefsFor(s, claim(ordinal as number), ordinal as number, pod(ordinal as number));
    expect(owners(wanted) ?? []).toEqual(expected);
    // Once it carries them, nothing more to do.
    if (wanted) expect(claimOwnerRefsFor(s, claim(ordinal as number, wanted), ordinal as number, pod(ordinal as number))).toBeUndefined();
  });

  it('leaves a claim alone that names an earlier set of this name, and another controller keeps its claim', () => {
    const s = withPolicy('Delete', 'Delete');
    expect(claimOwnerRefsFor(s, claim(0, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'earlier', controller: true }]), 0, pod(0))).toBeUndefined();
    const foreign = { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'x', controller: true };
    expect(claimOwnerRefsFor(s, claim(0, [foreign]), 0, pod(0))).toBeUndefined();
    // This set's reference beside another controller is removed, none added.
    const ours = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: s.metadata?.uid, controller: true };
    expect(owners(claimOwnerRefsFor(s, claim(0, [foreign, ours]), 0, pod(0)))).toEqual(['ConfigMap/x']);
  });

  it('a claim still owned by an earlier pod of the name is stale while whenScaled is Delete', () => {
    const s = withPolicy('Retain', 'Delete');
    const claims = new Map([['data-web-1', claim(1, [{ apiVersion: 'v1', kind: 'Pod', name: 'web-1', uid: 'gone', controller: true }])]]);
    expect(podClaimIsStale(s, 1, claims)).toBe(true);
    expect(podClaimIsStale(withPolicy('Retain', 'Retain'), 1, claims)).toBe(false);
  });
});

describe('pod identity', () => {
  it.each([
    ['web-0', 'web', 0],
    ['web-12', 'web', 12],
    ['my-db-3', 'my-db', 3],
    ['web', '', -1],
    ['web-x', '', -1],
  ])('%s is member %s/%i', (name, parent, ordinal) => {
    expect(parentAndOrdinal(name as string)).toEqual({ parent, ordinal });
  });

  it('builds a member from the template: name, labels, hostname, subdomain, claim volumes in place of a same-named volume', () => {
    const set = web({ claims: ['data'] });
    const template = { metadata: { labels: { app: 'web' }, annotations: { a: 'b' } }, spec: { containers: [{ name: 'app', image: 'x' }], volumes: [{ name: 'data', emptyDir: {} }, { name: 'tmp', emptyDir: {} }] } };
    const pod = newStatefulSetPod(set, template, 2, 'web-rev');
    expect(pod.metadata).toMatchObject({
      name: 'web-2',
      namespace: 'default',
      labels: { app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-2', 'apps.kubernetes.io/pod-index': '2', 'controller-revision-hash': 'web-rev' },
      annotations: { a: 'b' },
      ownerReferences: [expect.objectContaining({ kind: 'StatefulSet', name: 'web', controller: true, blockOwnerDeletion: true })],
    });
    expect(pod.spec).toMatchObject({
      hostname: 'web-2',
      subdomain: 'web',
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: 'data-web-2' } },
        { name: 'tmp', emptyDir: {} },
      ],
    });
    expect(identityMatches(set, pod)).toBe(true);
    expect(claimsFor(set, 2)[0]).toMatchObject({ metadata: { name: 'data-web-2', namespace: 'default', labels: { app: 'web' } }, spec: { accessModes: ['ReadWriteOnce'] } });
  });
});

describe('calculateStatus', () => {
  it('counts replicas, ready, available, current and updated; completes the rollout when every replica is updated and ready', () => {
    const set = web({ minReadySeconds: 10 });
    const pods = [member(set, 0), member(set, 1, { readyAt: T0 - 5000 }), member(set, 2, { revision: OLD, ready: false })];
    expect(calculateStatus({ set, pods, currentRevision: OLD, updateRevision: 'web-new', collisionCount: 0, now: T0 })).toMatchObject({
      replicas: 3,
      readyReplicas: 2,
      availableReplicas: 1,
      currentReplicas: 1,
      updatedReplicas: 0,
      currentRevision: OLD,
    });
    const done = [member(set, 0, { revision: 'web-new' }), member(set, 1, { revision: 'web-new' }), member(set, 2, { revision: 'web-new' })];
    expect(calculateStatus({ set, pods: done, currentRevision: OLD, updateRevision: 'web-new', collisionCount: 0, now: T0 })).toMatchObject({ currentRevision: 'web-new', currentReplicas: 3, updatedReplicas: 3 });
  });
});
