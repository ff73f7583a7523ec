/** VolumeBinding's PreFilter and Filter as pure functions over a fake storage lookup. */
import { describe, expect, it } from 'vitest';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { node } from '../test-fixtures.ts';
import { ERR_BIND_CONFLICT, ERR_NODE_CONFLICT, ERR_PV_NOT_EXIST, ERR_UNBOUND_IMMEDIATE, planForNode, podClaims, type StorageLookup } from './volume-binding.ts';

const affinity = (n: string) => ({ required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [n] }] }] } });

function claimOf(name: string, spec: JsonObject = {}, annotations: Record<string, string> = {}): KubeObject {
  return { metadata: { name, namespace: 'default', uid: `uid-${name}`, annotations }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec } };
}
function volumeOf(name: string, spec: JsonObject = {}, phase = 'Available'): KubeObject {
  return { metadata: { name, uid: `uid-${name}` }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], ...spec }, status: { phase } };
}
const wffc = (name: string, provisioner: string, extra: JsonObject = {}): KubeObject => ({ metadata: { name }, provisioner, volumeBindingMode: 'WaitForFirstConsumer', ...extra });
const pod = (...claims: string[]): KubeObject => ({ metadata: { name: 'p', namespace: 'default' }, spec: { volumes: claims.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })) } });

function lookup(claims: KubeObject[], volumes: KubeObject[], classes: KubeObject[], assumed = new Map<string, string>()): StorageLookup {
  return {
    claim: (_ns, name) => claims.find((c) => c.metadata?.name === name),
    volume: (name) => volumes.find((v) => v.metadata?.name === name),
    volumes: () => volumes,
    storageClass: (name) => classes.find((c) => c.metadata?.name === name),
    assumed: () => assumed,
  };
}

const BOUND = { 'pv.kubernetes.io/bind-completed': 'yes' };

describe('VolumeBinding PreFilter (podClaims)', () => {
  it('sorts bound and waiting claims, and refuses missing, deleting and unbound Immediate ones', () => {
    const l = lookup(
      [claimOf('b', { volumeName: 'pv' }, BOUND), claimOf('w', { storageClassName: 'wait' }), claimOf('i', { storageClassName: 'now' }), { ...claimOf('d'), metadata: { ...claimOf('d').metadata, deletionTimestamp: 'x' } }],
      [volumeOf('pv')],
      [wffc('wait', 'kactus.io/local-path'), { metadata: { name: 'now' }, provisioner: 'x', volumeBindingMode: 'Immediate' }],
    );
    const ok = podClaims(pod('b', 'w'), l);
    expect('claims' in ok && ok.claims.bound.map((b) => b.volume?.metadata?.name)).toEqual(['pv']);
    expect('claims' in ok && ok.claims.delayed.map((d) => d.claim.metadata?.name)).toEqual(['w']);
    expect(podClaims(pod('i'), l)).toEqual({ unschedulable: ERR_UNBOUND_IMMEDIATE });
    expect(podClaims(pod('gone'), l)).toEqual({ unschedulable: 'persistentvolumeclaim "gone" not found' });
    expect(podClaims(pod('d'), l)).toEqual({ unschedulable: 'persistentvolumeclaim "d" is being deleted' });
  });
});

describe('VolumeBinding Filter (planForNode)', () => {
  const n1 = node({ name: 'n1', labels: { zone: 'a' } });
  const n2 = node({ name: 'n2', labels: { zone: 'b' } });
  const plan = (l: StorageLookup, p: KubeObject, n: KubeObject) => {
    const claims = podClaims(p, l);
    if (!('claims' in claims)) throw new Error(claims.unschedulable);
    return planForNode(claims.claims, n, l);
  };

  it('a bound claim admits only the nodes its volume may be on, and none when the volume is gone', () => {
    const l = lookup([claimOf('b', { volumeName: 'pv' }, BOUND), claimOf('x', { volumeName: 'lost' }, BOUND)], [volumeOf('pv', { nodeAffinity: affinity('n2') }, 'Bound')], []);
    expect(plan(l, pod('b'), n1)).toEqual({ reasons: [ERR_NODE_CONFLICT] });
    expect(plan(l, pod('b'), n2)).toEqual({ plan: { bindings: [], provisions: [], waitFor: [] } });
    expect(plan(l, pod('x'), n2)).toEqual({ reasons: [ERR_PV_NOT_EXIST] });
  });

  it('a waiting claim takes the smallest Available volume that fits the node, not one assumed for another claim, else provisions', () => {
    const cls = wffc('local', 'kubernetes.io/no-provisioner');
    const vols = [volumeOf('a-big', { storageClassName: 'local', capacity: { storage: '5Gi' }, nodeAffinity: affinity('n1') }), volumeOf('a-small', { storageClassName: 'local', nodeAffinity: affinity('n1') })];
    const l = lookup([claimOf('w', { storageClassName: 'local' })], vols, [cls]);
    const onN1 = plan(l, pod('w'), n1);
    expect('plan' in onN1 && onN1.plan.bindings.map((b) => b.volume.metadata?.name)).toEqual(['a-small']);
    expect(plan(l, pod('w'), n2)).toEqual({ reasons: [ERR_BIND_CONFLICT] });
    const taken = lookup([claimOf('w', { storageClassName: 'local' })], vols, [cls], new Map([['a-small', 'uid-other']]));
    const next = plan(taken, pod('w'), n1);
    expect('plan' in next && next.plan.bindings.map((b) => b.volume.metadata?.name)).toEqual(['a-big']);
    // A provisioner, limited to zone a by allowedTopologies.
    const zoned = wffc('zoned', 'kactus.io/local-path', { allowedTopologies: [{ matchLabelExpressions: [{ key: 'zone', values: ['a'] }] }] });
    const lz = lookup([claimOf('z', { storageClassName: 'zoned' })], [], [zoned]);
    const provisioned = plan(lz, pod('z'), n1);
    expect('plan' in provisioned && provisioned.plan.provisions.map((c) => c.metadata?.name)).toEqual(['z']);
    expect(plan(lz, pod('z'), n2)).toEqual({ reasons: [ERR_BIND_CONFLICT] });
  });

  it('a volume already reserved for the claim (provisioned, not yet ready) decides the node, with nothing to write', () => {
    const claim = claimOf('w', { storageClassName: 'local-path' });
    const provisioned = volumeOf('pvc-uid-w', { storageClassName: 'local-path', nodeAffinity: affinity('n1'), claimRef: { namespace: 'default', name: 'w', uid: 'uid-w' } }, 'Pending');
    const l = lookup([claim], [provisioned], [wffc('local-path', 'kactus.io/local-path')]);
    expect(plan(l, pod('w'), n2)).toEqual({ reasons: [ERR_NODE_CONFLICT] });
    const onN1 = plan(l, pod('w'), n1);
    expect('plan' in onN1 && onN1.plan).toMatchObject({ bindings: [], provisions: [], waitFor: [claim] });
  });
});
