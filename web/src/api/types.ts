/**
 * The wire shapes the dashboard reads: Kubernetes objects, Tables and watch events, and kactus'
 * own API — the machine catalogue (`GET /kactus/v1/machines`, src/actors/catalogue.ts), the event
 * stream and actor history (`/kactus/v1/events`, `/kactus/v1/history/...`, DESIGN.md §7 and
 * src/apiserver/events/README.md). Declared here as a client declares them: the browser code
 * imports nothing from the server.
 */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface KubeList<T = KubeObject> {
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

export interface WatchEvent<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** `meta.k8s.io/v1` Table (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`). */
export interface Table {
  kind: 'Table';
  metadata: { resourceVersion?: string };
  columnDefinitions: { name: string; type: string; format?: string; priority?: number; description?: string }[];
  rows: { cells: unknown[]; object: { metadata: ObjectMeta } }[];
}

/** A Kubernetes Status (every error the API returns). */
export interface Status {
  kind: 'Status';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
}

/** core/v1 Event. */
export interface KubeEvent extends KubeObject {
  involvedObject: { kind: string; namespace?: string; name: string; uid?: string; fieldPath?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  source?: { component?: string; host?: string };
}

// --- the machine catalogue ---------------------------------------------------------------

export interface TransitionDescription {
  /** The event type, `after` for a delayed transition, `always` for an eventless one. */
  event: string;
  /** Target state ids; empty for a transition that stays (actions only). */
  targets: string[];
  guard?: string;
  actions: string[];
  delay?: string | number;
}

export interface StateDescription {
  /** Dotted id (`pod.terminating.graceful`). */
  id: string;
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  initial?: string;
  entry: string[];
  exit: string[];
  invoke: { id: string; src: string }[];
  transitions: TransitionDescription[];
  tags: string[];
  states: StateDescription[];
}

export interface MachineDescription {
  /** `Pod`, `Pod/container`, `Pod/probe`, `Node`, … */
  kind: string;
  id: string;
  root: StateDescription;
  events: string[];
  guards: string[];
  actions: string[];
  actors: string[];
  delays: string[];
}

// --- the event stream --------------------------------------------------------------------

/** One actor's state change (also each entry of an actor history). */
export interface Transition {
  index: number;
  /** RFC 3339. */
  time: string;
  kind: string;
  namespace?: string;
  name: string;
  uid: string;
  /** '' for the object's own machine; `container:<name>`, `container:<name>/probe:<kind>` for children. */
  actor: string;
  /** Dotted state path relative to the machine's root ('' before the first state). */
  from: string;
  to: string;
  event: string;
  labels?: Record<string, string>;
}

export type StreamMessage =
  | ({ type: 'transition' } & Transition)
  | ({ type: 'snapshot' } & Transition)
  | { type: 'snapshot-end'; index: number }
  | { type: 'heartbeat'; index: number }
  | { type: 'event'; index: number; time: string; event: KubeEvent };

/** `GET /kactus/v1/history/{kind}/{namespace}/{name}`. */
export interface HistoryList {
  /** The store revision the history was read at. */
  index?: number;
  items: Transition[];
}
