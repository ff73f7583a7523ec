/**
 * `kactus describe pvc|pv|sc` against what kubectl 1.32 printed for the same objects served by
 * kactus (captured from `kubectl describe` on a `kactus up` cluster; test/e2e/storage.test.ts
 * checks the real kubectl's lines).
 */
import { describe, expect, it } from 'vitest';
import { describeObject } from './index.ts';

const now = new Date('2026-01-01T00:00:10Z');
const created = '2026-01-01T00:00:00Z';
const PV = 'pvc-0d9352ff-ff47-49b0-b06f-b1e999c4ebd5';

const claim = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: {
    name: 'data',
    namespace: 'default',
    uid: 'c1',
    creationTimestamp: created,
    finalizers: ['kubernetes.io/pvc-protection'],
    annotations: {
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
      'volume.beta.kubernetes.io/storage-provisioner': 'kactus.io/local-path',
      'volume.kubernetes.io/selected-node': 'manualpv',
      'volume.kubernetes.io/storage-provisioner': 'kactus.io/local-path',
    },
  },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } }, storageClassName: 'local-path', volumeMode: 'Filesystem', volumeName: PV },
  status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '64Mi' } },
};

const volume = {
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name: PV, uid: 'v1', creationTimestamp: created, finalizers: ['kubernetes.io/pv-protection', 'kactus.io/local-volume'], annotations: { 'pv.kubernetes.io/provisioned-by': 'kactus.io/local-path' } },
  spec: {
    capacity: { storage: '64Mi' },
    accessModes: ['ReadWriteOnce'],
    persistentVolumeReclaimPolicy: 'Delete',
    storageClassName: 'local-path',
    volumeMode: 'Filesystem',
    claimRef: { kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data', uid: 'c1' },
    local: { path: `/tmp/tmp.J0Icx1r8GS/node/volumes/${PV}` },
    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['manualpv'] }] }] } },
  },
  status: { phase: 'Bound' },
};

const event = (reason: string, message: string, component: string) => ({
  type: 'Normal',
  reason,
  message,
  count: 1,
  source: { component },
  involvedObject: { kind: 'PersistentVolumeClaim', name: 'data', namespace: 'default', uid: 'c1' },
  firstTimestamp: '2026-01-01T00:00:06Z',
  lastTimestamp: '2026-01-01T00:00:06Z',
});

describe('storage describers', () => {
  it('describes a bound claim as kubectl does', () => {
    const writer = { metadata: { name: 'writer', namespace: 'default' }, spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] } };
    const other = { metadata: { name: 'other', namespace: 'default' }, spec: { volumes: [{ name: 'x', emptyDir: {} }] } };
    const events = [
      event('WaitForFirstConsumer', 'waiting for first consumer to be created before binding', 'persistentvolume-controller'),
      event('ProvisioningSucceeded', `Successfully provisioned volume ${PV}`, 'kactus.io/local-path'),
    ];
    expect(describeObject(claim, events, now, { pods: [writer, other] })).toBe(
      [
        'Name:          data',
        'Namespace:     default',
        'StorageClass:  local-path',
        'Status:        Bound',
        `Volume:        ${PV}`,
        'Labels:        <none>',
        'Annotations:   pv.kubernetes.io/bind-completed: yes',
        '               pv.kubernetes.io/bound-by-controller: yes',
        '               volume.beta.kubernetes.io/storage-provisioner: kactus.io/local-path',
        '               volume.kubernetes.io/selected-node: manualpv',
        '               volume.kubernetes.io/storage-provisioner: kactus.io/local-path',
        'Finalizers:    [kubernetes.io/pvc-protection]',
        'Capacity:      64Mi',
        'Access Modes:  RWO',
        'VolumeMode:    Filesystem',
        'Used By:       writer',
        'Events:',
        '  Type    Reason                 Age   From                         Message',
        '  ----    ------                 ----  ----                         -------',
        '  Normal  WaitForFirstConsumer   4s    persistentvolume-controller  waiting for first consumer to be created before binding',
        `  Normal  ProvisioningSucceeded  4s    kactus.io/local-path         Successfully provisioned volume ${PV}`,
        '',
      ].join('\n'),
    );
  });

  it('describes a local volume as kubectl does', () => {
    expect(describeObject(volume, [], now)).toBe(
      [
        `Name:              ${PV}`,
        'Labels:            <none>',
        'Annotations:       pv.kubernetes.io/provisioned-by: kactus.io/local-path',
        'Finalizers:        [kubernetes.io/pv-protection kactus.io/local-volume]',
        'StorageClass:      local-path',
        'Status:            Bound',
        'Claim:             default/data',
        'Reclaim Policy:    Delete',
        'Access Modes:      RWO',
        'VolumeMode:        Filesystem',
        'Capacity:          64Mi',
        'Node Affinity:',
        '  Required Terms:',
        '    Term 0:        kubernetes.io/hostname in [manualpv]',
        'Message:',
        'Source:',
        '    Type:  LocalVolume (a persistent volume backed by local storage on a node)',
        `    Path:  /tmp/tmp.J0Icx1r8GS/node/volumes/${PV}`,
        'Events:    <none>',
        '',
      ].join('\n'),
    );
  });

  it('describes the default StorageClass, and a claim being deleted', () => {
    const sc = {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'local-path', creationTimestamp: created, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'kactus.io/local-path',
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
    };
    expect(describeObject(sc, [], now)).toBe(
      [
        'Name:                  local-path',
        'IsDefaultClass:        Yes',
        'Annotations:           storageclass.kubernetes.io/is-default-class=true',
        'Provisioner:           kactus.io/local-path',
        'Parameters:            <none>',
        'AllowVolumeExpansion:  <unset>',
        'MountOptions:          <none>',
        'ReclaimPolicy:         Delete',
        'VolumeBindingMode:     WaitForFirstConsumer',
        'Events:                <none>',
        '',
      ].join('\n'),
    );
    const deleting = { ...claim, metadata: { ...claim.metadata, deletionTimestamp: '2026-01-01T00:00:05Z' } };
    expect(describeObject(deleting, [], now)).toContain('Status:        Terminating (lasts 5s)\n');
    expect(describeObject(deleting, [], now)).toContain('Used By:       <none>\n');
  });
});
