/**
 * The deployment controller's writes, all through the Registry (in process, Kubernetes
 * semantics): ReplicaSets created, resized, adopted, released and deleted; the Deployment's
 * revision annotation and status; Events. Updates carry the resourceVersion the controller read,
 * so a stale cache fails with a Conflict and the sync is retried on fresh data.
 */
import type { JsonObject, KubeObject } from '../../api/object.ts';
import type { Registry } from '../../registry/registry.ts';
import { refTo, type EventSink, type EventType } from '../../registry/event-recorder.ts';
import { isNotFound } from '../../registry/retry-on-conflict.ts';
import { DEPLOYMENTS, REPLICA_SETS, REVISION_ANNOTATION } from './objects.ts';
import { controllerRefTo } from '../controller-kit/owner-refs.ts';

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

  record(d: KubeObject, type: EventType, reason: string, message: string): void {
    void this.events.record(refTo(d), type, reason, message);
  }
}
