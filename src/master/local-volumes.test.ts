/**
 * A node's local volume reports applied through a real Registry: the node's finalizer goes on a
 * live volume of its own and off a deleted one, and a node cannot touch another node's volume, a
 * volume with another uid, or one the local provisioner did not make.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import type { KubeObject } from '../api/object.ts';
import { testCluster, type TestCluster } from '../registry/test-support.ts';
import { applyVolumeDirectoryReport } from './local-volumes.ts';

const PVS = findKind('v1', 'PersistentVolume') as ResourceInfo;
let c: TestCluster;
beforeEach(async () => {
  c = await testCluster();
});
afterEach(async () => {
  await c.close();
});

function volume(name: string, node: string, provisioner = 'kactus.io/local-path'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': provisioner } },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      local: { path: `/data/volumes/${name}` },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
    },
  };
}

const finalizers = async (name: string) => (await c.registry.get(PVS, undefined, name)).metadata?.finalizers;

describe('applyVolumeDirectoryReport', () => {
  it('puts the node finalizer on a live volume of the node and takes it off once the volume is deleted', async () => {
    const pv = await c.registry.create(PVS, undefined, volume('pvc-1', 'n1'));
    const report = { name: 'pvc-1', uid: pv.metadata?.uid ?? '' };
    expect(await applyVolumeDirectoryReport(c.registry, 'n1', true, report)).toBe(true);
    expect(await finalizers('pvc-1')).toEqual(['kubernetes.io/pv-protection', 'kactus.io/local-volume']);
    // Not removed while the volume lives.
    await applyVolumeDirectoryReport(c.registry, 'n1', false, report);
    expect(await finalizers('pvc-1')).toContain('kactus.io/local-volume');
    await c.registry.delete(PVS, undefined, 'pvc-1');
    // Not added again to a volume being deleted; removed now.
    await applyVolumeDirectoryReport(c.registry, 'n1', true, report);
    await applyVolumeDirectoryReport(c.registry, 'n1', false, report);
    expect(await finalizers('pvc-1')).toEqual(['kubernetes.io/pv-protection']);
  });

  it('refuses reports about other nodes\' volumes, other uids and volumes it did not provision', async () => {
    const pv = await c.registry.create(PVS, undefined, volume('pvc-2', 'n2'));
    await c.registry.create(PVS, undefined, volume('static', 'n1', 'someone/else'));
    expect(await applyVolumeDirectoryReport(c.registry, 'n1', true, { name: 'pvc-2', uid: pv.metadata?.uid ?? '' })).toBe(false);
    expect(await applyVolumeDirectoryReport(c.registry, 'n2', true, { name: 'pvc-2', uid: 'not-it' })).toBe(false);
    expect(await applyVolumeDirectoryReport(c.registry, 'n1', true, { name: 'static', uid: (await c.registry.get(PVS, undefined, 'static')).metadata?.uid ?? '' })).toBe(false);
    expect(await finalizers('pvc-2')).toEqual(['kubernetes.io/pv-protection']);
    // A volume that is gone: nothing to do, not an error.
    expect(await applyVolumeDirectoryReport(c.registry, 'n1', false, { name: 'gone', uid: 'x' })).toBe(true);
  });
});
