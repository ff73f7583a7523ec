/**
 * The machine catalogue: every kind's state machine as data (states, transitions with their events,
 * targets, named guards, actions and delays, entry/exit actions, invoked actors), drawn from the
 * machines' own definitions (`machine.root`, what `machine.toJSON()` serializes) — never described
 * by hand, so it cannot drift from what runs. Served at `GET /kactus/v1/machines` and drawn by the
 * visualizer.
 */
import type { AnyStateMachine } from 'xstate';
import { cronJobMachine } from './cronjob/machine.ts';
import { daemonSetMachine } from './daemonset/machine.ts';
import { deploymentMachine } from './deployment/machine.ts';
import { hpaMachine } from './hpa/machine.ts';
import { jobMachine } from './job/machine.ts';
import { nodeMachine } from './node/machine.ts';
import { podMachine } from './pod/machine.ts';
import { containerMachine } from './pod/container-machine.ts';
import { proberMachine } from './pod/prober.ts';
import { replicaMachine } from './replicaset/machine.ts';
import { serviceMachine } from './service/machine.ts';
import { statefulSetMachine } from './statefulset/machine.ts';
import { claimMachine } from './volume/claim-machine.ts';
import { volumeMachine } from './volume/volume-machine.ts';

export interface TransitionDescription {
  /** The event type (`container.exited`), `after` for a delayed one, `always` for an eventless one. */
  event: string;
  /** Target state ids (`pod.running`); empty for a transition that stays (actions only). */
  targets: string[];
  guard?: string;
  actions: string[];
  /** For `after`: the named delay or the milliseconds. */
  delay?: string | number;
}

export interface StateDescription {
  /** Dotted id (`pod.terminating.graceful`). */
  id: string;
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** Id of the initial child (compound states). */
  initial?: string;
  entry: string[];
  exit: string[];
  /** Actors the state invokes while active (`src` is the named actor). */
  invoke: { id: string; src: string }[];
  transitions: TransitionDescription[];
  /** Tags (`busy`, …) the state carries. */
  tags: string[];
  states: StateDescription[];
}

export interface MachineDescription {
  /** The Kubernetes kind the machine is the lifecycle of (`Pod`), or a part of one (`Pod/probe`). */
  kind: string;
  id: string;
  root: StateDescription;
  /** Every event the machine accepts somewhere. */
  events: string[];
  /** The named implementations, as the machine's `setup` declares them. */
  guards: string[];
  actions: string[];
  actors: string[];
  delays: string[];
}

/** Kind → machine, in the order the catalogue lists them. */
export const MACHINES: readonly (readonly [string, AnyStateMachine])[] = [
  ['Pod', podMachine],
  ['Pod/container', containerMachine],
  ['Pod/probe', proberMachine],
  ['Node', nodeMachine],
  ['ReplicaSet', replicaMachine],
  ['Deployment', deploymentMachine],
  ['DaemonSet', daemonSetMachine],
  ['StatefulSet', statefulSetMachine],
  ['Job', jobMachine],
  ['CronJob', cronJobMachine],
  ['HorizontalPodAutoscaler', hpaMachine],
  ['Service', serviceMachine],
  ['PersistentVolumeClaim', claimMachine],
  ['PersistentVolume', volumeMachine],
];

/** The whole catalogue (built once: machine definitions do not change at run time). */
let cached: MachineDescription[] | undefined;
export function machineCatalogue(): MachineDescription[] {
  cached ??= MACHINES.map(([kind, machine]) => describeMachine(kind, machine));
  return cached;
}

/** xstate's own built-in actions (`xstate.raise`/`xstate.cancel` for `after`): not the machine's. */
const isBuiltIn = (name: string): boolean => name.startsWith('xstate.');
const names = (refs: unknown[] | undefined): string[] => (refs ?? []).map(nameOf).filter((n) => !isBuiltIn(n));

/** A name for an implementation reference: `'name'`, `{ type: 'name', params }`, a named function. */
function nameOf(ref: unknown): string {
  if (typeof ref === 'string') return ref;
  if (typeof ref === 'function') return ref.name || 'inline';
  if (typeof ref === 'object' && ref !== null && 'type' in ref && typeof (ref as { type: unknown }).type === 'string') return (ref as { type: string }).type;
  return 'inline';
}

interface JsonTransition {
  eventType?: string | null;
  target?: unknown[];
  guard?: unknown;
  actions?: unknown[];
  delay?: string | number;
}
interface JsonState {
  id: string;
  key: string;
  type: StateDescription['type'];
  initial?: { target?: unknown[] };
  entry?: unknown[];
  exit?: unknown[];
  invoke?: { id?: string; src?: unknown }[];
  transitions?: JsonTransition[];
  tags?: string[];
  states?: Record<string, JsonState>;
}

/** A target as toJSON gives it: `#id`, or (eventless transitions) the target state node itself. */
function targetId(target: unknown): string {
  const id = typeof target === 'string' ? target : ((target as { id?: string }).id ?? '');
  return id.startsWith('#') ? id.slice(1) : id;
}

function describeTransition(t: JsonTransition, always = false): TransitionDescription {
  const event = always ? 'always' : t.delay !== undefined ? 'after' : (t.eventType ?? '');
  const out: TransitionDescription = { event, targets: (t.target ?? []).map(targetId), actions: names(t.actions) };
  if (t.guard !== undefined) out.guard = nameOf(t.guard);
  if (t.delay !== undefined) out.delay = t.delay;
  return out;
}

/** The live state node: `toJSON()` leaves out eventless (`always`) transitions, so they come from here. */
interface LiveStateNode {
  always?: JsonTransition[];
  states?: Record<string, LiveStateNode>;
}

function describeState(s: JsonState, live: LiveStateNode | undefined): StateDescription {
  const out: StateDescription = {
    id: s.id,
    key: s.key,
    type: s.type,
    entry: names(s.entry),
    exit: names(s.exit),
    invoke: (s.invoke ?? []).map((i) => ({ id: i.id ?? '', src: nameOf(i.src) })),
    transitions: [...(s.transitions ?? []).map((t) => describeTransition(t)), ...(live?.always ?? []).map((t) => describeTransition(t, true))],
    tags: s.tags ?? [],
    states: Object.entries(s.states ?? {}).map(([key, child]) => describeState(child, live?.states?.[key])),
  };
  const initial = s.initial?.target?.[0];
  if (initial) out.initial = targetId(initial);
  return out;
}

function collectEvents(state: StateDescription, into: Set<string>): void {
  for (const t of state.transitions) if (t.event !== 'after' && t.event !== 'always' && !t.event.startsWith('xstate.')) into.add(t.event);
  for (const child of state.states) collectEvents(child, into);
}

export function describeMachine(kind: string, machine: AnyStateMachine): MachineDescription {
  const root = describeState(machine.toJSON() as unknown as JsonState, machine.root as unknown as LiveStateNode);
  const events = new Set<string>();
  collectEvents(root, events);
  const impl = machine.implementations as { guards?: object; actions?: object; actors?: object; delays?: object };
  return {
    kind,
    id: machine.id,
    root,
    events: [...events].sort(),
    guards: Object.keys(impl.guards ?? {}).sort(),
    actions: Object.keys(impl.actions ?? {}).sort(),
    actors: Object.keys(impl.actors ?? {}).sort(),
    delays: Object.keys(impl.delays ?? {}).sort(),
  };
}

/** Each kind's machine config as JSON (built once per kind). */
const definitions = new Map<string, string>();

/**
 * A kind's machine definition (its config) as JSON, what `@statelyai/inspect` sends as an actor's
 * `definition` (the event stream's `format=stately`); implementations appear as `{ type: name }`,
 * as the inspector's own serializer writes them. Undefined for a kind without a machine.
 */
export function machineDefinition(kind: string): string | undefined {
  const cached = definitions.get(kind);
  if (cached !== undefined) return cached;
  const machine = MACHINES.find(([k]) => k === kind)?.[1];
  if (!machine) return undefined;
  // A context factory is no implementation to name: left out, as if the context were empty.
  const json = JSON.stringify(machine.config, (key, value: unknown) =>
    typeof value !== 'function' ? value : key === 'context' ? undefined : { type: (value as { name?: string }).name || 'inline' },
  );
  definitions.set(kind, json);
  return json;
}
