/**
 * The garbage collector (Kubernetes' garbagecollector.go): follows ownerReferences across every
 * kind that can carry them.
 *
 * - Background: a dependent none of whose owners exists any more (uid gone, checked with a live
 *   read before acting) is deleted; one with a live owner and a dangling one loses the dangling
 *   reference instead.
 * - Orphan: an owner marked for deletion with the `orphan` finalizer (the Registry adds it for
 *   propagationPolicy=Orphan) has its reference removed from every dependent, then the finalizer.
 * - Foreground: an owner marked with `foregroundDeletion` has its dependents deleted (those with
 *   blockOwnerDeletion first, a dependent with dependents of its own in the foreground too); when
 *   no blocking dependent is left, the finalizer goes and the Registry removes the owner.
 *
 * Informer handlers keep the ownership graph and enqueue uids; `process(uid)` decides for one
 * object from the graph and acts through the Registry. Failures are retried with backoff.
 */
import pino, { type Logger } from 'pino';
import { allResources, findKind, isReview, type ResourceInfo } from '../../api/kinds.ts';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import type { Registry } from '../../registry/registry.ts';
import type { PropagationPolicy } from '../../registry/types.ts';
import type { ControllerDeps, ControllerFactory } from '../controller-kit/controller.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import { isNotFound, retryOnConflict } from '../../registry/retry-on-conflict.ts';
import type { Store } from '../../store/types.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';
import { OwnershipGraph, ownerUids, type GraphNode } from './graph.ts';

export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

/**
 * Events are many and never own anything: the one kind not followed. A version served by
 * conversion holds no objects of its own (its stored version is followed).
 */
const followed = (info: ResourceInfo): boolean => info.kind !== 'Event' && info.storageVersion === info.version && !isReview(info);

export interface GarbageCollectorOptions {
  store: Store;
  registry: Registry;
  logger?: Logger;
  workers?: number;
}

/** What an owner reference points at, as seen from a dependent. */
type OwnerState = 'solid' | 'dangling' | 'waitingForDependents';

export class GarbageCollector {
  private readonly graph = new OwnershipGraph();
  private readonly informers: ObjectInformer[];
  private readonly queue: WorkQueue;
  private readonly log: Logger;

  constructor(private readonly opts: GarbageCollectorOptions) {
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.queue = new WorkQueue((uid) => this.process(uid), {
      workers: opts.workers,
      onError: (uid, err) => this.log.warn({ err, uid }, 'garbage collection failed; retrying'),
    });
    this.informers = allResources()
      .filter(followed)
      .map((info) =>
        objectInformer(opts.store, info, {
          onAdd: (obj) => this.added(info, obj),
          onUpdate: (_old, obj) => this.added(info, obj),
          onDelete: (obj) => this.deleted(obj),
        }),
      );
  }

  /** Fills the graph from every kind, then starts acting (decisions need the whole graph). */
  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
    this.queue.start();
  }

  stop(): void {
    this.queue.stop();
    for (const i of this.informers) i.stop();
  }

  /** True when nothing is queued or running (tests wait on it). */
  idle(): boolean {
    return this.queue.length === 0;
  }

  // ---- graph upkeep ----

  private added(info: ResourceInfo, obj: KubeObject): void {
    const uid = obj.metadata?.uid ?? '';
    const previous = this.graph.upsert(info, obj)?.obj;
    if (previous && previous.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
    const refsChanged = JSON.stringify(previous?.metadata?.ownerReferences ?? []) !== JSON.stringify(obj.metadata?.ownerReferences ?? []);
    const deletionChanged =
      previous?.metadata?.deletionTimestamp !== obj.metadata?.deletionTimestamp ||
      JSON.stringify(previous?.metadata?.finalizers ?? []) !== JSON.stringify(obj.metadata?.finalizers ?? []);
    if (!previous || refsChanged || deletionChanged) {
      if (ownerUids(obj).length > 0 || hasGcFinalizer(obj)) this.queue.add(uid);
    }
    // An owner no longer named may be waiting for this dependent to go.
    if (previous && refsChanged) for (const owner of ownerUids(previous)) this.queue.add(owner);
  }

  private deleted(obj: KubeObject): void {
    const uid = obj.metadata?.uid ?? '';
    this.graph.remove(obj);
    for (const dependent of this.graph.dependentsOf(uid)) this.queue.add(dependent.obj.metadata?.uid ?? '');
    for (const owner of ownerUids(obj)) this.queue.add(owner);
  }

  // ---- decisions ----

  private async process(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (!node) return;
    const meta = node.obj.metadata ?? {};
    const finalizers = meta.finalizers ?? [];
    if (meta.deletionTimestamp && finalizers.includes(ORPHAN_FINALIZER)) {
      await this.orphanDependents(node);
      await this.removeFinalizer(node, ORPHAN_FINALIZER);
      return;
    }
    if (meta.deletionTimestamp && finalizers.includes(FOREGROUND_FINALIZER) && this.deleteDependentsFirst(node)) {
      await this.removeFinalizer(node, FOREGROUND_FINALIZER);
      return;
    }
    // Something already being deleted is only helped along when it waits for its own dependents.
    if (meta.deletionTimestamp && !finalizers.includes(FOREGROUND_FINALIZER)) return;
    if (ownerUids(node.obj).length > 0) await this.attemptToDelete(node);
  }

  /**
   * Foreground: queues every dependent (blocking ones first) so each is deleted as a dependent
   * of an owner waiting for it; true when no blocking dependent is left.
   */
  private deleteDependentsFirst(owner: GraphNode): boolean {
    const ownerUid = owner.obj.metadata?.uid;
    const dependents = this.graph.dependentsOf(ownerUid ?? '');
    const blocking = dependents.filter((d) => refTo(d.obj, ownerUid)?.blockOwnerDeletion === true);
    for (const d of [...blocking, ...dependents.filter((x) => !blocking.includes(x))]) {
      if (!d.obj.metadata?.deletionTimestamp) this.queue.add(d.obj.metadata?.uid ?? '');
    }
    return blocking.length === 0;
  }

  /** Kubernetes' attemptToDeleteItem for a dependent. */
  private async attemptToDelete(node: GraphNode): Promise<void> {
    const refs = node.obj.metadata?.ownerReferences ?? [];
    const states = await Promise.all(refs.map((ref) => this.ownerState(node, ref)));
    const gone = refs.filter((_, i) => states[i] !== 'solid');
    if (gone.length === 0) return;
    if (states.includes('solid')) {
      await this.removeOwnerRefs(node, new Set(gone.map((r) => String(r.uid))));
      return;
    }
    const waited = states.includes('waitingForDependents');
    const policy: PropagationPolicy =
      waited && this.graph.dependentsOf(node.obj.metadata?.uid ?? '').length > 0 ? 'Foreground' : ownPolicy(node.obj);
    await this.deleteObject(node, policy);
  }

  /** Whether the owner `ref` names exists (a live read confirms an absence the cache shows). */
  private async ownerState(dependent: GraphNode, ref: JsonObject): Promise<OwnerState> {
    const info = typeof ref.apiVersion === 'string' && typeof ref.kind === 'string' ? findKind(ref.apiVersion, ref.kind) : undefined;
    // An owner of a kind not served here cannot be checked: never delete on a guess.
    if (!info || typeof ref.name !== 'string') return 'solid';
    let owner = this.graph.get(String(ref.uid))?.obj;
    if (!owner) {
      try {
        owner = await this.opts.registry.get(info, info.namespaced ? dependent.obj.metadata?.namespace : undefined, ref.name);
      } catch (err) {
        if (isNotFound(err)) return 'dangling';
        throw err;
      }
      if (owner.metadata?.uid !== ref.uid) return 'dangling';
    }
    const meta = owner.metadata ?? {};
    return meta.deletionTimestamp && (meta.finalizers ?? []).includes(FOREGROUND_FINALIZER) ? 'waitingForDependents' : 'solid';
  }

  // ---- writes ----

  private async orphanDependents(owner: GraphNode): Promise<void> {
    const uid = owner.obj.metadata?.uid ?? '';
    await Promise.all(this.graph.dependentsOf(uid).map((d) => this.removeOwnerRefs(d, new Set([uid]))));
  }

  private async deleteObject(node: GraphNode, propagationPolicy: PropagationPolicy): Promise<void> {
    const meta = node.obj.metadata ?? {};
    try {
      await this.opts.registry.delete(node.info, meta.namespace, meta.name ?? '', { propagationPolicy, preconditions: { uid: meta.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async removeOwnerRefs(node: GraphNode, uids: ReadonlySet<string>): Promise<void> {
    await this.rewrite(node, (meta) => {
      const refs = meta.ownerReferences ?? [];
      const kept = refs.filter((r) => !uids.has(String(r.uid)));
      if (kept.length === refs.length) return false;
      if (kept.length > 0) meta.ownerReferences = kept;
      else delete meta.ownerReferences;
      return true;
    });
  }

  private async removeFinalizer(node: GraphNode, finalizer: string): Promise<void> {
    await this.rewrite(node, (meta) => {
      const finalizers = meta.finalizers ?? [];
      if (!finalizers.includes(finalizer)) return false;
      meta.finalizers = finalizers.filter((f) => f !== finalizer);
      return true;
    });
  }

  /** Read-modify-write of the object's metadata while it is the same object; `change` says whether it changed anything. */
  private async rewrite(node: GraphNode, change: (meta: NonNullable<KubeObject['metadata']>) => boolean): Promise<void> {
    const { namespace, name = '', uid } = node.obj.metadata ?? {};
    try {
      await retryOnConflict(async () => {
        const current = await this.opts.registry.get(node.info, namespace, name);
        if (current.metadata?.uid !== uid) return;
        const metadata = { ...current.metadata };
        if (!change(metadata)) return;
        await this.opts.registry.update(node.info, namespace, name, { ...current, metadata });
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

function hasGcFinalizer(obj: KubeObject): boolean {
  const finalizers = obj.metadata?.finalizers ?? [];
  return finalizers.includes(ORPHAN_FINALIZER) || finalizers.includes(FOREGROUND_FINALIZER);
}

function refTo(obj: KubeObject, ownerUid: string | undefined): JsonObject | undefined {
  return (obj.metadata?.ownerReferences ?? []).find((r) => r.uid === ownerUid);
}

/** How a dependent is deleted when its owners are gone: by its own GC finalizer, else in the background. */
function ownPolicy(obj: KubeObject): PropagationPolicy {
  const finalizers = obj.metadata?.finalizers ?? [];
  if (finalizers.includes(ORPHAN_FINALIZER)) return 'Orphan';
  if (finalizers.includes(FOREGROUND_FINALIZER)) return 'Foreground';
  return 'Background';
}

/** The garbage collector as a leader-only controller. */
export const garbageCollectorFactory: ControllerFactory = (deps: ControllerDeps) =>
  new GarbageCollector({ store: deps.store, registry: deps.registry, logger: deps.logger });
