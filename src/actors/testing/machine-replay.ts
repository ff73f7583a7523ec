/**
 * What a model test (@xstate/graph over a machine, invariants on every edge) needs besides the
 * explorer: the events a clock or an invoked effect would send, and a replay of one edge that
 * returns the actions it ran (as pod/machine.model.test.ts does), plus the input each effect
 * child was started with.
 */
import {
  __unsafe_getAllOwnEventDescriptors,
  createActor,
  type ActorScope,
  type AnyActorRef,
  type AnyStateMachine,
  type EventObject,
  type ExecutableActionObject,
  type InputFrom,
  type SnapshotFrom,
} from 'xstate';

/** Delayed transitions (`after`) of this state as events, so the explorer fires them as the clock would. */
export function delayedEvents<E extends EventObject>(state: { _nodes?: unknown }): E[] {
  return __unsafe_getAllOwnEventDescriptors(state as never)
    .filter((type) => type.startsWith('xstate.after.'))
    .map((type) => ({ type }) as unknown as E);
}

/** The event an invoked actor `id` sends when it resolves with `output`. */
export function doneEvent<E extends EventObject>(id: string, output: unknown): E {
  return { type: `xstate.done.actor.${id}`, output, actorId: id } as unknown as E;
}

/** The event an invoked actor `id` sends when it rejects with `error`. */
export function errorEvent<E extends EventObject>(id: string, error: unknown): E {
  return { type: `xstate.error.actor.${id}`, error, actorId: id } as unknown as E;
}

/**
 * xstate's pure `transition()` with one reused, inert actor scope: the next snapshot and the
 * actions the edge ran (named ones; built-in assigns are applied, not listed).
 */
export function createReplayer<M extends AnyStateMachine>(machine: M, input: InputFrom<M>) {
  const self = createActor(machine, { input });
  let actions: ExecutableActionObject[] = [];
  const scope = {
    self,
    id: '',
    sessionId: '',
    logger: () => {},
    defer: () => {},
    emit: () => {},
    system: self.system,
    stopChild: () => {},
    actionExecutor: (action: ExecutableActionObject) => void actions.push(action),
  } as unknown as ActorScope<SnapshotFrom<M>, EventObject>;
  return (state: SnapshotFrom<M>, event: EventObject): [SnapshotFrom<M>, ExecutableActionObject[]] => {
    actions = [];
    const next = machine.transition(state, event, scope) as SnapshotFrom<M>;
    return [next, actions];
  };
}

/** The input an (unstarted) invoked child was created with; undefined when there is no such child. */
export function childInput<T>(snapshot: { children: Record<string, AnyActorRef | undefined> }, id: string): T | undefined {
  const child = snapshot.children[id];
  return child ? ((child.getSnapshot() as { input?: T }).input as T) : undefined;
}

/** Names and params of the named actions an edge ran. */
export function actionsNamed<P = unknown>(actions: readonly ExecutableActionObject[], type: string): P[] {
  return actions.filter((a) => a.type === type).map((a) => a.params as P);
}
