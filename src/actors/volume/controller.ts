/**
 * The PersistentVolume controller (Kubernetes' persistentvolume-controller, with the pvc- and
 * pv-protection controllers and kactus' local provisioner): one actor per claim (claim-machine.ts)
 * and one per volume (volume-machine.ts), which take every decision.
 *
 * Informer handlers only queue keys: a claim's sync when the claim, a volume it names or names it,
 * a pod using it, or a class changes; a volume's sync when the volume or its claim changes. Unbound
 * claims are synced again when a volume or class appears, and everything every `resyncMs` (15 s,
 * Kubernetes' --pvclaimbinder-sync-period). `sync` computes the facts (facts.ts) from the caches,
 * sends them to the object's actor, and runs the I/O the machine's effect actions queued
 * (controller-kit/effect-queue.ts) in order; a failure fails the sync, which the queue retries
 * with backoff. Claims and volumes each have one worker, as in Kubernetes, so two claims never
 * race for one volume inside this process (across processes the compare-and-swap writes decide).
 */
import { createActor, type Actor } from 'xstate';
import pino, { type Logger } from 'pino';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import { objectKey } from '../../api/metadata.ts';
import type { KubeObject } from '../../api/object.ts';
import { claimRefOf, claimVolumeName, podClaimNames } from '../../api/storage/helpers.ts';
import { ANN_BIND_COMPLETED, LOCAL_PATH_PROVISIONER } from '../../api/storage/names.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import type { ControllerDeps, ControllerFactory } from '../controller-kit/controller.ts';
import { EffectQueue, type Effect } from '../controller-kit/effect-queue.ts';
import { actorState, objectActors, type OwnerControllerOptions } from '../controller-kit/object-actors.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';
import type { ActorHost } from '../host.ts';
import { claimMachine, type ClaimMachine } from './claim-machine.ts';
import { PVCS, PVS, STORAGE_CLASSES, StorageEffects } from './effects.ts';
import { claimFacts, volumeFacts, type StorageView } from './facts.ts';
import { provisionLocalVolume } from './local-provisioner.ts';
import { volumeMachine, type VolumeMachine } from './volume-machine.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;
const NODES = findKind('v1', 'Node') as ResourceInfo;

/** Kubernetes' --pvclaimbinder-sync-period. */
export const DEFAULT_RESYNC_MS = 15_000;

export interface PersistentVolumeControllerOptions extends OwnerControllerOptions {
  /** Period of the full resync (default 15 s); 0 turns it off. */
  resyncMs?: number;
  /** Provisioners whose volumes this controller makes and deletes (default: kactus.io/local-path). */
  localProvisioners?: readonly string[];
  now?: () => Date;
}

type ClaimActor = Actor<ClaimMachine>;
type VolumeActor = Actor<VolumeMachine>;

/** `namespace/name`: how volumes' claimRefs and pods' volumes name claims. */
const claimName = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;

export class PersistentVolumeController {
  private readonly claims: ObjectInformer;
  private readonly volumes: ObjectInformer;
  private readonly classes: ObjectInformer;
  private readonly pods: ObjectInformer;
  private readonly nodes: ObjectInformer;
  private readonly claimHost: ActorHost<KubeObject, ClaimActor>;
  private readonly volumeHost: ActorHost<KubeObject, VolumeActor>;
  private readonly claimQueue: WorkQueue;
  private readonly volumeQueue: WorkQueue;
  private readonly pending = new EffectQueue();
  /** The object each key's current sync observed: what its machine's effects act on. */
  private readonly observed = new Map<string, KubeObject>();
  /** Pod keys by the claims (`namespace/name`) their volumes name. */
  private readonly podsByClaim = new Map<string, Set<string>>();
  /** Volume names by the claim (`namespace/name`) their claimRef names. */
  private readonly volumesByClaim = new Map<string, Set<string>>();
  private readonly effects: StorageEffects;
  private readonly view: StorageView;
  private readonly log: Logger;
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: PersistentVolumeControllerOptions) {
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.effects = new StorageEffects(opts.registry, opts.events, opts.now);
    const onError = (what: string) => (key: string, err: unknown) => this.log.warn({ err, key }, `${what} sync failed; retrying`);
    this.claimQueue = new WorkQueue((key) => this.syncClaim(key), { workers: 1, onError: onError('claim') });
    this.volumeQueue = new WorkQueue((key) => this.syncVolume(key), { workers: 1, onError: onError('volume') });
    this.claims = objectInformer(opts.store, PVCS);
    this.volumes = objectInformer(opts.store, PVS);
    this.classes = objectInformer(opts.store, STORAGE_CLASSES, {
      onAdd: () => this.queueUnboundClaims(),
      onUpdate: () => this.queueUnboundClaims(),
      onDelete: () => this.queueUnboundClaims(),
    });
    this.nodes = objectInformer(opts.store, NODES);
    this.pods = objectInformer(opts.store, PODS, {
      onAdd: (pod, key) => this.podChanged(undefined, pod, key),
      onUpdate: (old, pod, key) => this.podChanged(old, pod, key),
      onDelete: (pod, key) => this.podChanged(pod, undefined, key),
    });
    const localProvisioners = opts.localProvisioners ?? [LOCAL_PATH_PROVISIONER];
    this.view = {
      volume: (name) => this.volumes.get(objectKey(PVS, undefined, name)),
      volumes: () => this.volumes.list(),
      claim: (namespace, name) => this.claims.get(objectKey(PVCS, namespace, name)),
      classes: () => this.classes.list(),
      podsUsing: (claim) => this.podsUsing(claim),
      localProvisioners,
    };
    // The hosts follow the informers first: an object's actor exists before its first sync.
    this.claimHost = objectActors<ClaimActor>(PVCS, this.claims, opts.bus, (claim, inspect) => {
      const key = objectKey(PVCS, claim.metadata?.namespace, claim.metadata?.name ?? '');
      const input = { namespace: claim.metadata?.namespace ?? '', name: claim.metadata?.name ?? '', uid: claim.metadata?.uid ?? '' };
      return createActor(this.claimMachineFor(key), { input, inspect }).start();
    });
    this.volumeHost = objectActors<VolumeActor>(PVS, this.volumes, opts.bus, (volume, inspect) => {
      const key = objectKey(PVS, undefined, volume.metadata?.name ?? '');
      return createActor(this.volumeMachineFor(key), { input: { name: volume.metadata?.name ?? '', uid: volume.metadata?.uid ?? '' }, inspect }).start();
    });
    this.claims.addHandlers({
      onAdd: (claim, key) => this.claimChanged(undefined, claim, key),
      onUpdate: (old, claim, key) => this.claimChanged(old, claim, key),
      onDelete: (claim, key) => this.claimChanged(claim, undefined, key),
    });
    this.volumes.addHandlers({
      onAdd: (volume, key) => this.volumeChanged(undefined, volume, key),
      onUpdate: (old, volume, key) => this.volumeChanged(old, volume, key),
      onDelete: (volume, key) => this.volumeChanged(volume, undefined, key),
    });
  }

  async start(): Promise<void> {
    // Pods, classes, nodes and volumes before claims: a claim's first sync sees what it may bind.
    for (const informer of [this.pods, this.classes, this.nodes, this.volumes, this.claims]) await informer.start();
    this.claimQueue.start();
    this.volumeQueue.start();
    const resyncMs = this.opts.resyncMs ?? DEFAULT_RESYNC_MS;
    if (resyncMs > 0) {
      this.resyncTimer = setInterval(() => this.resync(), resyncMs);
      this.resyncTimer.unref();
    }
  }

  stop(): void {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.claimQueue.stop();
    this.volumeQueue.stop();
    for (const informer of [this.claims, this.volumes, this.nodes, this.classes, this.pods]) informer.stop();
    this.claimHost.stopAll();
    this.volumeHost.stopAll();
  }

  /** The claim's machine state (`phase.pending.waitingForFirstConsumer`, …), for tests and the UI. */
  claimState(namespace: string, name: string): string | undefined {
    return actorState(this.claimHost, PVCS, namespace, name);
  }

  /** The volume's machine state. */
  volumeState(name: string): string | undefined {
    return actorState(this.volumeHost, PVS, undefined, name);
  }

  /** True when no sync is queued or running (tests wait on it). */
  idle(): boolean {
    return this.claimQueue.length === 0 && this.volumeQueue.length === 0;
  }

  /** Everything again (Kubernetes' periodic resync): repairs what a lost event or a failed effect left. */
  resync(): void {
    for (const [key] of this.claims.entries()) this.claimQueue.add(key);
    for (const [key] of this.volumes.entries()) this.volumeQueue.add(key);
  }

  // ---- syncs ----

  private async syncClaim(key: string): Promise<void> {
    const claim = this.claims.get(key);
    const actor = this.claimHost.get(key);
    if (!claim || !actor) return this.forget(key);
    this.observed.set(key, claim);
    actor.send({ type: 'claim.observed', facts: claimFacts(claim, this.view) });
    await this.pending.run(key);
  }

  private async syncVolume(key: string): Promise<void> {
    const volume = this.volumes.get(key);
    const actor = this.volumeHost.get(key);
    if (!volume || !actor) return this.forget(key);
    this.observed.set(key, volume);
    actor.send({ type: 'volume.observed', facts: volumeFacts(volume, this.view) });
    await this.pending.run(key);
  }

  private forget(key: string): void {
    this.observed.delete(key);
    this.pending.forget(key);
  }

  /** Queues `effect` on what `key`'s current sync observed. */
  private later(key: string, effect: (obj: KubeObject) => Promise<unknown>): void {
    const obj = this.observed.get(key);
    if (!obj) return;
    const run: Effect = async () => void (await effect(obj));
    this.pending.add(key, run);
  }

  private claimMachineFor(key: string): ClaimMachine {
    const e = this.effects;
    return claimMachine.provide({
      actions: {
        bind: (_, { volume }) => this.later(key, (claim) => (this.settled(claim, volume) ? Promise.resolve() : e.bind(claim, volume))),
        writeStatus: (_, { phase }) => this.later(key, (claim) => e.writeClaimStatus(claim, phase)),
        assignClass: (_, { className }) => this.later(key, (claim) => e.assignClass(claim, className)),
        annotateProvisioner: (_, { provisioner }) => this.later(key, (claim) => e.annotateProvisioner(claim, provisioner)),
        provisionVolume: (_, { node }) =>
          this.later(key, (claim) =>
            provisionLocalVolume(
              {
                registry: this.opts.registry,
                effects: e,
                node: (name) => this.nodes.get(objectKey(NODES, undefined, name)),
                storageClass: (name) => this.classes.get(objectKey(STORAGE_CLASSES, undefined, name)),
                volume: this.view.volume,
              },
              claim,
              node,
            ),
          ),
        recordEvent: (_, event) => this.later(key, (claim) => e.record(claim, PVCS, event)),
        addProtection: () => this.later(key, (claim) => e.setClaimProtection(claim, true)),
        removeProtection: () => this.later(key, (claim) => e.setClaimProtection(claim, false)),
      },
    });
  }

  private volumeMachineFor(key: string): VolumeMachine {
    const e = this.effects;
    return volumeMachine.provide({
      actions: {
        writePhase: (_, { phase, message }) => this.later(key, (volume) => e.writeVolumePhase(volume, phase, message)),
        syncClaim: () =>
          this.later(key, async (volume) => {
            const ref = claimRefOf(volume);
            if (ref) this.claimQueue.add(objectKey(PVCS, ref.namespace, ref.name));
          }),
        unbind: () => this.later(key, (volume) => e.unbind(volume)),
        deleteVolume: () => this.later(key, (volume) => e.deleteVolume(volume)),
        recordEvent: (_, event) => this.later(key, (volume) => e.record(volume, PVS, event)),
        addProtection: () => this.later(key, (volume) => e.setVolumeProtection(volume, true)),
        removeProtection: () => this.later(key, (volume) => e.setVolumeProtection(volume, false)),
      },
    });
  }

  /**
   * Everything a bind would write is already in the caches (the volume names the claim by uid and
   * is Bound; the claim names it, carries bind-completed and is Bound): the bind would only read.
   * What the caches lag behind, the next sync (or the resync) finishes.
   */
  private settled(claim: KubeObject, volumeName: string): boolean {
    const volume = this.view.volume(volumeName);
    const status = (o: KubeObject | undefined) => (o?.status as { phase?: string } | undefined)?.phase;
    return (
      volume !== undefined &&
      claimRefOf(volume)?.uid === claim.metadata?.uid &&
      status(volume) === 'Bound' &&
      claimVolumeName(claim) === volumeName &&
      ANN_BIND_COMPLETED in (claim.metadata?.annotations ?? {}) &&
      status(claim) === 'Bound'
    );
  }

  // ---- what queues what ----

  private claimChanged(old: KubeObject | undefined, claim: KubeObject | undefined, key: string): void {
    const current = claim ?? old;
    if (!current) return;
    if (claim) this.claimQueue.add(key);
    else this.forget(key);
    const name = claimName(current.metadata?.namespace, current.metadata?.name ?? '');
    // The volumes it names or that name it: bound, released, or to be unbound.
    for (const c of [old, claim]) {
      const volumeName = c ? claimVolumeName(c) : '';
      if (volumeName) this.volumeQueue.add(objectKey(PVS, undefined, volumeName));
    }
    for (const volumeName of this.volumesByClaim.get(name) ?? []) this.volumeQueue.add(objectKey(PVS, undefined, volumeName));
  }

  private volumeChanged(old: KubeObject | undefined, volume: KubeObject | undefined, key: string): void {
    const name = (volume ?? old)?.metadata?.name ?? '';
    if (volume) this.volumeQueue.add(key);
    else this.forget(key);
    for (const v of [old, volume]) {
      const ref = v ? claimRefOf(v) : undefined;
      if (ref) this.claimQueue.add(objectKey(PVCS, ref.namespace, ref.name));
    }
    this.reindexVolume(name, old, volume);
    // A volume appeared or changed: claims waiting for one may bind now, claims naming it too.
    this.queueUnboundClaims(name);
  }

  private podChanged(old: KubeObject | undefined, pod: KubeObject | undefined, key: string): void {
    const namespace = (pod ?? old)?.metadata?.namespace;
    const before = old ? podClaimNames(old) : [];
    const after = pod ? podClaimNames(pod) : [];
    for (const name of before) if (!after.includes(name)) this.podsByClaim.get(claimName(namespace, name))?.delete(key);
    for (const name of after) {
      const id = claimName(namespace, name);
      let set = this.podsByClaim.get(id);
      if (!set) this.podsByClaim.set(id, (set = new Set()));
      set.add(key);
    }
    for (const name of new Set([...before, ...after])) this.claimQueue.add(objectKey(PVCS, namespace, name));
  }

  private reindexVolume(name: string, old: KubeObject | undefined, volume: KubeObject | undefined): void {
    const refOf = (v: KubeObject | undefined) => {
      const ref = v ? claimRefOf(v) : undefined;
      return ref ? claimName(ref.namespace, ref.name) : undefined;
    };
    const before = refOf(old);
    const after = refOf(volume);
    if (before && before !== after) this.volumesByClaim.get(before)?.delete(name);
    if (after) {
      let set = this.volumesByClaim.get(after);
      if (!set) this.volumesByClaim.set(after, (set = new Set()));
      set.add(name);
    }
  }

  /** Claims that name no volume (or name `volumeName`): what a new volume or class may change. */
  private queueUnboundClaims(volumeName?: string): void {
    for (const [key, claim] of this.claims.entries()) {
      const named = claimVolumeName(claim);
      if (named === '' || named === volumeName) this.claimQueue.add(key);
    }
  }

  private podsUsing(claim: KubeObject): KubeObject[] {
    const keys = this.podsByClaim.get(claimName(claim.metadata?.namespace, claim.metadata?.name ?? '')) ?? [];
    return [...keys].map((k) => this.pods.get(k)).filter((p): p is KubeObject => p !== undefined);
  }
}

/** The controller the elected master runs (src/master/controllers.ts). */
export const persistentVolumeControllerFactory: ControllerFactory = (deps: ControllerDeps) =>
  new PersistentVolumeController({ store: deps.store, registry: deps.registry, events: deps.events, bus: deps.bus, logger: deps.logger, now: deps.now });
