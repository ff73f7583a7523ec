/**
 * A machine description as an ELK graph, and ELK's answer as the geometry the statechart draws.
 * Nothing here is placed by hand: every state is a node (compound and parallel states are nodes
 * with children, so ELK lays the hierarchy out at once), every transition to a target is an edge
 * labelled `event [guard] / actions`, an initial state gets an edge from a small initial dot, and
 * transitions that change no state are listed inside their state's box. Pure: the text measure is
 * passed in (a canvas in the browser, an estimate in tests).
 */
import type { ElkExtendedEdge, ElkLabel, ElkNode } from 'elkjs/lib/elk-api.js';
import type { MachineDescription, StateDescription, TransitionDescription } from '../api/types.ts';
import { edgeId } from './state-path.ts';

/** Width in pixels of a text in a given font size. */
export type MeasureText = (text: string, fontSize: number) => number;

export const TITLE_SIZE = 13;
export const DETAIL_SIZE = 11;
export const LABEL_SIZE = 11;
const LINE = 15;
const PAD = 8;
const INITIAL_DOT = 10;

/** One text line inside a state's box. */
export interface StateLine {
  kind: 'entry' | 'exit' | 'invoke' | 'internal' | 'tags';
  text: string;
}

export interface StateBox {
  id: string;
  key: string;
  type: StateDescription['type'];
  depth: number;
  x: number;
  y: number;
  width: number;
  height: number;
  lines: StateLine[];
}

export interface EdgePath {
  /** `<source>-><target>`. */
  id: string;
  /** The transitions it draws (state-path.ts' edge ids: `<source>#<index>-><target>`). */
  transitions: string[];
  source: string;
  target: string;
  /** Polyline, start to end. */
  points: { x: number; y: number }[];
  /** The transition's label, one entry per line (`event [guard]`, `/ actions`). */
  label?: { lines: string[]; x: number; y: number; width: number; height: number };
  /** The edge from a compound state's initial dot. */
  initial: boolean;
}

export interface ChartGeometry {
  width: number;
  height: number;
  states: StateBox[];
  edges: EdgePath[];
  /** Initial dots (their centres). */
  dots: { id: string; x: number; y: number; r: number }[];
}

const LAYOUT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.spacing.nodeNodeBetweenLayers': '28',
  'elk.spacing.nodeNode': '22',
  'elk.spacing.edgeLabel': '4',
  'elk.spacing.edgeNode': '12',
  'elk.layered.spacing.edgeNodeBetweenLayers': '12',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  // Every coordinate relative to the whole drawing: the renderer needs no parent offsets.
  'elk.json.shapeCoords': 'ROOT',
  'elk.json.edgeCoords': 'ROOT',
};

/** Milliseconds as a person reads them (`10s`, `1.5s`, `250ms`). */
function formatDelay(delay: string | number | undefined): string {
  if (delay === undefined) return '';
  if (typeof delay === 'string') return delay;
  if (delay >= 60_000 && delay % 60_000 === 0) return `${delay / 60_000}min`;
  if (delay >= 1000) return `${delay / 1000}s`;
  return `${delay}ms`;
}

/** `event [guard] / a, b` — the statechart's own notation for a transition. */
export function transitionLabel(t: TransitionDescription): string {
  return transitionLabelLines(t).join(' ');
}

/** The label in lines: `event [guard]`, then `/ actions` when there are any (narrower edges). */
export function transitionLabelLines(t: TransitionDescription): string[] {
  const trigger = t.event === 'after' ? `after ${formatDelay(t.delay)}` : t.event;
  const guard = t.guard ? ` [${t.guard}]` : '';
  return t.actions.length > 0 ? [`${trigger}${guard}`, `/ ${t.actions.join(', ')}`] : [`${trigger}${guard}`];
}

/** What a state's box lists: entry/exit actions, invoked actors, tags, and transitions that stay. */
export function stateLines(s: StateDescription): StateLine[] {
  const lines: StateLine[] = [];
  if (s.entry.length > 0) lines.push({ kind: 'entry', text: `entry / ${s.entry.join(', ')}` });
  if (s.exit.length > 0) lines.push({ kind: 'exit', text: `exit / ${s.exit.join(', ')}` });
  for (const inv of s.invoke) lines.push({ kind: 'invoke', text: `invoke ${inv.src}` });
  if (s.tags.length > 0) lines.push({ kind: 'tags', text: `tags: ${s.tags.join(', ')}` });
  // Transitions without a target, grouped when they share guard and actions (a pod forwards eight
  // container events the same way): one line each group, events comma-separated.
  const groups = new Map<string, { events: string[]; t: TransitionDescription }>();
  for (const t of s.transitions) {
    if (t.targets.length > 0) continue;
    const key = `${t.guard ?? ''}/${t.actions.join(',')}/${t.event === 'after' ? formatDelay(t.delay) : ''}`;
    const group = groups.get(key);
    if (group) group.events.push(t.event);
    else groups.set(key, { events: [t.event], t });
  }
  for (const { events, t } of groups.values()) lines.push({ kind: 'internal', text: transitionLabel({ ...t, event: events.join(', ') }) });
  return lines;
}

/** The transitions of one state to one target: drawn as one edge, one label line (or two) each. */
export interface EdgeBundle {
  id: string;
  target: string;
  /** state-path.ts' edge ids of the transitions (`<source>#<index>-><target>`). */
  ids: string[];
  transitions: TransitionDescription[];
}

/** A state's transitions with targets, bundled by target. */
export function edgeBundles(s: StateDescription): EdgeBundle[] {
  const bundles = new Map<string, EdgeBundle>();
  s.transitions.forEach((t, index) => {
    for (const target of t.targets) {
      let bundle = bundles.get(target);
      if (!bundle) bundles.set(target, (bundle = { id: `${s.id}->${target}`, target, ids: [], transitions: [] }));
      bundle.ids.push(edgeId({ source: s.id, index }, target));
      bundle.transitions.push(t);
    }
  });
  return [...bundles.values()];
}

const initialDotId = (s: StateDescription): string => `${s.id}#initial`;

/** The ELK input for a machine: its root state and everything below it. */
export function machineGraph(machine: MachineDescription, measure: MeasureText): ElkNode {
  const edges: ElkExtendedEdge[] = [];
  const node = (s: StateDescription): ElkNode => {
    const lines = stateLines(s);
    const textWidth = Math.max(measure(s.key, TITLE_SIZE), ...lines.map((l) => measure(l.text, DETAIL_SIZE)));
    const headerHeight = PAD + LINE + lines.length * LINE + (lines.length > 0 ? 2 : 0);
    for (const bundle of edgeBundles(s)) {
      const lines = bundle.transitions.flatMap(transitionLabelLines);
      const label: ElkLabel = { text: lines.join('\n'), width: Math.max(...lines.map((l) => measure(l, LABEL_SIZE))) + 4, height: lines.length * LINE };
      edges.push({ id: bundle.id, sources: [s.id], targets: [bundle.target], labels: [label] });
    }
    if (s.states.length === 0) {
      return { id: s.id, width: Math.ceil(textWidth + 2 * PAD), height: headerHeight + PAD - 2 };
    }
    const children = s.states.map(node);
    if (s.initial && s.type !== 'parallel') {
      children.unshift({ id: initialDotId(s), width: INITIAL_DOT, height: INITIAL_DOT });
      edges.push({ id: `${initialDotId(s)}->${s.initial}`, sources: [initialDotId(s)], targets: [s.initial] });
    }
    return {
      id: s.id,
      children,
      layoutOptions: {
        'elk.padding': `[top=${headerHeight + 6},left=${PAD + 4},bottom=${PAD + 4},right=${PAD + 4}]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${Math.ceil(textWidth + 2 * PAD)}, ${headerHeight + 20})`,
        // Parallel regions side by side.
        ...(s.type === 'parallel' ? { 'elk.direction': 'RIGHT' } : {}),
      },
    };
  };
  const root = node(machine.root);
  return { id: '#chart', layoutOptions: LAYOUT_OPTIONS, children: [root], edges };
}

/** ELK's laid-out graph as boxes, dots and polylines. */
export function chartGeometry(machine: MachineDescription, laidOut: ElkNode): ChartGeometry {
  const descriptions = new Map<string, { s: StateDescription; depth: number }>();
  const members = new Map<string, string[]>();
  const index = (s: StateDescription, depth: number): void => {
    descriptions.set(s.id, { s, depth });
    for (const b of edgeBundles(s)) members.set(b.id, b.ids);
    for (const c of s.states) index(c, depth + 1);
  };
  index(machine.root, 0);

  const states: StateBox[] = [];
  const dots: ChartGeometry['dots'] = [];
  const visit = (n: ElkNode): void => {
    const d = descriptions.get(n.id);
    const x = n.x ?? 0;
    const y = n.y ?? 0;
    if (d) {
      states.push({ id: n.id, key: d.s.key, type: d.s.type, depth: d.depth, x, y, width: n.width ?? 0, height: n.height ?? 0, lines: stateLines(d.s) });
    } else if (n.id.endsWith('#initial')) {
      dots.push({ id: n.id, x: x + (n.width ?? 0) / 2, y: y + (n.height ?? 0) / 2, r: (n.width ?? INITIAL_DOT) / 2 });
    }
    for (const c of n.children ?? []) visit(c);
  };
  for (const c of laidOut.children ?? []) visit(c);

  const edges: EdgePath[] = [];
  const collectEdges = (n: ElkNode): void => {
    for (const e of (n.edges ?? []) as ElkExtendedEdge[]) {
      const points = (e.sections ?? []).flatMap((sec) => [sec.startPoint, ...(sec.bendPoints ?? []), sec.endPoint]);
      const l = e.labels?.[0];
      const transitions = members.get(e.id) ?? [];
      const path: EdgePath = { id: e.id, transitions, source: e.sources[0]!, target: e.targets[0]!, points, initial: e.sources[0]!.endsWith('#initial') };
      if (l?.text !== undefined) path.label = { lines: l.text.split('\n'), x: l.x ?? 0, y: l.y ?? 0, width: l.width ?? 0, height: l.height ?? 0 };
      edges.push(path);
    }
    for (const c of n.children ?? []) collectEdges(c);
  };
  collectEdges(laidOut);
  return { width: Math.ceil(laidOut.width ?? 0), height: Math.ceil(laidOut.height ?? 0), states, edges, dots };
}
