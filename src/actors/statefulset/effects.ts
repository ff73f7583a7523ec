/**
 * The StatefulSet controller's other writes, all through the Registry: the set's status, its
 * ControllerRevisions (create, renumber on a rollback, name collisions, history limit), and the
 * adoption and release of member pods its selector matches or stops matching. Pods and claims
 * are stateful-pod-control.ts's.
 */
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import type { Registry } from '../../registry/registry.ts';
import { isNotFound, retryOnConflict } from '../../registry/retry-on-conflict.ts';
import { controllerRefTo } from '../controller-kit/owner-refs.ts';
import { controllerRefOf } from '../controller-kit/pods.ts';
import { CONTROLLER_REVISIONS, PODS, STATEFUL_SETS } from './kinds.ts';
import type { SyncRevisionsInput, SyncRevisionsOutput } from './machine.ts';
import { equalRevision, newRevision, revisionNumber } from './revisions.ts';
import { statusChanged, type StatefulSetStatus } from './status.ts';

/** Name collisions tried before giving up (each bumps the collision count). */
const MAX_COLLISIONS = 10;

export class StatefulSetEffects {
  constructor(private readonly registry: Registry) {}

  /** Writes `status` over the stored one when a field the controller owns differs (re-read on conflict). */
  async writeStatus(set: KubeObject, status: StatefulSetStatus): Promise<void> {
    const namespace = set.metadata?.namespace;
    const name = set.metadata?.name ?? '';
    try {
      await retryOnConflict(async () => {
        const current = await this.registry.get(STATEFUL_SETS, namespace, name);
        if (current.metadata?.uid !== set.metadata?.uid || !statusChanged(current, status)) return;
        const stored = (current.status ?? {}) as JsonObject;
        await this.registry.updateStatus(STATEFUL_SETS, namespace, name, { ...current, status: { ...stored, ...status } });
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * Makes the update revision the newest (Kubernetes' getStatefulSetRevisions writes and
   * CreateControllerRevision), then deletes the history beyond the limit.
   */
  async syncRevisions({ set, updateRevision: name, action, truncate, collisionCount }: SyncRevisionsInput): Promise<SyncRevisionsOutput> {
    const namespace = set.metadata?.namespace;
    let updateRevision = name;
    let count = collisionCount;
    if (action.type === 'create') {
      for (let attempt = 0; ; attempt++) {
        const revision = attempt === 0 ? action.revision : newRevision(set, revisionNumber(action.revision), count);
        const outcome = await this.createRevision(set, revision);
        if (outcome === 'created') {
          updateRevision = revision.metadata?.name ?? '';
          break;
        }
        // The name is another template's, or another owner's: Kubernetes bumps the collision count.
        if (attempt >= MAX_COLLISIONS) throw new Error(`ControllerRevision ${revision.metadata?.name ?? ''}: too many name collisions`);
        count++;
      }
    } else if (action.type === 'renumber') {
      await retryOnConflict(async () => {
        const fresh = await this.registry.get(CONTROLLER_REVISIONS, namespace, action.name);
        if (revisionNumber(fresh) >= action.revision) return;
        await this.registry.update(CONTROLLER_REVISIONS, namespace, action.name, { ...fresh, revision: action.revision });
      });
    }
    for (const name of truncate) {
      try {
        await this.registry.delete(CONTROLLER_REVISIONS, namespace, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return { updateRevision, collisionCount: count };
  }

  /** 'created' (or an equal revision of this set is there already), else 'collision'. */
  private async createRevision(set: KubeObject, revision: KubeObject): Promise<'created' | 'collision'> {
    try {
      await this.registry.create(CONTROLLER_REVISIONS, set.metadata?.namespace, revision);
      return 'created';
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
    }
    const existing = await this.registry.get(CONTROLLER_REVISIONS, set.metadata?.namespace, revision.metadata?.name ?? '');
    const ours = controllerRefOf(existing)?.uid === set.metadata?.uid;
    return ours && equalRevision(existing, revision) ? 'created' : 'collision';
  }

  /** Makes the set the pod's controller (an orphan member its selector matches). False when the pod changed under us. */
  adopt(set: KubeObject, pod: KubeObject): Promise<boolean> {
    return this.updatePodRefs(pod, (refs) => (refs.some((r) => r.controller === true) ? undefined : [...refs, controllerRefTo(STATEFUL_SETS, set)]));
  }

  /** Removes the set's reference from a pod that stopped matching. */
  release(set: KubeObject, pod: KubeObject): Promise<boolean> {
    return this.updatePodRefs(pod, (refs) => {
      const kept = refs.filter((r) => r.uid !== set.metadata?.uid);
      return kept.length === refs.length ? undefined : kept;
    });
  }

  private async updatePodRefs(pod: KubeObject, change: (refs: JsonObject[]) => JsonObject[] | undefined): Promise<boolean> {
    const namespace = pod.metadata?.namespace;
    const name = pod.metadata?.name ?? '';
    try {
      return await retryOnConflict(async () => {
        const current = await this.registry.get(PODS, namespace, name);
        if (current.metadata?.uid !== pod.metadata?.uid || current.metadata?.deletionTimestamp) return false;
        const refs = change(current.metadata?.ownerReferences ?? []);
        if (!refs) return false;
        const metadata = { ...current.metadata };
        if (refs.length > 0) metadata.ownerReferences = refs;
        else delete metadata.ownerReferences;
        await this.registry.update(PODS, namespace, name, { ...current, metadata });
        return true;
      });
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}
