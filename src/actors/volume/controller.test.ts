/**
 * The PersistentVolume controller against a real Registry on the embedded store: static binding
 * (smallest fit, access modes, selector, volumeName, claimRef), WaitForFirstConsumer with the
 * local provisioner (the scheduler's annotation and the node's finalizer played by the test),
 * reclaim with Delete and Retain, protection finalizers, a lost claim, and failure Events.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { optionalRecord, type KubeObject } from '../../api/object.ts';
import { ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_DYNAMICALLY_PROVISIONED, ANN_STORAGE_PROVISIONER } from '../../api/storage/names.ts';
import { ensureDefaultStorageClass } from './default-class.ts';
import { NS, PODS_INFO, PVCS, PVS, storageFixture, waitFor, type StorageFixture } from './test-support.ts';

let f: StorageFixture;
afterEach(async () => {
  await f?.close();
});

const phaseOf = (obj: KubeObject | undefined): unknown => optionalRecord(obj ?? {}, 'status')?.phase;
const spec = (obj: KubeObject | undefined) => optionalRecord(obj ?? {}, 'spec') ?? {};

async function claimPhase(name: string, phase: string): Promise<KubeObject> {
  return waitFor(`claim ${name} ${phase}`, async () => {
    const c = await f.getClaim(name);
    return phaseOf(c) === phase ? c : undefined;
  });
}

async function volumePhase(name: string, phase: string): Promise<KubeObject> {
  return waitFor(`volume ${name} ${phase}`, async () => {
    const v = await f.getVolume(name);
    return phaseOf(v) === phase ? v : undefined;
  });
}

describe('PersistentVolumeController: binding', () => {
  it('binds a claim to the smallest volume that fits, with the annotations, claimRef and status Kubernetes writes', async () => {
    f = await storageFixture();
    await f.volume('big', { capacity: { storage: '10Gi' }, storageClassName: 'manual' });
    await f.volume('small', { capacity: { storage: '2Gi' }, storageClassName: 'manual' });
    await f.volume('tiny', { capacity: { storage: '512Mi' }, storageClassName: 'manual' });
    await f.volume('rwx', { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteMany'], storageClassName: 'manual' });
    await f.volume('other-class', { capacity: { storage: '1Gi' }, storageClassName: 'slow' });
    const made = await f.claim('data', { storageClassName: 'manual', resources: { requests: { storage: '1Gi' } } });

    const claim = await claimPhase('data', 'Bound');
    expect(spec(claim).volumeName).toBe('small');
    expect(claim.metadata?.annotations).toMatchObject({ [ANN_BIND_COMPLETED]: 'yes', [ANN_BOUND_BY_CONTROLLER]: 'yes' });
    expect(claim.status).toMatchObject({ phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '2Gi' } });
    expect(claim.metadata?.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    const volume = await volumePhase('small', 'Bound');
    expect(spec(volume).claimRef).toMatchObject({ kind: 'PersistentVolumeClaim', namespace: NS, name: 'data', uid: made.metadata?.uid, apiVersion: 'v1' });
    expect(volume.metadata?.annotations).toMatchObject({ [ANN_BOUND_BY_CONTROLLER]: 'yes' });
    expect(volume.metadata?.finalizers).toEqual(['kubernetes.io/pv-protection']);
    for (const name of ['big', 'tiny', 'rwx', 'other-class']) await volumePhase(name, 'Available');
    expect(f.controller.claimState(NS, 'data')).toContain('phase.bound');
  });

  it('honours the claim selector, and a volume named by spec.volumeName (bound once it exists)', async () => {
    f = await storageFixture();
    await f.volume('fast', { storageClassName: '' }, { labels: { speed: 'fast' } });
    await f.volume('slow', { storageClassName: '' }, { labels: { speed: 'slow' } });
    await f.claim('picky', { storageClassName: '', selector: { matchLabels: { speed: 'slow' } } });
    expect(spec(await claimPhase('picky', 'Bound')).volumeName).toBe('slow');

    await f.claim('named', { storageClassName: '', volumeName: 'later' });
    await claimPhase('named', 'Pending');
    await f.volume('later', { storageClassName: '' });
    const claim = await claimPhase('named', 'Bound');
    // The user named it: the binder did not choose the volume, so no bound-by-controller on the claim.
    expect(claim.metadata?.annotations?.[ANN_BOUND_BY_CONTROLLER]).toBeUndefined();
    expect((await volumePhase('later', 'Bound')).metadata?.annotations?.[ANN_BOUND_BY_CONTROLLER]).toBe('yes');
  });

  it('binds a volume pre-bound by claimRef to its claim only, and says why a named volume does not fit', async () => {
    f = await storageFixture();
    await f.volume('reserved', { storageClassName: '', claimRef: { namespace: NS, name: 'mine' } });
    await f.claim('other', { storageClassName: '' });
    await f.claim('mine', { storageClassName: '' });
    expect(spec(await claimPhase('mine', 'Bound')).volumeName).toBe('reserved');
    expect(phaseOf(await f.getClaim('other'))).toBe('Pending');

    await f.volume('small', { storageClassName: '', capacity: { storage: '100Mi' } });
    await f.claim('too-big', { storageClassName: '', volumeName: 'small' });
    await waitFor('VolumeMismatch', () => f.events.recorded.find((e) => e.ref.name === 'too-big' && e.reason === 'VolumeMismatch'));
    expect(f.events.recorded.find((e) => e.reason === 'VolumeMismatch')?.message).toBe('Cannot bind to requested volume "small": requested PV is too small');
    expect(phaseOf(await f.getClaim('too-big'))).toBe('Pending');
  });

  it('gives a claim with no class the default class, and tells a claim with no class and no volume', async () => {
    f = await storageFixture();
    await f.claim('nothing', { storageClassName: '' });
    await waitFor('FailedBinding', () => f.reasons('nothing').includes('FailedBinding'));
    await ensureDefaultStorageClass(f.registry);
    await f.claim('defaulted', {});
    await waitFor('default class', async () => spec(await f.getClaim('defaulted')).storageClassName === 'local-path');
    await waitFor('WaitForFirstConsumer', () => f.reasons('defaulted').includes('WaitForFirstConsumer'));
    expect(f.events.recorded.find((e) => e.reason === 'WaitForFirstConsumer')?.message).toBe('waiting for first consumer to be created before binding');
    await f.claim('missing-class', { storageClassName: 'gold' });
    await waitFor('ProvisioningFailed', () => f.events.recorded.find((e) => e.ref.name === 'missing-class' && e.message === 'storageclass.storage.k8s.io "gold" not found'));
  });
});

describe('PersistentVolumeController: the local provisioner', () => {
  it('provisions on the selected node, binds once the node holds the directory, and deletes the volume with its claim', async () => {
    f = await storageFixture();
    await ensureDefaultStorageClass(f.registry);
    await f.node('n1', '/var/lib/kactus/volumes');
    const made = await f.claim('data', { resources: { requests: { storage: '2Gi' } } });
    const pvName = `pvc-${made.metadata?.uid}`;
    await waitFor('WaitForFirstConsumer', () => f.reasons('data').includes('WaitForFirstConsumer'));
    await f.selectNode('data', 'n1');

    const volume = await waitFor('provisioned volume', () => f.getVolume(pvName));
    expect(volume.metadata?.annotations).toMatchObject({ [ANN_DYNAMICALLY_PROVISIONED]: 'kactus.io/local-path' });
    expect(volume.spec).toMatchObject({
      capacity: { storage: '2Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'local-path',
      volumeMode: 'Filesystem',
      claimRef: { namespace: NS, name: 'data', uid: made.metadata?.uid },
      local: { path: `/var/lib/kactus/volumes/${pvName}` },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } },
    });
    const claim = await waitFor('provisioner annotation', async () => {
      const c = await f.getClaim('data');
      return c?.metadata?.annotations?.[ANN_STORAGE_PROVISIONER] === 'kactus.io/local-path' ? c : undefined;
    });
    expect(claim.metadata?.annotations?.['volume.beta.kubernetes.io/storage-provisioner']).toBe('kactus.io/local-path');
    await waitFor('provisioning events', () => ['ExternalProvisioning', 'Provisioning', 'ProvisioningSucceeded'].every((r) => f.reasons('data').includes(r)));
    expect(f.events.recorded.find((e) => e.reason === 'ProvisioningSucceeded')?.message).toBe(`Successfully provisioned volume ${pvName}`);
    expect(f.events.recorded.find((e) => e.reason === 'Provisioning')?.message).toBe('External provisioner is provisioning volume for claim "default/data"');

    // Not bound before the node says the directory exists.
    await f.controller.resync();
    await waitFor('idle', () => f.controller.idle());
    expect(phaseOf(await f.getClaim('data'))).toBe('Pending');
    await f.nodeFinalizer(pvName, true);
    expect(spec(await claimPhase('data', 'Bound')).volumeName).toBe(pvName);
    await volumePhase(pvName, 'Bound');

    // The claim goes: the volume is Released, then deleted; the node's finalizer holds it until the directory is gone.
    await f.registry.delete(PVCS, NS, 'data');
    await waitFor('claim gone', async () => (await f.getClaim('data')) === undefined);
    const deleting = await waitFor('volume deleting', async () => {
      const v = await f.getVolume(pvName);
      return v?.metadata?.deletionTimestamp && phaseOf(v) === 'Released' && !v.metadata.finalizers?.includes('kubernetes.io/pv-protection') ? v : undefined;
    });
    expect(deleting.metadata?.finalizers).toEqual(['kactus.io/local-volume']);
    await f.nodeFinalizer(pvName, false);
    await waitFor('volume gone', async () => (await f.getVolume(pvName)) === undefined);
  });

  it('keeps a Retain volume Released, and fails a Delete volume no provisioner made', async () => {
    f = await storageFixture();
    await f.volume('keep', { storageClassName: '', persistentVolumeReclaimPolicy: 'Retain' });
    await f.claim('a', { storageClassName: '', volumeName: 'keep' });
    await claimPhase('a', 'Bound');
    await f.registry.delete(PVCS, NS, 'a');
    await volumePhase('keep', 'Released');
    expect((await f.getVolume('keep'))?.metadata?.deletionTimestamp).toBeUndefined();

    await f.volume('static', { storageClassName: '', persistentVolumeReclaimPolicy: 'Delete' });
    await f.claim('b', { storageClassName: '', volumeName: 'static' });
    await claimPhase('b', 'Bound');
    await f.registry.delete(PVCS, NS, 'b');
    const failed = await volumePhase('static', 'Failed');
    expect(failed.status).toMatchObject({ message: 'error getting deleter volume plugin for volume "static": no deletable volume plugin matched' });
    await waitFor('VolumeFailedDelete', () => f.reasons('static').includes('VolumeFailedDelete'));
    expect(f.reasons('static').filter((r) => r === 'VolumeFailedDelete')).toHaveLength(1);
  });
});

describe('PersistentVolumeController: protection and loss', () => {
  it('keeps a claim a scheduled pod uses until the pod is gone', async () => {
    f = await storageFixture();
    await f.volume('pv', { storageClassName: '' });
    await f.claim('used', { storageClassName: '' });
    await claimPhase('used', 'Bound');
    await f.pod('user', ['used'], 'n1');
    await f.registry.delete(PVCS, NS, 'used');
    await waitFor('terminating', async () => (await f.getClaim('used'))?.metadata?.deletionTimestamp);
    await f.controller.resync();
    await waitFor('idle', () => f.controller.idle());
    expect((await f.getClaim('used'))?.metadata?.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    // A bound volume is protected too.
    await f.registry.delete(PVS, undefined, 'pv');
    await f.registry.delete(PODS_INFO, NS, 'user', { gracePeriodSeconds: 0 });
    await waitFor('claim gone', async () => (await f.getClaim('used')) === undefined);
    // Released (Retain) now: pv-protection lets it go.
    await waitFor('volume gone', async () => (await f.getVolume('pv')) === undefined);
  });

  it('marks a bound claim Lost when its volume is gone', async () => {
    f = await storageFixture();
    await f.volume('pv', { storageClassName: '' });
    await f.claim('c', { storageClassName: '' });
    await claimPhase('c', 'Bound');
    // Force the volume out (as an admin removing its finalizer would).
    await f.registry.delete(PVS, undefined, 'pv');
    const v = await f.getVolume('pv');
    await f.registry.update(PVS, undefined, 'pv', { ...v, metadata: { ...v?.metadata, finalizers: [] } });
    const lost = await claimPhase('c', 'Lost');
    expect(lost.status).toEqual({ phase: 'Lost' });
    await waitFor('ClaimLost', () => f.reasons('c').includes('ClaimLost'));
    expect(f.events.recorded.find((e) => e.reason === 'ClaimLost')?.message).toBe('Bound claim has lost its PersistentVolume. Data on the volume is lost!');
  });
});
