/**
 * A pure model of an actor system, for model-based tests that explore a machine together with
 * the machines it spawns (a pod and its container actors): the system's state is every actor's
 * snapshot plus the timers pending, and one step delivers one event (or fires one timer) and runs
 * the system until it is quiet, as xstate's actors would, using each machine's pure
 * `transition()`. Wrapped as an actor logic, @xstate/graph explores it like a single machine.
 *
 * What it mirrors of xstate v5's runtime (Actor, Mailbox, createSystem):
 * - each actor has a mailbox; an event sent to an idle actor is processed at once, one sent to a
 *   busy one waits its turn; named (custom) actions run during the transition, built-in ones
 *   (sendTo, sendParent, spawn's start, stop) after the actor's snapshot is updated, in order;
 * - `spawnChild` (and `invoke`) creates the child with its initial snapshot and starts it once
 *   the parent's transition is done; a stopped child is removed with its children and timers;
 * - delayed `raise`/`sendTo` (and `after`) become timers; `cancel` clears one. A timer fires when
 *   the explorer chooses (any pending timer, in any order: a superset of what a clock allows).
 *
 * Children whose logic is not a state machine (callback and promise actors, or machines not
 * listed in `interpret`) are opaque: the model knows they exist and with what input, nothing more.
 * Effects are the named actions each step ran (`effects`), in order, for invariants to inspect.
 */
import type { AnyActorRef, AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';

/** One actor of the modelled system. */
export interface ModelActor {
  /** '' for the root; a child's is its parent's path, '/', its id. */
  path: string;
  id: string;
  src: string | undefined;
  input: unknown;
  /** An interpreted machine's snapshot; undefined for an opaque child. */
  snapshot?: AnyMachineSnapshot;
}

/** A delayed event waiting to be sent. */
export interface ModelTimer {
  key: string;
  source: string;
  target: string;
  event: EventObject;
}

/** A named action an actor ran. */
export interface ModelEffect {
  actor: string;
  type: string;
  params: unknown;
}

export interface SystemSnapshot {
  readonly actors: ReadonlyMap<string, ModelActor>;
  readonly timers: ReadonlyMap<string, ModelTimer>;
  /** The named actions the step that led here ran, in order. */
  readonly effects: readonly ModelEffect[];
}

/** One step: an event delivered to an actor (by path), or a pending timer fired (by key). */
export type SystemEvent = { type: 'deliver'; to: string; event: EventObject } | { type: 'fire'; timer: string };

export interface SystemModelOptions {
  /** Which children to interpret by their `src` (e.g. `container`); the others are opaque. */
  interpret: readonly string[];
}

type Action = { type: string; params: unknown };

function isMachine(logic: unknown): logic is AnyStateMachine {
  return typeof logic === 'object' && logic !== null && 'root' in logic && 'transition' in logic && 'getInitialSnapshot' in logic;
}

function parentPath(path: string): string {
  return path.slice(0, Math.max(0, path.lastIndexOf('/')));
}

function childPath(parent: string, id: string): string {
  return `${parent}/${id}`;
}

function timerKey(source: string, id: string): string {
  return `${source}#${id}`;
}

/** A do-nothing actor system: inert child refs created by `spawnChild` register here and are forgotten. */
function inertSystem() {
  let n = 0;
  const system = {
    _bookId: () => `model:${n++}`,
    _register: (sessionId: string) => sessionId,
    _unregister: () => {},
    _set: () => {},
    get: () => undefined,
    getAll: () => ({}),
    inspect: () => ({ unsubscribe: () => {} }),
    _sendInspectionEvent: () => {},
    _relay: () => {},
    scheduler: { schedule: () => {}, cancel: () => {}, cancelAll: () => {} },
    getSnapshot: () => ({ _scheduledEvents: {} }),
    start: () => {},
    _snapshot: { _scheduledEvents: {} },
    _clock: { setTimeout: () => 0, clearTimeout: () => {} },
    _logger: () => {},
  };
  return system;
}

const SYSTEM = inertSystem();

/** The stand-in for an actor's `self` (sendParent reads `self._parent`). */
interface FakeRef {
  id: string;
  sessionId: string;
  path: string;
  _parent?: FakeRef;
  system: typeof SYSTEM;
  send: () => void;
}

const FAKE_REFS = new Map<string, FakeRef>();
const IS_FAKE = new WeakSet<object>();

function fakeRef(path: string): FakeRef {
  let ref = FAKE_REFS.get(path);
  if (!ref) {
    const id = path.slice(path.lastIndexOf('/') + 1);
    ref = { id, sessionId: path, path, ...(path === '' ? {} : { _parent: fakeRef(parentPath(path)) }), system: SYSTEM, send: () => {} };
    FAKE_REFS.set(path, ref);
    IS_FAKE.add(ref);
  }
  return ref;
}

/** One step's run of the system: copies of the maps, mailboxes, the effects. */
class Run {
  readonly actors: Map<string, ModelActor>;
  readonly timers: Map<string, ModelTimer>;
  readonly effects: ModelEffect[] = [];
  private readonly mailboxes = new Map<string, EventObject[]>();
  private readonly busy = new Set<string>();
  /** Initial actions of children created but not started yet. */
  private readonly pendingStart = new Map<string, (() => void)[]>();
  private anonymousTimers = 0;

  constructor(
    from: SystemSnapshot | undefined,
    private readonly options: SystemModelOptions,
  ) {
    this.actors = new Map(from?.actors);
    this.timers = new Map(from?.timers);
  }

  snapshot(): SystemSnapshot {
    return { actors: this.actors, timers: this.timers, effects: this.effects };
  }

  /** The root machine's initial snapshot, its entry actions run as `start()` runs them. */
  startRoot(machine: AnyStateMachine, input: unknown): void {
    const pending: (() => void)[] = [];
    const snapshot = machine.getInitialSnapshot(this.scope('', pending, false) as never, input) as AnyMachineSnapshot;
    this.actors.set('', { path: '', id: machine.id, src: undefined, input, snapshot });
    this.flush(pending);
  }

  send(path: string, event: EventObject): void {
    if (!this.actors.get(path)?.snapshot) return;
    let box = this.mailboxes.get(path);
    if (!box) this.mailboxes.set(path, (box = []));
    box.push(event);
    if (this.busy.has(path)) return;
    this.busy.add(path);
    try {
      for (let next = box.shift(); next !== undefined; next = box.shift()) this.process(path, next);
    } finally {
      this.busy.delete(path);
    }
  }

  fire(key: string): void {
    const timer = this.timers.get(key);
    if (!timer) return;
    this.timers.delete(key);
    this.send(timer.target, timer.event);
  }

  private process(path: string, event: EventObject): void {
    const actor = this.actors.get(path);
    if (!actor?.snapshot || actor.snapshot.status !== 'active') return;
    const deferred: (() => void)[] = [];
    const next = actor.snapshot.machine.transition(actor.snapshot, event, this.scope(path, deferred, true) as never) as AnyMachineSnapshot;
    if (next.status === 'done' && path !== '') throw new Error(`${path} reached a final state: not modelled`);
    this.actors.set(path, { ...actor, snapshot: next });
    this.flush(deferred);
  }

  private flush(deferred: (() => void)[]): void {
    for (let fn = deferred.shift(); fn !== undefined; fn = deferred.shift()) fn();
  }

  /** An actor scope whose executor interprets built-in actions and records named ones. */
  private scope(path: string, deferred: (() => void)[], running: boolean) {
    const self = fakeRef(path);
    return {
      self,
      id: self.id,
      sessionId: path,
      logger: () => {},
      defer: (fn: () => void) => void deferred.push(fn),
      emit: () => {},
      system: SYSTEM,
      stopChild: () => {},
      actionExecutor: (action: Action) => {
        if (running) this.execute(path, action, deferred);
        else deferred.push(() => this.execute(path, action, deferred));
      },
    };
  }

  private targetOf(path: string, to: unknown): string {
    if (typeof to === 'string') return childPath(path, to);
    // `self` or `self._parent` (sendParent), else a child's ref.
    if (typeof to === 'object' && to !== null && IS_FAKE.has(to)) return (to as FakeRef).path;
    return childPath(path, String((to as { id: string }).id));
  }

  private execute(path: string, action: Action, deferred: (() => void)[]): void {
    switch (action.type) {
      case 'xstate.sendTo': {
        const { to, event, id, delay } = action.params as { to: unknown; event: EventObject; id?: string; delay?: number };
        const target = this.targetOf(path, to);
        if (typeof delay === 'number') this.schedule(path, target, event, id);
        else deferred.push(() => this.send(target, event));
        return;
      }
      case 'xstate.raise': {
        const { event, id, delay } = action.params as { event: EventObject; id?: string; delay?: number };
        if (typeof delay === 'number') this.schedule(path, path, event, id);
        return;
      }
      case 'xstate.cancel': {
        const { sendId } = action.params as { sendId: string };
        this.timers.delete(timerKey(path, sendId));
        return;
      }
      case 'xstate.spawnChild': {
        const { actorRef, src, input } = action.params as { actorRef?: AnyActorRef; src: unknown; input: unknown };
        if (actorRef) this.spawn(path, actorRef, typeof src === 'string' ? src : undefined, input, deferred);
        return;
      }
      case 'xstate.stopChild': {
        const ref = action.params as AnyActorRef | undefined;
        if (ref) deferred.push(() => this.remove(childPath(path, ref.id)));
        return;
      }
      default:
        if (action.type.startsWith('xstate.')) return;
        this.effects.push({ actor: path, type: action.type, params: action.params });
    }
  }

  private schedule(source: string, target: string, event: EventObject, id: string | undefined): void {
    const key = timerKey(source, id ?? `timer${this.anonymousTimers++}`);
    this.timers.set(key, { key, source, target, event });
  }

  private spawn(parent: string, ref: AnyActorRef, src: string | undefined, input: unknown, deferred: (() => void)[]): void {
    const path = childPath(parent, ref.id);
    const logic = (ref as unknown as { logic: unknown }).logic;
    if (!isMachine(logic) || src === undefined || !this.options.interpret.includes(src)) {
      this.actors.set(path, { path, id: ref.id, src, input });
      return;
    }
    const pending: (() => void)[] = [];
    const snapshot = logic.getInitialSnapshot(this.scope(path, pending, false) as never, input) as AnyMachineSnapshot;
    this.actors.set(path, { path, id: ref.id, src, input, snapshot });
    this.pendingStart.set(path, pending);
    deferred.push(() => {
      const initial = this.pendingStart.get(path);
      this.pendingStart.delete(path);
      if (initial && this.actors.has(path)) this.flush(initial);
    });
  }

  private remove(path: string): void {
    const inside = (p: string) => p === path || p.startsWith(`${path}/`);
    for (const p of [...this.actors.keys()]) if (inside(p)) this.actors.delete(p);
    for (const [key, t] of [...this.timers]) if (inside(t.source)) this.timers.delete(key);
  }
}

/**
 * The system rooted at `machine` as an actor logic over `SystemSnapshot`s and `SystemEvent`s,
 * for @xstate/graph (`getAdjacencyMap(logic, { events, serializeState: serializeSystem, … })`).
 */
export function systemModel(machine: AnyStateMachine, input: unknown, options: SystemModelOptions) {
  return {
    getInitialSnapshot(): SystemSnapshot {
      const run = new Run(undefined, options);
      run.startRoot(machine, input);
      return run.snapshot();
    },
    transition(state: SystemSnapshot, event: SystemEvent): SystemSnapshot {
      const run = new Run(state, options);
      if (event.type === 'deliver') run.send(event.to, event.event);
      else run.fire(event.timer);
      return run.snapshot();
    },
  };
}

/** The machine snapshot of the actor at `path` (throws if it is not an interpreted machine). */
export function machineAt(state: SystemSnapshot, path: string): AnyMachineSnapshot {
  const snapshot = state.actors.get(path)?.snapshot;
  if (!snapshot) throw new Error(`no machine at ${JSON.stringify(path)}`);
  return snapshot;
}

/** The ids of the children of the actor at `path`, sorted. */
export function childrenOf(state: SystemSnapshot, path: string): string[] {
  return [...state.actors.keys()].filter((p) => p !== path && parentPath(p) === path).map((p) => p.slice(path.length + 1)).sort();
}

/**
 * A key for the system's state: every actor's state and context, its children, the timers.
 * `context` may leave out what cannot tell two states apart (derived or constant fields).
 */
export function serializeSystem(state: SystemSnapshot, context: (path: string, context: unknown) => unknown = (_, c) => c): string {
  const actors = [...state.actors.values()]
    .sort((a, b) => (a.path < b.path ? -1 : 1))
    .map((a) => (a.snapshot ? [a.path, a.snapshot.value, context(a.path, a.snapshot.context), a.snapshot.status] : [a.path, a.src, a.input]));
  const timers = [...state.timers.values()].map((t) => [t.key, t.target, t.event]).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
  return JSON.stringify([actors, timers]);
}

/** One edge of the explored graph: from a state, an event, to the state it led to (with its effects). */
export interface SystemEdge {
  state: SystemSnapshot;
  event: SystemEvent;
  next: SystemSnapshot;
}

export interface ExploreOptions {
  /** The events to try in a state. */
  events(state: SystemSnapshot): SystemEvent[];
  /** The state's key: equal keys are one state. */
  serialize(state: SystemSnapshot): string;
  /** States reached and checked, but not explored further (bounds an infinite graph). */
  stopWhen?(state: SystemSnapshot): boolean;
  /** Fails past this many states (a runaway exploration is a failure, not a hang). */
  limit: number;
  /** Called for every edge, once. */
  visit(edge: SystemEdge): void;
}

/**
 * Breadth-first walk of every state the system reaches from its initial one, calling `visit` on
 * every edge (an @xstate/graph adjacency walk, with each state keyed once when first reached and
 * edges streamed rather than kept: the product of a pod's actors is large). Returns the number of
 * states and edges.
 */
export function exploreSystem(model: ReturnType<typeof systemModel>, options: ExploreOptions): { states: number; edges: number } {
  const initial = model.getInitialSnapshot();
  const seen = new Set<string>([options.serialize(initial)]);
  const queue: SystemSnapshot[] = [initial];
  let edges = 0;
  for (let i = 0; i < queue.length; i++) {
    const state = queue[i]!;
    // Let the visited states go as the walk moves on.
    queue[i] = undefined as never;
    if (options.stopWhen?.(state)) continue;
    for (const event of options.events(state)) {
      const next = model.transition(state, event);
      edges++;
      options.visit({ state, event, next });
      const key = options.serialize(next);
      if (seen.has(key)) continue;
      seen.add(key);
      if (seen.size > options.limit) throw new Error(`more than ${options.limit} states: the exploration is not bounded`);
      queue.push(next);
    }
  }
  return { states: seen.size, edges };
}
