/**
 * The deployment controller's writes, all through the Registry (in process, Kubernetes
 * semantics): ReplicaSets created, resized, adopted, released and deleted; the Deployment's
 * revision annotation and status; Events. Updates carry the resourceVersion the controller read,
 * so a stale cache fails with a Conflict and the sync is retried on fresh data.
 *
 * `apply` is what the Deployment machine's effect actors do: the writes of a plan (plan.ts) in
 * order, then the revision, then the status the machine's state chose.
 */
import { ApiError } from '../../api/status.ts';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import type { Registry } from '../../registry/registry.ts';
import { refTo, type EventSink, type EventType } from '../../registry/event-recorder.ts';
import { isNotFound } from '../../registry/retry-on-conflict.ts';
import { controllerRefOf, deploymentSpec, DEPLOYMENTS, REPLICA_SETS, REVISION_ANNOTATION } from './objects.ts';
import { controllerRefTo } from '../controller-kit/owner-refs.ts';
import type { ApplyPlanInput } from './machine.ts';
import { findNewReplicaSet } from './replica-sets.ts';
import { currentStatus, newCondition, REASONS, setCondition, statusJson } from './status.ts';

export class DeploymentEffects {
  constructor(
    private readonly registry: Registry,
    private readonly events: EventSink,
  ) {}

  createReplicaSet(rs: KubeObject): Promise<KubeObject> {
    return this.registry.create(REPLICA_SETS, rs.metadata?.namespace, rs);
  }

  updateReplicaSet(rs: KubeObject): Promise<KubeObject> {
    return this.registry.update(REPLICA_SETS, rs.metadata?.namespace, rs.metadata?.name ?? '', rs);
  }

  /** Deletes an old ReplicaSet if it is still the one read (uid and version); gone already is fine. */
  async deleteReplicaSet(rs: KubeObject): Promise<void> {
    try {
      await this.registry.delete(REPLICA_SETS, rs.metadata?.namespace, rs.metadata?.name ?? '', {
        preconditions: { uid: rs.metadata?.uid, resourceVersion: rs.metadata?.resourceVersion },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Makes `d` the controller of an orphan ReplicaSet its selector matches. */
  adopt(d: KubeObject, rs: KubeObject): Promise<KubeObject> {
    const refs = [...(rs.metadata?.ownerReferences ?? []), controllerRefTo(DEPLOYMENTS, d)];
    return this.updateReplicaSet({ ...rs, metadata: { ...rs.metadata, ownerReferences: refs } });
  }

  /** Drops `d`'s controller reference from a ReplicaSet its selector no longer matches. */
  release(d: KubeObject, rs: KubeObject): Promise<KubeObject> {
    const refs = (rs.metadata?.ownerReferences ?? []).filter((r) => r.uid !== d.metadata?.uid);
    return this.updateReplicaSet({ ...rs, metadata: { ...rs.metadata, ownerReferences: refs } });
  }

  /** Sets the Deployment's revision annotation (metadata only: the generation stays). */
  writeRevision(d: KubeObject, revision: number): Promise<KubeObject> {
    const annotations = { ...d.metadata?.annotations, [REVISION_ANNOTATION]: String(revision) };
    return this.registry.update(DEPLOYMENTS, d.metadata?.namespace, d.metadata?.name ?? '', { ...d, metadata: { ...d.metadata, annotations } });
  }

  writeStatus(d: KubeObject, status: JsonObject): Promise<KubeObject> {
    return this.registry.updateStatus(DEPLOYMENTS, d.metadata?.namespace, d.metadata?.name ?? '', { ...d, status });
  }

  /**
   * Makes a plan's writes in order (each update on the latest version of its set), sets the
   * Deployment's revision, then writes `status` when it differs from the observed one. A new
   * set that already exists is our own earlier create when it is ours with this template (the
   * cache is behind: a Conflict, retried), else a hash collision (collisionCount goes up, and a
   * retry tries the next name).
   */
  async apply({ deployment: observed, plan, status, now }: ApplyPlanInput): Promise<void> {
    let d = observed;
    const latest = new Map<string, KubeObject>();
    for (const w of plan.writes) {
      if (w.type === 'create') {
        const created = await this.createNewReplicaSet(d, w.replicaSet, now);
        latest.set(created.metadata?.name ?? '', created);
        if (w.event) this.record(d, 'Normal', 'ScalingReplicaSet', w.event);
      } else if (w.type === 'update') {
        const name = w.base.metadata?.name ?? '';
        const base = latest.get(name) ?? w.base;
        const spec = { ...(base.spec as JsonObject), replicas: w.replicas, ...(w.minReadySeconds === undefined ? {} : { minReadySeconds: w.minReadySeconds }) };
        latest.set(name, await this.updateReplicaSet({ ...base, metadata: { ...base.metadata, annotations: w.annotations }, spec }));
        if (w.event) this.record(d, 'Normal', 'ScalingReplicaSet', w.event);
      } else {
        await this.deleteReplicaSet(w.replicaSet);
      }
    }
    if (plan.revision !== undefined) d = await this.writeRevision(d, plan.revision);
    const next = statusJson(status);
    if (JSON.stringify(statusJson(currentStatus(observed))) !== JSON.stringify(next)) await this.writeStatus(d, next);
  }

  /** Creates the new ReplicaSet; on AlreadyExists, tells our own earlier create from a hash collision. */
  private async createNewReplicaSet(d: KubeObject, wanted: KubeObject, now: number): Promise<KubeObject> {
    const name = wanted.metadata?.name ?? '';
    try {
      return await this.createReplicaSet(wanted);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.reason === 'AlreadyExists') {
        const existing = await this.registry.get(REPLICA_SETS, wanted.metadata?.namespace, name);
        if (controllerRefOf(existing)?.uid === d.metadata?.uid && findNewReplicaSet(d, [existing])) {
          throw ApiError.conflict(REPLICA_SETS, name, 'the new replica set exists and the cache has not seen it yet');
        }
        const status = currentStatus(d);
        status.collisionCount = (status.collisionCount ?? 0) + 1;
        await this.writeStatus(d, statusJson(status));
        throw err;
      }
      const msg = `Failed to create new replica set "${name}": ${err.message}`;
      if (deploymentSpec(d).progressDeadlineSeconds !== undefined) {
        const status = currentStatus(d);
        setCondition(status, newCondition('Progressing', 'False', REASONS.failedCreate, msg, now));
        await this.writeStatus(d, statusJson(status)).catch(() => undefined);
      }
      this.record(d, 'Warning', REASONS.failedCreate, msg);
      throw err;
    }
  }

  record(d: KubeObject, type: EventType, reason: string, message: string): void {
    void this.events.record(refTo(d), type, reason, message);
  }
}
