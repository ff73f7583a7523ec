/**
 * The parts every owning controller (ReplicaSet, Deployment, DaemonSet, Job, HPA) wires the same
 * way: one actor per owner object that hears only what `sync` tells it, and the start/stop order
 * of informers and work queue.
 */
import type { AnyActorRef } from 'xstate';
import type { ResourceInfo } from '../../api/kinds.ts';
import { objectKey } from '../../api/metadata.ts';
import type { KubeObject } from '../../api/object.ts';
import type { Logger } from 'pino';
import type { Registry } from '../../registry/registry.ts';
import type { EventSink } from '../../registry/event-recorder.ts';
import type { ObjectInformer } from '../../registry/informers.ts';
import type { Store } from '../../store/types.ts';
import { ActorHost } from '../host.ts';
import { InspectionBus, stateValueToString } from '../inspection.ts';
import type { WorkQueue } from './work-queue.ts';

/** What every owning controller is built from: where to watch, where to write, what to tell. */
export interface OwnerControllerOptions {
  store: Store;
  registry: Registry;
  events: EventSink;
  /** Where the owners' actors publish their transitions (default: a private bus). */
  bus?: InspectionBus;
  logger?: Logger;
  /** Syncs running at once (default: the work queue's). */
  workers?: number;
}

/**
 * An ActorHost with one actor per object of `info` in `informer`: spawned when the object
 * appears, stopped when it goes. Object updates are not forwarded — the controller's sync
 * sends the actor what it observed.
 */
export function objectActors<A extends AnyActorRef>(
  info: ResourceInfo,
  informer: ObjectInformer,
  bus: InspectionBus | undefined,
  spawn: (obj: KubeObject, inspect: ReturnType<InspectionBus['inspectorFor']>) => A,
): ActorHost<KubeObject, A> {
  return new ActorHost<KubeObject, A>({
    kind: info.kind,
    informer,
    bus: bus ?? new InspectionBus(),
    identity: (o) => ({ namespace: o.metadata?.namespace, name: o.metadata?.name ?? '', uid: o.metadata?.uid ?? '', labels: labelsOf(o) }),
    spawn,
    update: () => undefined,
    remove: (actor) => actor.stop(),
  });
}

/** An object's labels as the event stream carries them (its label selectors match these). */
export function labelsOf(obj: KubeObject): Record<string, string> | undefined {
  return obj.metadata?.labels ?? undefined;
}

/** The state of the actor of `info`'s object `namespace/name` (`steady`, `scalingUp`, …), for tests and the UI. */
export function actorState(host: ActorHost<KubeObject, AnyActorRef>, info: ResourceInfo, namespace: string | undefined, name: string): string | undefined {
  const actor = host.get(objectKey(info, namespace, name));
  return actor ? stateValueToString(actor.getSnapshot().value) : undefined;
}

/**
 * Starts informers in the order given (the owned objects' caches before their owners', so a sync
 * never sees an owner without its pods), then the work queue.
 */
export async function startInOrder(informers: readonly ObjectInformer[], queue: WorkQueue): Promise<void> {
  for (const informer of informers) await informer.start();
  queue.start();
}

/** Stops the work queue first (no sync runs against a stopping cache), then the informers and actors. */
export function stopAll(queue: WorkQueue, informers: readonly ObjectInformer[], host?: ActorHost<KubeObject, AnyActorRef>): void {
  queue.stop();
  for (const informer of informers) informer.stop();
  host?.stopAll();
}
