/**
 * The actor host: one XState actor per stored object. It follows an Informer: spawns an actor
 * when an object appears, forwards each new version to it, stops it when the object is deleted
 * (or replaced by a new object with the same name and another uid). After a restart the
 * informer's first list re-creates every actor from the store, so actor state is always derived
 * from stored state (level-triggered) and nothing depends on in-memory history.
 */
import type { AnyActorRef } from 'xstate';
import type { Informer } from '../store/informer.ts';
import type { ActorIdentity, InspectionBus } from './inspection.ts';

export interface ActorHostOptions<T, A extends AnyActorRef> {
  kind: string;
  /** The informer to follow (only its handlers are used: a shared informer's view will do). */
  informer: Pick<Informer<T>, 'addHandlers'>;
  bus: InspectionBus;
  identity(obj: T): Omit<ActorIdentity, 'kind'>;
  /** Whether this host should run an actor for `obj` (e.g. only pods bound to this node). */
  accepts?(obj: T): boolean;
  /** Create and start the actor; pass `inspect` to createActor so transitions are published. */
  spawn(obj: T, inspect: ReturnType<InspectionBus['inspectorFor']>): A;
  /** Tell the actor about a new version of its object. */
  update(actor: A, obj: T): void;
  /** The object is gone (or no longer accepted): let the actor finish, then it is forgotten. */
  remove(actor: A, obj: T): void;
}

export class ActorHost<T, A extends AnyActorRef> {
  private readonly actors = new Map<string, { uid: string; actor: A; identity: ActorIdentity }>();

  constructor(private readonly opts: ActorHostOptions<T, A>) {
    opts.informer.addHandlers({
      onAdd: (obj, key) => this.sync(key, obj),
      onUpdate: (_old, obj, key) => this.sync(key, obj),
      onDelete: (obj, key) => this.drop(key, obj),
    });
  }

  get(key: string): A | undefined {
    return this.actors.get(key)?.actor;
  }

  get size(): number {
    return this.actors.size;
  }

  keys(): string[] {
    return [...this.actors.keys()];
  }

  /** Stop every actor (daemon shutdown); the objects stay in the store. */
  stopAll(): void {
    for (const { actor } of this.actors.values()) actor.stop();
    this.actors.clear();
  }

  private sync(key: string, obj: T): void {
    const accepted = this.opts.accepts?.(obj) ?? true;
    const current = this.actors.get(key);
    const id = this.opts.identity(obj);
    if (current && (!accepted || current.uid !== id.uid)) this.drop(key, obj);
    if (!accepted) return;
    const live = this.actors.get(key);
    if (live) {
      // The inspector reads the identity at each transition: relabelled objects stream their new labels.
      live.identity.labels = id.labels;
      this.opts.update(live.actor, obj);
      return;
    }
    const identity: ActorIdentity = { kind: this.opts.kind, ...id };
    const actor = this.opts.spawn(obj, this.opts.bus.inspectorFor(identity));
    this.actors.set(key, { uid: id.uid, actor, identity });
  }

  private drop(key: string, obj: T): void {
    const current = this.actors.get(key);
    if (!current) return;
    this.actors.delete(key);
    this.opts.remove(current.actor, obj);
  }
}
