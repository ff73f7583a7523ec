/**
 * The DaemonSet controller's writes, all through the Registry (never HTTP): create a daemon pod
 * bound to its node, delete one, write status, keep one ControllerRevision per template, and
 * record Events as Kubernetes' daemon-set controller does (SuccessfulCreate, FailedCreate,
 * SuccessfulDelete, FailedDelete, FailedDaemonPod).
 */
import { isRecord, type JsonObject, type KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import type { Registry } from '../../registry/registry.ts';
import { refTo, type EventSink } from '../../registry/event-recorder.ts';
import { isNotFound, retryOnConflict } from '../../registry/retry-on-conflict.ts';
import { CONTROLLER_REVISIONS, DAEMON_SETS } from './kinds.ts';
import { nodeNameOf } from './nodes-to-pods.ts';
import type { PlannedDelete } from './plan.ts';
import { statusChanged } from './status.ts';
import { daemonPodFor, REVISION_HASH_LABEL, templateOf } from './template.ts';
import { controllerRefTo } from '../controller-kit/owner-refs.ts';
import { RealPodControl, type PodControl } from '../controller-kit/pod-control.ts';

const SOURCE = { component: 'daemonset-controller' };

export class DaemonSetEffects {
  private readonly pods: PodControl;

  constructor(
    private readonly registry: Registry,
    private readonly events: EventSink,
    pods?: PodControl,
  ) {
    this.pods = pods ?? new RealPodControl(registry, events, DAEMON_SETS, SOURCE);
  }

  /** Creates the daemon pod for `nodeName` from the current template. */
  async createPod(ds: KubeObject, nodeName: string, hash: string): Promise<void> {
    await this.pods.createPod(ds, daemonPodFor(ds, nodeName, hash));
  }

  /**
   * Deletes a pod; false when it was already gone. A pod whose node is gone goes at once (no
   * node daemon is left to confirm a graceful stop); the others get their grace period.
   */
  async deletePod(ds: KubeObject, { pod, reason }: PlannedDelete): Promise<boolean> {
    if (reason === 'Failed') {
      const name = pod.metadata?.name ?? '';
      void this.record(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${pod.metadata?.namespace ?? ''}/${name} on node ${nodeNameOf(pod)}, will try to kill it`);
    }
    return this.pods.deletePod(ds, pod, reason === 'NodeGone' ? { gracePeriodSeconds: 0 } : {});
  }

  /** Writes `status` when it differs from the stored one (re-read on conflict). */
  async writeStatus(ds: KubeObject, status: JsonObject): Promise<void> {
    const namespace = ds.metadata?.namespace;
    const name = ds.metadata?.name ?? '';
    try {
      await retryOnConflict(async () => {
        const current = await this.registry.get(DAEMON_SETS, namespace, name);
        if (current.metadata?.uid !== ds.metadata?.uid || !statusChanged(current, status)) return;
        await this.registry.updateStatus(DAEMON_SETS, namespace, name, { ...current, status });
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * Makes the ControllerRevision of template `hash` the newest one (created, or an older one
   * renumbered, as after a rollback), then deletes revisions beyond `revisionHistoryLimit`
   * that no live pod still runs (Kubernetes' constructHistory and cleanupHistory).
   */
  async syncRevisions(ds: KubeObject, hash: string, liveHashes: ReadonlySet<string>): Promise<void> {
    const namespace = ds.metadata?.namespace;
    const owned = (await this.registry.list(CONTROLLER_REVISIONS, namespace)).items.filter((r) =>
      (r.metadata?.ownerReferences ?? []).some((ref) => ref.controller === true && ref.uid === ds.metadata?.uid),
    );
    const top = Math.max(0, ...owned.map(revisionOf));
    const current = owned.find((r) => r.metadata?.labels?.[REVISION_HASH_LABEL] === hash);
    if (!current) {
      await this.createRevision(ds, hash, top + 1);
    } else if (revisionOf(current) < top) {
      await retryOnConflict(async () => {
        const fresh = await this.registry.get(CONTROLLER_REVISIONS, namespace, current.metadata?.name ?? '');
        await this.registry.update(CONTROLLER_REVISIONS, namespace, current.metadata?.name ?? '', { ...fresh, revision: top + 1 });
      });
    }
    const limit = isRecord(ds.spec) && typeof ds.spec.revisionHistoryLimit === 'number' ? ds.spec.revisionHistoryLimit : 10;
    const old = owned
      .filter((r) => r !== current && !liveHashes.has(r.metadata?.labels?.[REVISION_HASH_LABEL] ?? ''))
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const r of old.slice(0, Math.max(old.length - limit, 0))) {
      try {
        await this.registry.delete(CONTROLLER_REVISIONS, namespace, r.metadata?.name ?? '', { preconditions: { uid: r.metadata?.uid } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  private async createRevision(ds: KubeObject, hash: string, revision: number): Promise<void> {
    const template = templateOf(ds);
    const meta = isRecord(template.metadata) ? template.metadata : {};
    const labels = { ...(isRecord(meta.labels) ? meta.labels : {}), [REVISION_HASH_LABEL]: hash };
    try {
      await this.registry.create(CONTROLLER_REVISIONS, ds.metadata?.namespace, {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: { name: `${(ds.metadata?.name ?? '').slice(0, 223)}-${hash}`, namespace: ds.metadata?.namespace, labels, ownerReferences: [controllerRefTo(DAEMON_SETS, ds)] },
        // As Kubernetes stores it: a strategic merge patch that replaces the template.
        data: { spec: { template: { ...structuredClone(template), $patch: 'replace' } } },
        revision,
      });
    } catch (err) {
      // Another sync (or an earlier leader) made it: the next sync renumbers it if needed.
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
    }
  }

  private record(ds: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    return this.events.record(refTo({ ...ds, apiVersion: 'apps/v1', kind: 'DaemonSet' }), type, reason, message, { source: SOURCE });
  }
}

function revisionOf(r: KubeObject): number {
  return typeof r.revision === 'number' ? r.revision : 0;
}

