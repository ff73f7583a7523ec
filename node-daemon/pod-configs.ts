/**
 * What the node keeps per pod to set up its volumes and build its containers' configurations:
 * the pod as last assigned (labels and annotations move), the volumes as set up. The pod actor's
 * effects call `mount` and `config`; the daemon calls `refreshAll` every sync period (content
 * volumes follow their ConfigMaps, Secrets, labels and tokens) and `tearDown` when a pod's files
 * go. Operations on one pod run one at a time (one writer per volume directory).
 */
import { optionalRecord, type JsonObject } from '../src/api/object.ts';
import type { VolumeMountError } from '../src/actors/pod/config-errors.ts';
import type { ContainerSpec, HostVolume, VolumeMount } from '../src/runtime/types.ts';
import type { ClusterObjects } from './cluster-objects.ts';
import { buildContainerConfig, type ContainerConfig } from './container-config.ts';
import type { NodeAllocatable } from './env/downward-api.ts';
import type { MountedVolume, VolumeManager } from './volumes/volume-manager.ts';

export interface PodConfigsOptions {
  dataDir: string;
  hostIP: string;
  allocatable: NodeAllocatable;
  objects?: ClusterObjects;
  volumes: VolumeManager;
  /** False on a hollow node (no files). */
  writeFiles: boolean;
}

function isFinished(pod: JsonObject): boolean {
  const phase = optionalRecord(pod, 'status')?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** What pods' volumes and env read from the cluster. */
const SOURCES = ['configmaps', 'secrets', 'persistentvolumeclaims', 'persistentvolumes', 'services'] as const;
/** How long a set-up waits for a kind the node has not listed yet (the kubelet's managers wait 1 s). */
const SYNC_WAIT_MS = 1000;

interface Tracked {
  pod: JsonObject;
  mounted?: MountedVolume[];
  /** Serialises this pod's volume work. */
  queue: Promise<unknown>;
  /** The last refresh failure reported per volume (reported again only when it changes). */
  reported: Map<string, string>;
}

export class PodConfigs {
  private readonly pods = new Map<string, Tracked>();

  constructor(private readonly opts: PodConfigsOptions) {}

  /** A pod assigned (or its latest version). */
  track(uid: string, pod: JsonObject): void {
    const known = this.pods.get(uid);
    if (known) known.pod = pod;
    else this.pods.set(uid, { pod, queue: Promise.resolve(), reported: new Map() });
  }

  /** Set up the pod's volumes (throws VolumeMountError). */
  mount(uid: string): Promise<void> {
    return this.run(uid, async (t) => {
      await this.synced();
      t.mounted = await this.opts.volumes.setUp(t.pod);
    });
  }

  /** Container `name`'s spec and volumes for this start (throws ContainerConfigError). */
  config(uid: string, base: ContainerSpec, extra: { mounts: VolumeMount[]; volumes: HostVolume[] }, podIP: string | undefined): Promise<ContainerConfig> {
    return this.run(uid, async (t) => {
      await this.synced();
      return buildContainerConfig({
        pod: t.pod,
        base,
        extra,
        volumes: t.mounted ?? [],
        objects: this.opts.objects,
        runtime: { hostIP: this.opts.hostIP, ...(podIP === undefined ? {} : { podIP }) },
        allocatable: this.opts.allocatable,
        dataDir: this.opts.dataDir,
        writeFiles: this.opts.writeFiles,
      });
    });
  }

  /** Waits (briefly) for the kinds not listed yet: a pod assigned as the node connects would otherwise see them missing. */
  private async synced(): Promise<void> {
    const objects = this.opts.objects;
    if (objects?.whenSynced) await Promise.all(SOURCES.map((r) => (objects.synced(r) ? true : objects.whenSynced!(r, SYNC_WAIT_MS))));
  }

  /**
   * Re-project the content volumes of every set-up pod that has not finished (a finished one
   * asks for no more tokens); `report` hears each failure that is new for its volume (the
   * contents stay as they were).
   */
  async refreshAll(report: (uid: string, failure: VolumeMountError) => void): Promise<void> {
    await Promise.all(
      [...this.pods].map(([uid, t]) =>
        t.mounted === undefined || isFinished(t.pod)
          ? undefined
          : this.run(uid, async () => {
              const failures = await this.opts.volumes.refresh(t.pod);
              const failed = new Set(failures.map((f) => f.volume));
              for (const volume of [...t.reported.keys()]) if (!failed.has(volume)) t.reported.delete(volume);
              for (const f of failures) {
                if (t.reported.get(f.volume) === f.message) continue;
                t.reported.set(f.volume, f.message);
                report(uid, f);
              }
            }).catch(() => undefined),
      ),
    );
  }

  /** Remove the pod's files (after its containers) and forget it. */
  async tearDown(uid: string): Promise<void> {
    const t = this.pods.get(uid);
    this.pods.delete(uid);
    await t?.queue.catch(() => undefined);
    await this.opts.volumes.tearDown(uid);
  }

  private run<T>(uid: string, task: (t: Tracked) => Promise<T>): Promise<T> {
    const t = this.pods.get(uid);
    if (!t) return Promise.reject(new Error(`pod ${uid} is not tracked on this node`));
    const result = t.queue.catch(() => undefined).then(() => task(t));
    t.queue = result;
    return result;
  }
}
