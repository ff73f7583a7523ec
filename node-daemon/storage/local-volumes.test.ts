/**
 * A real node daemon (process runtime) against a real test master over the mesh: the master
 * serves PersistentVolumes on the watch channel, as the cluster feed does; the node makes the
 * directory of a local-path volume of its own under `<data dir>/volumes`, reports it, removes it
 * when the volume is deleted with reclaim Delete and keeps it with Retain, and leaves alone
 * volumes of other nodes and paths outside its volumes dir.
 */
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeDaemon, type NodeDaemon } from '../daemon.ts';
import { TestMaster, waitFor } from '../test-master.ts';

const NODE = 'storage-node';
let master: TestMaster;
let dir: string;
let node: NodeDaemon;
const volumesDir = () => join(dir, 'data', 'volumes');

/** A local-path volume as the master's provisioner makes it (plus what the test changes). */
function localVolume(name: string, opts: { node?: string; policy?: string; finalizers?: string[]; deleting?: boolean; path?: string } = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name,
      uid: `uid-${name}`,
      annotations: { 'pv.kubernetes.io/provisioned-by': 'kactus.io/local-path' },
      finalizers: opts.finalizers ?? ['kubernetes.io/pv-protection'],
      ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: opts.policy ?? 'Delete',
      storageClassName: 'local-path',
      local: { path: opts.path ?? join(volumesDir(), name) },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [opts.node ?? NODE] }] }] } },
    },
  };
}

const isDir = (path: string) => stat(path).then((s) => s.isDirectory(), () => false);
const reported = (type: string, name: string) => master.volumeReports.some((r) => r.type === type && r.report.name === name && r.report.uid === `uid-${name}`);

beforeAll(async () => {
  master = await TestMaster.start();
  dir = await mkdtemp(join(tmpdir(), 'kactus-node-storage-'));
  node = await startNodeDaemon({ dataDir: join(dir, 'data'), join: [master.addr], token: master.token, runtime: 'process', name: NODE, heartbeatIntervalMs: 200 });
  await waitFor('the actor channel', () => master.hasChannelFrom(node.peerId));
});

afterAll(async () => {
  await node?.close();
  await master?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('node daemon: local-path volume directories (process runtime)', () => {
  it('makes the directory, reports it, and removes it when the volume is deleted with Delete', async () => {
    const name = 'pvc-delete';
    const path = join(volumesDir(), name);
    await master.put('persistentvolumes', localVolume(name));
    await waitFor('the directory', () => isDir(path));
    expect((await stat(path)).mode & 0o777).toBe(0o777);
    await waitFor('volume.directory.created', () => reported('volume.directory.created', name));

    // The master put the node's finalizer on; a pod wrote into the directory.
    await master.put('persistentvolumes', localVolume(name, { finalizers: ['kubernetes.io/pv-protection', 'kactus.io/local-volume'] }));
    await writeFile(join(path, 'data.txt'), 'kept until the volume goes\n');

    // Deleted while still protected (Bound, in use): the data stays.
    await master.put('persistentvolumes', localVolume(name, { finalizers: ['kubernetes.io/pv-protection', 'kactus.io/local-volume'], deleting: true }));
    await master.put('persistentvolumes', localVolume('pvc-sync-marker'));
    await waitFor('a later volume seen', () => isDir(join(volumesDir(), 'pvc-sync-marker')));
    expect(await isDir(path)).toBe(true);
    expect(reported('volume.directory.released', name)).toBe(false);
    await master.remove('persistentvolumes', 'pvc-sync-marker');
    await waitFor('marker removed', async () => !(await isDir(join(volumesDir(), 'pvc-sync-marker'))));

    // Released and no longer protected: the node removes the directory, then says so.
    await master.put('persistentvolumes', localVolume(name, { finalizers: ['kactus.io/local-volume'], deleting: true }));
    await waitFor('the directory removed', async () => !(await isDir(path)));
    await waitFor('volume.directory.released', () => reported('volume.directory.released', name));
    await master.remove('persistentvolumes', name);
  });

  it('keeps the directory of a Retain volume when the volume is deleted', async () => {
    const name = 'pvc-retain';
    const path = join(volumesDir(), name);
    await master.put('persistentvolumes', localVolume(name, { policy: 'Retain', finalizers: ['kactus.io/local-volume'] }));
    await waitFor('the directory', () => isDir(path));
    await writeFile(join(path, 'data.txt'), 'mine\n');
    await master.put('persistentvolumes', localVolume(name, { policy: 'Retain', finalizers: ['kactus.io/local-volume'], deleting: true }));
    await waitFor('volume.directory.released', () => reported('volume.directory.released', name));
    expect(await isDir(path)).toBe(true);
    await master.remove('persistentvolumes', name);
    await node.close();
    // A new daemon on the same data dir still leaves it (Retain: the administrator's data).
    node = await startNodeDaemon({ dataDir: join(dir, 'data'), join: [master.addr], token: master.token, runtime: 'process', name: NODE, heartbeatIntervalMs: 200 });
    await waitFor('the actor channel', () => master.hasChannelFrom(node.peerId));
    expect(await isDir(path)).toBe(true);
  });

  it('leaves alone volumes of other nodes and paths outside its volumes dir', async () => {
    const elsewhere = join(dir, 'elsewhere');
    await master.put('persistentvolumes', localVolume('pvc-other-node', { node: 'another-node' }));
    await master.put('persistentvolumes', localVolume('pvc-outside', { path: elsewhere }));
    // A volume of this node that it handles, to know the ones above were seen.
    await master.put('persistentvolumes', localVolume('pvc-marker'));
    await waitFor('the marker directory', () => isDir(join(volumesDir(), 'pvc-marker')));
    expect(await isDir(elsewhere)).toBe(false);
    expect((await readdir(volumesDir())).sort()).toEqual(['pvc-marker', 'pvc-retain']);
    expect(reported('volume.directory.created', 'pvc-other-node') || reported('volume.directory.created', 'pvc-outside')).toBe(false);
  });

  it('removes the directory of a Delete volume that left the store while the node held it', async () => {
    const path = join(volumesDir(), 'pvc-marker');
    await master.remove('persistentvolumes', 'pvc-marker');
    await waitFor('the directory removed', async () => !(await isDir(path)));
  });
});
