/**
 * The binder's writes, all through the Registry, each re-reading the object and checking it is
 * still the one the machine decided about (same uid) before a compare-and-swap write (retried on
 * conflict): Kubernetes' bind (volume first, then claim), status and phase updates, unbind,
 * default class assignment, provisioner annotations, protection finalizers, volume deletion, and
 * Events. A write to an object that is gone is not an error: the next observation decides again.
 */
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import { rfc3339Seconds } from '../../api/metadata.ts';
import { isRecord, jsonEqual, optionalRecord, type JsonObject, type KubeObject } from '../../api/object.ts';
import { claimReference, claimRefOf, claimVolumeName, isVolumeBoundToClaim } from '../../api/storage/helpers.ts';
import {
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_STORAGE_PROVISIONER,
  PV_PROTECTION_FINALIZER,
  PVC_PROTECTION_FINALIZER,
} from '../../api/storage/names.ts';
import { refTo, type EventSink, type EventSource } from '../../registry/event-recorder.ts';
import type { Registry } from '../../registry/registry.ts';
import { isNotFound, retryOnConflict } from '../../registry/retry-on-conflict.ts';
import type { ClaimStatusPhase } from './claim-machine.ts';
import type { StorageEvent } from './messages.ts';
import type { VolumePhase } from './volume-machine.ts';

export const PVCS = findKind('v1', 'PersistentVolumeClaim') as ResourceInfo;
export const PVS = findKind('v1', 'PersistentVolume') as ResourceInfo;
export const STORAGE_CLASSES = findKind('storage.k8s.io/v1', 'StorageClass') as ResourceInfo;

/** The component Kubernetes' binder records its Events as. */
export const BINDER_SOURCE: EventSource = { component: 'persistentvolume-controller' };

/** A write found the object changed in a way the decision did not foresee: the sync fails and observes again. */
export class StaleDecisionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StaleDecisionError';
  }
}

const statusOf = (obj: KubeObject): JsonObject => (isRecord(obj.status) ? obj.status : {});
const specOf = (obj: KubeObject): JsonObject => (isRecord(obj.spec) ? obj.spec : {});

export class StorageEffects {
  constructor(
    private readonly registry: Registry,
    private readonly events: EventSink,
    private readonly now: () => Date = () => new Date(),
  ) {}

  // ---- binding ----

  /**
   * Kubernetes' bind: the volume's claimRef (bound-by-controller when the binder sets it), the
   * volume Bound, the claim's volumeName (bound-by-controller likewise) and bind-completed, the
   * claim Bound with the volume's access modes and capacity. Volume first, so a claim is never
   * bound to a volume that does not name it. Throws StaleDecisionError when the volume turned out
   * to be another claim's.
   */
  async bind(claim: KubeObject, volumeName: string): Promise<void> {
    const volume = await this.bindVolumeToClaim(volumeName, claim);
    if (!volume) return;
    await this.writeVolumePhase(volume, 'Bound');
    const bound = await this.bindClaimToVolume(claim, volume);
    if (!bound) return;
    await this.writeClaimStatus(bound, 'Bound', volume);
  }

  private bindVolumeToClaim(volumeName: string, claim: KubeObject): Promise<KubeObject | undefined> {
    return this.update(PVS, undefined, volumeName, undefined, (volume) => {
      const ref = claimRefOf(volume);
      if (ref && !isVolumeBoundToClaim(volume, claim)) {
        throw new StaleDecisionError(`volume ${JSON.stringify(volumeName)} is already bound to claim ${ref.namespace}/${ref.name}`);
      }
      const next = structuredClone(volume);
      let dirty = false;
      if (!ref || ref.uid !== claim.metadata?.uid) {
        next.spec = { ...specOf(next), claimRef: claimReference(claim) };
        dirty = true;
      }
      if (!isVolumeBoundToClaim(volume, claim) && !(ANN_BOUND_BY_CONTROLLER in (volume.metadata?.annotations ?? {}))) {
        next.metadata = { ...next.metadata, annotations: { ...next.metadata?.annotations, [ANN_BOUND_BY_CONTROLLER]: 'yes' } };
        dirty = true;
      }
      return dirty ? next : undefined;
    });
  }

  private bindClaimToVolume(claim: KubeObject, volume: KubeObject): Promise<KubeObject | undefined> {
    const volumeName = volume.metadata?.name ?? '';
    return this.update(PVCS, claim.metadata?.namespace, claim.metadata?.name ?? '', claim.metadata?.uid, (current) => {
      const annotations = { ...current.metadata?.annotations };
      const next = structuredClone(current);
      let dirty = false;
      if (claimVolumeName(current) !== volumeName) {
        next.spec = { ...specOf(next), volumeName };
        if (!(ANN_BOUND_BY_CONTROLLER in annotations)) annotations[ANN_BOUND_BY_CONTROLLER] = 'yes';
        dirty = true;
      }
      if (!(ANN_BIND_COMPLETED in annotations)) {
        annotations[ANN_BIND_COMPLETED] = 'yes';
        dirty = true;
      }
      next.metadata = { ...next.metadata, annotations };
      return dirty ? next : undefined;
    });
  }

  /**
   * updateClaimStatus: the phase; Bound carries the volume's access modes and (when the claim
   * becomes Bound) its capacity; other phases carry neither. Written only when something differs.
   */
  async writeClaimStatus(claim: KubeObject, phase: ClaimStatusPhase | 'Bound', volume?: KubeObject): Promise<KubeObject | undefined> {
    return this.updateStatus(PVCS, claim.metadata?.namespace, claim.metadata?.name ?? '', claim.metadata?.uid, (current) => {
      const status = { ...statusOf(current) };
      const before = structuredClone(status);
      const becoming = status.phase !== phase;
      status.phase = phase;
      if (volume && phase === 'Bound') {
        const modes = specOf(volume).accessModes;
        if (!jsonEqual(status.accessModes, modes)) status.accessModes = structuredClone(modes);
        const capacity = optionalRecord(specOf(volume), 'capacity');
        if (becoming && capacity && !jsonEqual(optionalRecord(status, 'capacity')?.storage, capacity.storage)) status.capacity = structuredClone(capacity);
      } else {
        delete status.accessModes;
        delete status.capacity;
      }
      return jsonEqual(before, status) ? undefined : status;
    });
  }

  /** updateVolumePhase: the phase and message (and the time the phase last changed), when the phase differs. */
  async writeVolumePhase(volume: KubeObject, phase: VolumePhase, message?: string): Promise<KubeObject | undefined> {
    return this.updateStatus(PVS, undefined, volume.metadata?.name ?? '', volume.metadata?.uid, (current) => {
      const status = statusOf(current);
      if (status.phase === phase) return undefined;
      const next: JsonObject = { ...status, phase, lastPhaseTransitionTime: rfc3339Seconds(this.now()) };
      if (message) next.message = message;
      else delete next.message;
      return next;
    });
  }

  /**
   * unbindVolume: a volume the binder bound loses its claimRef and bound-by-controller; one a user
   * pre-bound keeps the claim's name and loses its uid. Then Available.
   */
  async unbind(volume: KubeObject): Promise<void> {
    const updated = await this.update(PVS, undefined, volume.metadata?.name ?? '', volume.metadata?.uid, (current) => {
      const next = structuredClone(current);
      const annotations = { ...next.metadata?.annotations };
      const spec = { ...specOf(next) };
      if (ANN_BOUND_BY_CONTROLLER in annotations) {
        delete spec.claimRef;
        delete annotations[ANN_BOUND_BY_CONTROLLER];
      } else if (isRecord(spec.claimRef)) {
        spec.claimRef = { ...spec.claimRef, uid: '' };
      }
      next.spec = spec;
      next.metadata = { ...next.metadata, annotations };
      return next;
    });
    if (updated) await this.writeVolumePhase(updated, 'Available');
  }

  // ---- claims ----

  /** assignDefaultStorageClass: a claim with no class gets `className` (only while it has none). */
  async assignClass(claim: KubeObject, className: string): Promise<void> {
    await this.update(PVCS, claim.metadata?.namespace, claim.metadata?.name ?? '', claim.metadata?.uid, (current) => {
      if (specOf(current).storageClassName != null) return undefined;
      return { ...current, spec: { ...specOf(current), storageClassName: className } };
    });
  }

  /** setClaimProvisioner: both storage-provisioner annotations name `provisioner`. */
  async annotateProvisioner(claim: KubeObject, provisioner: string): Promise<void> {
    await this.update(PVCS, claim.metadata?.namespace, claim.metadata?.name ?? '', claim.metadata?.uid, (current) => {
      const annotations = current.metadata?.annotations ?? {};
      if (annotations[ANN_STORAGE_PROVISIONER] === provisioner && annotations[ANN_BETA_STORAGE_PROVISIONER] === provisioner) return undefined;
      return { ...current, metadata: { ...current.metadata, annotations: { ...annotations, [ANN_STORAGE_PROVISIONER]: provisioner, [ANN_BETA_STORAGE_PROVISIONER]: provisioner } } };
    });
  }

  // ---- protection ----

  setClaimProtection(claim: KubeObject, present: boolean): Promise<unknown> {
    return this.setFinalizer(PVCS, claim, PVC_PROTECTION_FINALIZER, present);
  }

  setVolumeProtection(volume: KubeObject, present: boolean): Promise<unknown> {
    return this.setFinalizer(PVS, volume, PV_PROTECTION_FINALIZER, present);
  }

  /** Adds (never to an object being deleted) or removes `finalizer`. */
  private setFinalizer(info: ResourceInfo, obj: KubeObject, finalizer: string, present: boolean): Promise<KubeObject | undefined> {
    return this.update(info, obj.metadata?.namespace, obj.metadata?.name ?? '', obj.metadata?.uid, (current) => {
      const finalizers = current.metadata?.finalizers ?? [];
      if (finalizers.includes(finalizer) === present) return undefined;
      if (present && current.metadata?.deletionTimestamp) return undefined;
      const next = present ? [...finalizers, finalizer] : finalizers.filter((f) => f !== finalizer);
      return { ...current, metadata: { ...current.metadata, finalizers: next } };
    });
  }

  // ---- volumes ----

  /** Deletes the volume object (only the one the decision was about). */
  async deleteVolume(volume: KubeObject): Promise<void> {
    try {
      await this.registry.delete(PVS, undefined, volume.metadata?.name ?? '', { preconditions: { uid: volume.metadata?.uid } });
    } catch (err) {
      if (!isNotFound(err) && !isPreconditionFailure(err)) throw err;
    }
  }

  record(obj: KubeObject, info: ResourceInfo, event: StorageEvent, source: EventSource = BINDER_SOURCE): Promise<void> {
    return this.events.record(refTo({ ...obj, apiVersion: info.group ? `${info.group}/${info.version}` : info.version, kind: info.kind }), event.type, event.reason, event.message, { source });
  }

  // ---- read-modify-write ----

  /** Re-reads the object; `change` returns the object to write, or undefined for no write. Undefined when gone or replaced. */
  private async update(info: ResourceInfo, namespace: string | undefined, name: string, uid: string | undefined, change: (current: KubeObject) => KubeObject | undefined): Promise<KubeObject | undefined> {
    try {
      return await retryOnConflict(async () => {
        const current = await this.registry.get(info, namespace, name);
        if (uid !== undefined && current.metadata?.uid !== uid) return undefined;
        const next = change(current);
        return next ? this.registry.update(info, namespace, name, next) : current;
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** The same for `/status`: `change` returns the new status, or undefined for no write. */
  private async updateStatus(info: ResourceInfo, namespace: string | undefined, name: string, uid: string | undefined, change: (current: KubeObject) => JsonObject | undefined): Promise<KubeObject | undefined> {
    try {
      return await retryOnConflict(async () => {
        const current = await this.registry.get(info, namespace, name);
        if (uid !== undefined && current.metadata?.uid !== uid) return undefined;
        const status = change(current);
        return status ? this.registry.updateStatus(info, namespace, name, { ...current, status }) : current;
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}

function isPreconditionFailure(err: unknown): boolean {
  return err instanceof Error && 'reason' in err && (err as { reason?: string }).reason === 'Conflict';
}
