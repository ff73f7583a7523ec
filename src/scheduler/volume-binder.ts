/**
 * The scheduler's volume binder (kube-scheduler's volumebinding binder.go): the storage caches
 * VolumeBinding reads (claims, volumes, classes), and PreBind — for a pod placed on a node, the
 * writes its plan asks for, then a wait until every claim it waits for is bound, before the pod
 * itself is bound to the node. So a pod reaches its node only with its claims bound; for a
 * local-path claim that means its directory already exists there (src/actors/volume).
 *
 * Writes, through the Registry, compare-and-swap on a fresh read: a static volume chosen for a
 * claim gets `spec.claimRef` (the claim, with its uid) and `pv.kubernetes.io/bound-by-controller`
 * — the binder then binds the claim to it; a claim to provision gets
 * `volume.kubernetes.io/selected-node` — the binder then asks its provisioner. A volume chosen is
 * "assumed" (kept out of other pods' plans) until the cache shows the write, or the bind fails.
 *
 * The wait ends when every claim is fully bound (volumeName + bind-completed), or fails when the
 * timeout passes (Kubernetes' bindTimeoutSeconds: 600), a claim goes, or a claim to provision
 * loses its selected node (its provisioner gave up on that node).
 */
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { objectKey } from '../api/metadata.ts';
import type { KubeObject } from '../api/object.ts';
import { claimReference, claimRefOf, claimVolumeName, isClaimFullyBound, selectedNodeOf } from '../api/storage/helpers.ts';
import { volumeFitsNode } from '../api/storage/matching.ts';
import { ANN_BOUND_BY_CONTROLLER, ANN_SELECTED_NODE } from '../api/storage/names.ts';
import { objectInformer, type ObjectInformer } from '../registry/informers.ts';
import type { Registry } from '../registry/registry.ts';
import { retryOnConflict } from '../registry/retry-on-conflict.ts';
import type { Store } from '../store/types.ts';
import type { StorageLookup, VolumePlan } from './plugins/volume-binding.ts';

const PVCS = findKind('v1', 'PersistentVolumeClaim') as ResourceInfo;
const PVS = findKind('v1', 'PersistentVolume') as ResourceInfo;
const STORAGE_CLASSES = findKind('storage.k8s.io/v1', 'StorageClass') as ResourceInfo;

/** kube-scheduler's default bindTimeoutSeconds. */
export const DEFAULT_BIND_TIMEOUT_MS = 600_000;

/** Why binding a pod's volumes failed (its message is the FailedScheduling Event's). */
export class VolumeBindingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VolumeBindingError';
  }
}

export interface VolumeBinderOptions {
  store: Store;
  registry: Registry;
  /** Storage changed (a claim, volume or class): parked pods may fit now. */
  onChange(): void;
  bindTimeoutMs?: number;
}

export class VolumeBinder implements StorageLookup {
  private readonly claims: ObjectInformer;
  private readonly pvs: ObjectInformer;
  private readonly classes: ObjectInformer;
  private readonly assumedVolumes = new Map<string, string>();
  private readonly waiters = new Set<() => void>();
  private stopped = false;

  constructor(private readonly opts: VolumeBinderOptions) {
    const changed = () => {
      opts.onChange();
      for (const wake of [...this.waiters]) wake();
    };
    const handlers = { onAdd: changed, onUpdate: changed, onDelete: changed };
    this.claims = objectInformer(opts.store, PVCS, handlers);
    this.pvs = objectInformer(opts.store, PVS, {
      onAdd: (v) => this.settleAssumed(v, changed),
      onUpdate: (_o, v) => this.settleAssumed(v, changed),
      onDelete: (v) => {
        this.assumedVolumes.delete(v.metadata?.name ?? '');
        changed();
      },
    });
    this.classes = objectInformer(opts.store, STORAGE_CLASSES, handlers);
  }

  async start(): Promise<void> {
    for (const informer of [this.classes, this.pvs, this.claims]) await informer.start();
  }

  stop(): void {
    this.stopped = true;
    for (const informer of [this.claims, this.pvs, this.classes]) informer.stop();
    for (const wake of [...this.waiters]) wake();
  }

  // ---- StorageLookup ----

  claim(namespace: string, name: string): KubeObject | undefined {
    return this.claims.get(objectKey(PVCS, namespace, name));
  }

  volume(name: string): KubeObject | undefined {
    return this.pvs.get(objectKey(PVS, undefined, name));
  }

  volumes(): KubeObject[] {
    return this.pvs.list();
  }

  storageClass(name: string): KubeObject | undefined {
    return name === '' ? undefined : this.classes.get(objectKey(STORAGE_CLASSES, undefined, name));
  }

  assumed(): ReadonlyMap<string, string> {
    return this.assumedVolumes;
  }

  // ---- PreBind ----

  /** Keeps the plan's static volumes out of other pods' plans until the cache shows them bound (or the bind fails). */
  assume(plan: VolumePlan): void {
    for (const { volume, claim } of plan.bindings) this.assumedVolumes.set(volume.metadata?.name ?? '', claim.metadata?.uid ?? '');
  }

  /** Forgets what `assume` assumed. */
  forget(plan: VolumePlan): void {
    for (const { volume, claim } of plan.bindings) {
      const name = volume.metadata?.name ?? '';
      if (this.assumedVolumes.get(name) === claim.metadata?.uid) this.assumedVolumes.delete(name);
    }
  }

  /** The plan's writes, then the wait until every claim is bound to a volume that may be on `node`. */
  async bind(plan: VolumePlan, node: KubeObject): Promise<void> {
    const nodeName = node.metadata?.name ?? '';
    for (const { volume, claim } of plan.bindings) await this.bindVolume(volume, claim);
    for (const claim of plan.provisions) await this.selectNode(claim, nodeName);
    await this.waitForBound(plan, node);
  }

  private async bindVolume(volume: KubeObject, claim: KubeObject): Promise<void> {
    const name = volume.metadata?.name ?? '';
    await retryOnConflict(async () => {
      const current = await this.opts.registry.get(PVS, undefined, name);
      const ref = claimRefOf(current);
      if (ref?.uid === claim.metadata?.uid) return;
      if (ref && (ref.name !== claim.metadata?.name || ref.namespace !== claim.metadata?.namespace || ref.uid !== '')) {
        throw new VolumeBindingError(`volume ${JSON.stringify(name)} was bound to claim ${ref.namespace}/${ref.name} meanwhile`);
      }
      const annotations = { ...current.metadata?.annotations };
      if (!ref) annotations[ANN_BOUND_BY_CONTROLLER] = 'yes';
      await this.opts.registry.update(PVS, undefined, name, { ...current, metadata: { ...current.metadata, annotations }, spec: { ...(current.spec as object), claimRef: claimReference(claim) } });
    });
  }

  private async selectNode(claim: KubeObject, nodeName: string): Promise<void> {
    const namespace = claim.metadata?.namespace;
    const name = claim.metadata?.name ?? '';
    await retryOnConflict(async () => {
      const current = await this.opts.registry.get(PVCS, namespace, name);
      if (current.metadata?.uid !== claim.metadata?.uid) throw new VolumeBindingError(`persistentvolumeclaim ${JSON.stringify(name)} was replaced`);
      if (selectedNodeOf(current) === nodeName) return;
      const annotations = { ...current.metadata?.annotations, [ANN_SELECTED_NODE]: nodeName };
      await this.opts.registry.update(PVCS, namespace, name, { ...current, metadata: { ...current.metadata, annotations } });
    });
  }

  /** Resolves when every claim of the plan is fully bound; rejects as the header says. */
  private waitForBound(plan: VolumePlan, node: KubeObject): Promise<void> {
    const nodeName = node.metadata?.name ?? '';
    const provisioned = new Set(plan.provisions.map((c) => c.metadata?.uid));
    const check = (): 'bound' | 'waiting' | string => {
      for (const want of plan.waitFor) {
        const claim = this.claim(want.metadata?.namespace ?? '', want.metadata?.name ?? '');
        if (!claim || claim.metadata?.uid !== want.metadata?.uid) return `persistentvolumeclaim ${JSON.stringify(want.metadata?.name ?? '')} was deleted`;
        if (isClaimFullyBound(claim)) {
          // Bound meanwhile to a volume elsewhere (an earlier provisioning on another node finished first).
          const volumeName = claimVolumeName(claim);
          const volume = this.volume(volumeName);
          if (volume && !volumeFitsNode(volume, node)) return `pv ${JSON.stringify(volumeName)} node affinity doesn't match node ${JSON.stringify(nodeName)}`;
          continue;
        }
        if (provisioned.has(claim.metadata?.uid) && selectedNodeOf(claim) !== nodeName) return `selectedNode annotation reset for PVC ${JSON.stringify(claim.metadata?.name ?? '')}`;
        return 'waiting';
      }
      return 'bound';
    };
    return new Promise((resolve, reject) => {
      const finish = (err?: Error) => {
        this.waiters.delete(wake);
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const wake = () => {
        if (this.stopped) return finish(new VolumeBindingError('the scheduler stopped'));
        const state = check();
        if (state === 'bound') finish();
        else if (state !== 'waiting') finish(new VolumeBindingError(state));
      };
      const timer = setTimeout(() => finish(new VolumeBindingError('binding volumes: timed out waiting for the condition')), this.opts.bindTimeoutMs ?? DEFAULT_BIND_TIMEOUT_MS);
      timer.unref();
      this.waiters.add(wake);
      wake();
    });
  }

  private settleAssumed(volume: KubeObject, changed: () => void): void {
    const name = volume.metadata?.name ?? '';
    const uid = this.assumedVolumes.get(name);
    if (uid !== undefined && claimRefOf(volume)?.uid === uid) this.assumedVolumes.delete(name);
    changed();
  }
}
