/**
 * The node's volume manager: sets up a pod's volumes before its sandbox (the pod machine asks,
 * through `mountVolumes`), keeps content volumes current while the pod lives, and removes it all
 * with the pod.
 *
 * | volume | set up as | host path |
 * |---|---|---|
 * | emptyDir | a directory 0777; `medium: Memory`: a tmpfs mounted on it (tmpfs.ts) | `DIR/pods/<uid>/volumes/<name>` |
 * | hostPath | the type's check or creation (host-path.ts) | `hostPath.path` |
 * | configMap, secret, downwardAPI, projected | the payload (projection.ts) written by the AtomicWriter, read-only; secret volumes and projected ones with a Secret source on a tmpfs (Secrets never on the node's disk, as the kubelet keeps them), when the daemon may mount (root) | `DIR/pods/<uid>/volumes/<name>` |
 * | persistentVolumeClaim | claim → PV (claims.ts); a `local` path must exist, a `hostPath` one is type-checked | the PV's path |
 *
 * A volume that cannot be set up throws VolumeMountError with the kubelet's sentence
 * (`MountVolume.SetUp failed for volume "cfg" : configmap "x" not found`); the pod machine waits
 * and retries. `refresh` re-projects the content volumes of a pod (the daemon calls it every sync
 * period): a changed ConfigMap, Secret, label or annotation, or a token due for renewal, is
 * written atomically; an unchanged one touches nothing; a source that went missing keeps the old
 * contents (and is reported). A node that writes no contents (hollow) checks the same sources
 * (so a pod waits for a missing ConfigMap there too) but makes no file and asks for no token.
 */
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { optionalRecord, type JsonObject } from '../../src/api/object.ts';
import { VolumeMountError } from '../../src/actors/pod/config-errors.ts';
import type { ClusterObjects } from '../cluster-objects.ts';
import type { NodeAllocatable } from '../env/downward-api.ts';
import { writeAtomically } from './atomic-writer.ts';
import { resolveClaim } from './claims.ts';
import { prepareHostPath } from './host-path.ts';
import type { NodeIdentity } from './node-affinity.ts';
import { isContentSource, podVolumes, type ContentSource, type PodVolumeSpec } from './pod-volumes.ts';
import { projectVolume, type ProjectionContext } from './projection.ts';
import { mountTmpfs, unmountAll } from './tmpfs.ts';
import type { TokenManager } from './token-manager.ts';

/** A volume as containers bind it. */
export interface MountedVolume {
  name: string;
  hostPath: string;
  /** Every mount of it is read-only (content volumes; a claim with `readOnly`). */
  readOnly: boolean;
  /** Written by the AtomicWriter: a subPath to a file in it is bound as that file's current version. */
  content: boolean;
}

export interface VolumeManagerOptions {
  dataDir: string;
  /** This node's name and labels (a PV's node affinity is checked against them). */
  node(): NodeIdentity;
  /** The node's copy of ConfigMaps, Secrets, claims and PVs; absent: nothing is known (setups wait). */
  objects?: ClusterObjects;
  /** Limits a container sets none of default to these (downward API). */
  allocatable: NodeAllocatable;
  /** ServiceAccount tokens for projected volumes; absent: token files are left out. */
  tokens?: TokenManager;
  /** False on a hollow node: sources are checked, nothing is written or mounted. */
  writeContents: boolean;
}

/** Where a pod's files live on the node: `DIR/pods/<uid>`. */
export function podDir(dataDir: string, uid: string): string {
  return join(dataDir, 'pods', uid);
}

/** A volume's directory when the node owns it: `DIR/pods/<uid>/volumes/<name>`. */
export function volumeDir(dataDir: string, uid: string, name: string): string {
  return join(podDir(dataDir, uid), 'volumes', name);
}

function metaOf(pod: JsonObject): { uid: string; namespace: string } {
  const meta = optionalRecord(pod, 'metadata') ?? {};
  return { uid: String(meta.uid ?? ''), namespace: String(meta.namespace ?? 'default') };
}

/**
 * A secret volume, or a projected one with a Secret among its sources: kept on a tmpfs. (The
 * kubelet keeps every projected volume there, tokens included; here the ServiceAccount token
 * volume every pod has stays on disk for now: a tmpfs per pod would outlive a stopped daemon
 * that keeps its containers, and every harness removing a data dir would have to unmount first.)
 */
function holdsSecrets(source: ContentSource): boolean {
  if (source.kind === 'secret') return true;
  if (source.kind !== 'projected') return false;
  const sources = source.source.sources;
  return Array.isArray(sources) && sources.some((s) => typeof s === 'object' && s !== null && 'secret' in s);
}

function setUpFailed(volume: string, err: unknown): VolumeMountError {
  if (err instanceof VolumeMountError) return err;
  return new VolumeMountError(volume, `MountVolume.SetUp failed for volume "${volume}" : ${(err as Error).message}`);
}

export class VolumeManager {
  /** Set once a tmpfs mount failed (not root): credentials volumes then stay on disk. */
  private tmpfsRefused = false;

  constructor(private readonly opts: VolumeManagerOptions) {}

  /**
   * A tmpfs on a volume holding Secrets or tokens, so their files never reach the node's disk (the
   * kubelet's secret and projected volumes are memory-backed too). A daemon that may not mount
   * (not root, the process runtime in development) keeps them in the data dir instead.
   */
  private async memoryBacked(dir: string): Promise<void> {
    if (this.tmpfsRefused) return;
    try {
      await mountTmpfs(dir);
    } catch {
      this.tmpfsRefused = true;
    }
  }

  /** Set up every volume of the pod, in spec order; throws VolumeMountError for the first that cannot be. */
  async setUp(pod: JsonObject): Promise<MountedVolume[]> {
    const mounted: MountedVolume[] = [];
    for (const volume of podVolumes(pod)) {
      try {
        mounted.push(await this.setUpOne(pod, volume));
      } catch (err) {
        throw setUpFailed(volume.name, err);
      }
    }
    return mounted;
  }

  /** Re-project the pod's content volumes; the failures, one per volume (the old contents stay). */
  async refresh(pod: JsonObject): Promise<VolumeMountError[]> {
    if (!this.opts.writeContents) return [];
    const { uid } = metaOf(pod);
    const failures: VolumeMountError[] = [];
    for (const volume of podVolumes(pod)) {
      if (!isContentSource(volume.source)) continue;
      try {
        await writeAtomically(volumeDir(this.opts.dataDir, uid, volume.name), await projectVolume(volume.source, this.projection(pod)));
      } catch (err) {
        failures.push(setUpFailed(volume.name, err));
      }
    }
    return failures;
  }

  /** Remove everything the pod has on the node: its tmpfs mounts, then `DIR/pods/<uid>`; its tokens. */
  async tearDown(uid: string): Promise<void> {
    const dir = podDir(this.opts.dataDir, uid);
    await unmountAll(dir);
    await rm(dir, { recursive: true, force: true });
    this.opts.tokens?.forgetPod(uid);
  }

  private projection(pod: JsonObject): ProjectionContext {
    const tokens = this.opts.tokens;
    return {
      pod,
      objects: this.opts.objects,
      allocatable: this.opts.allocatable,
      ...(tokens && this.opts.writeContents ? { token: (request) => tokens.token(request) } : {}),
    };
  }

  private async setUpOne(pod: JsonObject, volume: PodVolumeSpec): Promise<MountedVolume> {
    const { uid, namespace } = metaOf(pod);
    const write = this.opts.writeContents;
    const own = volumeDir(this.opts.dataDir, uid, volume.name);
    const { source } = volume;
    switch (source.kind) {
      case 'emptyDir':
        if (write) {
          await mkdir(own, { recursive: true });
          // Every user of every container may write, whatever the daemon's umask (as the kubelet).
          await chmod(own, 0o777);
          if (source.medium === 'Memory') await mountTmpfs(own, source.sizeLimitBytes);
        }
        return { name: volume.name, hostPath: own, readOnly: false, content: false };
      case 'hostPath':
        if (write) await prepareHostPath(source.path, source.type);
        return { name: volume.name, hostPath: source.path, readOnly: false, content: false };
      case 'persistentVolumeClaim': {
        const claim = resolveClaim(this.opts.objects, namespace, volume.name, source.claimName, this.opts.node());
        if (write && claim.plugin === 'local') {
          const exists = await stat(claim.path).then(
            () => true,
            () => false,
          );
          if (!exists) throw new VolumeMountError(volume.name, `MountVolume.NewMounter initialization failed for volume "${claim.pvName}" : path "${claim.path}" does not exist`);
        }
        if (write && claim.plugin === 'hostPath') {
          try {
            await prepareHostPath(claim.path, claim.hostPathType);
          } catch (err) {
            throw setUpFailed(claim.pvName, err);
          }
        }
        return { name: volume.name, hostPath: claim.path, readOnly: source.readOnly, content: false };
      }
      case 'unsupported':
        throw new Error(`${source.source} volumes are not supported on this node`);
      default: {
        const payload = await projectVolume(source, this.projection(pod));
        if (write) {
          await mkdir(own, { recursive: true });
          await chmod(own, 0o777);
          if (holdsSecrets(source)) await this.memoryBacked(own);
          await writeAtomically(own, payload);
        }
        return { name: volume.name, hostPath: own, readOnly: true, content: true };
      }
    }
  }
}
