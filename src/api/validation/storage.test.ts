/** StorageClass defaults, validation and update rules; the PersistentVolumeClaim fields the binder may set once; the protection finalizers added at create. */
import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../defaults.ts';
import { fieldErrorString } from '../field.ts';
import { findResource } from '../kinds.ts';
import { prepareForCreate, prepareForUpdate } from '../metadata.ts';
import type { JsonObject, KubeObject } from '../object.ts';
import { validateObject, validateUpdate } from '../validation.ts';

const SCS = findResource('storage.k8s.io', 'v1', 'storageclasses')!;
const PVCS = findResource('', 'v1', 'persistentvolumeclaims')!;
const PVS = findResource('', 'v1', 'persistentvolumes')!;
const NOW = new Date('2024-05-01T00:00:00Z');

const storageClass = (fields: JsonObject): KubeObject =>
  prepareForCreate(SCS, applyDefaults(SCS, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, ...fields }), NOW);
const messages = async (info: typeof SCS, obj: KubeObject) => (await validateObject(info, obj, { strict: false })).map(fieldErrorString);
const updateMessages = (info: typeof SCS, o: KubeObject, n: KubeObject) => validateUpdate(info, o, prepareForUpdate(info, o, n)).map(fieldErrorString);

describe('StorageClass', () => {
  it('defaults reclaimPolicy Delete and volumeBindingMode Immediate', () => {
    expect(storageClass({ provisioner: 'kactus.io/local-path' })).toMatchObject({ reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
  });

  it.each<[string, JsonObject, string[]]>([
    ['a valid class', { provisioner: 'kactus.io/local-path' }, []],
    ['no provisioner', {}, ['provisioner: Required value']],
    ['Recycle', { provisioner: 'x.io/y', reclaimPolicy: 'Recycle' }, ['reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"']],
    ['an unknown binding mode', { provisioner: 'x.io/y', volumeBindingMode: 'Later' }, ['volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"']],
  ])('%s', async (_name, fields, expected) => {
    expect(await messages(SCS, storageClass(fields))).toEqual(expected);
  });

  it('forbids changing parameters, provisioner, reclaimPolicy and volumeBindingMode', () => {
    const old = { ...storageClass({ provisioner: 'a.io/b', parameters: { k: 'v' } }), metadata: { name: 'fast', uid: 'u', creationTimestamp: 'x', resourceVersion: '1' } };
    expect(updateMessages(SCS, old, { ...old, provisioner: 'c.io/d', parameters: {}, reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer' })).toEqual([
      'parameters: Forbidden: updates to parameters are forbidden.',
      'provisioner: Forbidden: updates to provisioner are forbidden.',
      'reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.',
      'volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable',
    ]);
    expect(updateMessages(SCS, old, { ...old, allowVolumeExpansion: true, metadata: { ...old.metadata, labels: { a: 'b' } } })).toEqual([]);
  });
});

describe('PersistentVolumeClaim and PersistentVolume', () => {
  const claim = (spec: JsonObject): KubeObject => ({
    ...prepareForCreate(PVCS, applyDefaults(PVCS, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: 'd' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec } }), NOW),
    metadata: { name: 'c', namespace: 'd', uid: 'u', creationTimestamp: 'x', resourceVersion: '1', finalizers: ['kubernetes.io/pvc-protection'] },
  });

  it('get their protection finalizer at create', () => {
    const pvc = prepareForCreate(PVCS, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: 'd', finalizers: ['mine'] }, spec: {} }, NOW);
    expect(pvc.metadata?.finalizers).toEqual(['mine', 'kubernetes.io/pvc-protection']);
    const pv = prepareForCreate(PVS, { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'v' }, spec: {} }, NOW);
    expect(pv.metadata?.finalizers).toEqual(['kubernetes.io/pv-protection']);
  });

  it('lets the binder set volumeName once and a class on a claim without one; nothing else changes', () => {
    const unbound = claim({});
    expect(updateMessages(PVCS, unbound, { ...unbound, spec: { ...unbound.spec as JsonObject, volumeName: 'pv1', storageClassName: 'local-path' } })).toEqual([]);
    const bound = claim({ volumeName: 'pv1', storageClassName: 'local-path' });
    const forbidden = ['spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'];
    expect(updateMessages(PVCS, bound, { ...bound, spec: { ...bound.spec as JsonObject, volumeName: 'pv2' } })).toEqual(forbidden);
    expect(updateMessages(PVCS, bound, { ...bound, spec: { ...bound.spec as JsonObject, storageClassName: 'other' } })).toEqual(forbidden);
    const empty = claim({ storageClassName: '' });
    expect(updateMessages(PVCS, empty, { ...empty, spec: { ...empty.spec as JsonObject, storageClassName: 'local-path' } })).toEqual(forbidden);
  });
});
