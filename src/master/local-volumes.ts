/**
 * The master's side of a node's local-path volumes (the node's side: node-daemon/storage/): a
 * node reports that a volume's directory exists (`volume.directory.created`) or that it let go of
 * a deleted volume's directory (`volume.directory.released`), and the gateway puts or removes the
 * node's finalizer `kactus.io/local-volume` on the PersistentVolume through the Registry.
 *
 * The finalizer is the one record of who holds the directory: while it is on the volume, the
 * volume's node still has (or must remove) the directory, so the volume object outlives its
 * directory; and the binder offers a local-path volume to its claim only once it is there
 * (api/storage/matching.ts), so a claim never binds before its directory exists.
 *
 * A report is applied only for a volume the local provisioner made whose node affinity names the
 * reporting node (a node cannot touch another node's volumes), and only to the volume with that
 * uid. The finalizer is added only to a volume not being deleted, removed only from one that is.
 */
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { isLocalVolumeOf } from '../api/storage/local-volume.ts';
import { LOCAL_VOLUME_FINALIZER } from '../api/storage/names.ts';
import type { VolumeDirectoryReport } from '../net/messages.ts';
import type { Registry } from '../registry/registry.ts';
import { isNotFound, retryOnConflict } from '../registry/retry-on-conflict.ts';

const PVS = findKind('v1', 'PersistentVolume') as ResourceInfo;

/** Applies a node's report; false when it was not the node's to make (logged by the caller). */
export async function applyVolumeDirectoryReport(registry: Registry, nodeName: string, created: boolean, report: VolumeDirectoryReport): Promise<boolean> {
  try {
    return await retryOnConflict(async () => {
      const volume = await registry.get(PVS, undefined, report.name);
      if (volume.metadata?.uid !== report.uid || !isLocalVolumeOf(volume, nodeName)) return false;
      const finalizers = volume.metadata?.finalizers ?? [];
      const deleting = Boolean(volume.metadata?.deletionTimestamp);
      const has = finalizers.includes(LOCAL_VOLUME_FINALIZER);
      if (created ? has || deleting : !has || !deleting) return true;
      const next = created ? [...finalizers, LOCAL_VOLUME_FINALIZER] : finalizers.filter((f) => f !== LOCAL_VOLUME_FINALIZER);
      await registry.update(PVS, undefined, report.name, { ...volume, metadata: { ...volume.metadata, finalizers: next } });
      return true;
    });
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}
