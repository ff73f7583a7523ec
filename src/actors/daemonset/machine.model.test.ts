/**
 * Model test: explores every state the DaemonSet machine reaches from an alphabet of observations
 * (three update strategies × a dozen node/pod situations, a DaemonSet being deleted, a new
 * template, expectations pending), the delayed recheck, and the done / error of whichever effect
 * a round invoked; then checks the DaemonSet's rules on every edge of that graph.
 *
 * The rules are stated from the facts with small oracles of their own (which nodes are down,
 * which pods are old), not by calling the planner they check: one kind of work per round, no
 * effect while expectations are pending, creations only where a pod is missing, retirements
 * within maxUnavailable, surges within maxSurge and never an available old pod before its new
 * one is available, failed pods replaced only out of back-off, status written exactly when it
 * changes, each resting state matching the counts, and `terminating` final.
 *
 * Bounds: the clock starts at T and moves only by observations that advance it (500 ms or
 * 1.5 s, up to T + 2 s), so back-off entries take finitely many values. A state is keyed by what
 * can change its future (state, revision, back-off, time; in a round also the facts and work),
 * not by the last round's facts, which the next observation replaces.
 */
import { adjacencyMapToArray, getAdjacencyMap } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import { createActor, type ActorScope, type AnyEventObject, type ExecutableActionObject, type SnapshotFrom } from 'xstate';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { isAvailable } from '../controller-kit/pods.ts';
import { BUSY, daemonSetMachine, type DaemonSetContext, type DaemonSetEvent, type DaemonSetFacts } from './machine.ts';
import { isFailed, isTerminating, isUpdated, nodeNameOf } from './nodes-to-pods.ts';
import { EMPTY_PLAN } from './plan.ts';
import { placementOn } from './placement.ts';
import { calculateStatus, statusChanged } from './status.ts';
import { daemonPodSpec, templateHash } from './template.ts';

type Snapshot = SnapshotFrom<typeof daemonSetMachine>;

const T = Date.parse('2024-06-01T00:00:00Z');
const LAST_TICK = T + 2000;
const TRAVERSAL_LIMIT = 200_000;

const N1: KubeObject = { metadata: { name: 'n1', labels: { role: 'edge' } } };
const N2: KubeObject = { metadata: { name: 'n2', labels: { role: 'edge' } } };
const N3: KubeObject = { metadata: { name: 'n3', labels: { role: 'core' } } };
const NODES = [N1, N2, N3];

const TEMPLATE = { spec: { nodeSelector: { role: 'edge' }, containers: [{ name: 'd', image: 'busybox:2' }] } };
const NEXT_TEMPLATE = { spec: { nodeSelector: { role: 'edge' }, containers: [{ name: 'd', image: 'busybox:3' }] } };

type Strategy = 'rolling' | 'surge' | 'onDelete';
const STRATEGIES: Record<Strategy, JsonObject> = {
  rolling: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
  surge: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
  onDelete: { type: 'OnDelete' },
};
const MAX_UNAVAILABLE = 1;
const MAX_SURGE = 1;

function daemonSet(strategy: Strategy, extra: JsonObject = {}, template: JsonObject = TEMPLATE): KubeObject {
  return { metadata: { name: 'agent', namespace: 'default', uid: 'ds-uid', generation: 2 }, spec: { updateStrategy: STRATEGIES[strategy], template, ...extra }, status: {} };
}
const HASH = templateHash(daemonSet('rolling'));

let seq = 0;
interface PodShape {
  ready?: boolean;
  failed?: boolean;
  terminating?: boolean;
  /** Ready since (default: an hour before T). */
  readyAt?: number;
}
function pod(node: string, revision: 'new' | 'old', shape: PodShape = {}): KubeObject {
  seq++;
  const ready = shape.ready ?? !shape.failed;
  return {
    metadata: {
      name: `agent-${seq}`,
      uid: `uid-${seq}`,
      creationTimestamp: new Date(T - 600_000 + seq * 1000).toISOString(),
      labels: { 'controller-revision-hash': revision === 'new' ? HASH : 'old' },
      ...(shape.terminating ? { deletionTimestamp: new Date(T).toISOString() } : {}),
    },
    spec: { nodeName: node },
    status: { phase: shape.failed ? 'Failed' : 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(shape.readyAt ?? T - 3_600_000).toISOString() }] },
  };
}

/** Node and pod situations, each observed under every strategy. */
const SITUATIONS: Record<string, () => KubeObject[]> = {
  empty: () => [],
  allNew: () => [pod('n1', 'new'), pod('n2', 'new')],
  allOld: () => [pod('n1', 'old'), pod('n2', 'old')],
  halfway: () => [pod('n1', 'new', { ready: false }), pod('n2', 'old')],
  surgeAvailable: () => [pod('n1', 'old'), pod('n1', 'new'), pod('n2', 'old')],
  surgeWaiting: () => [pod('n1', 'old'), pod('n1', 'new', { ready: false }), pod('n2', 'old')],
  failed: () => [pod('n1', 'new', { failed: true }), pod('n2', 'new')],
  misscheduled: () => [pod('n1', 'new'), pod('n2', 'new'), pod('n3', 'new')],
  nodeGone: () => [pod('n1', 'new'), pod('n2', 'new'), pod('gone', 'new')],
  duplicate: () => [pod('n1', 'new'), pod('n1', 'new'), pod('n2', 'new')],
  oldUnavailable: () => [pod('n1', 'old', { ready: false }), pod('n2', 'old')],
  oldTerminating: () => [pod('n1', 'old', { terminating: true }), pod('n2', 'old')],
};

interface Scenario {
  id: string;
  ds: KubeObject;
  pods: KubeObject[];
  expectationsMet: boolean;
  /** Offered with the clock moved on (the rest are observed at the current time). */
  advancesClock?: boolean;
}

function scenarios(): Scenario[] {
  const out: Scenario[] = [];
  for (const strategy of Object.keys(STRATEGIES) as Strategy[]) {
    for (const [name, pods] of Object.entries(SITUATIONS)) out.push({ id: `${strategy}/${name}`, ds: daemonSet(strategy), pods: pods(), expectationsMet: true, advancesClock: name === 'failed' });
  }
  const allNew = SITUATIONS.allNew();
  const steadyDs = daemonSet('rolling');
  steadyDs.status = calculateStatus(steadyDs, HASH, NODES, allNew, T);
  out.push(
    { id: 'rolling/allNew/statusCurrent', ds: steadyDs, pods: allNew, expectationsMet: true },
    { id: 'rolling/empty/expectationsPending', ds: daemonSet('rolling'), pods: [], expectationsMet: false },
    { id: 'rolling/recentlyReady/minReady10', ds: daemonSet('rolling', { minReadySeconds: 10 }), pods: [pod('n1', 'new', { readyAt: T - 4000 }), pod('n2', 'new')], expectationsMet: true, advancesClock: true },
    { id: 'rolling/allNew/nextTemplate', ds: daemonSet('rolling', {}, NEXT_TEMPLATE), pods: SITUATIONS.allNew(), expectationsMet: true },
    { id: 'rolling/allNew/deleting', ds: { ...daemonSet('rolling'), metadata: { ...daemonSet('rolling').metadata, deletionTimestamp: new Date(T).toISOString() } }, pods: SITUATIONS.allNew(), expectationsMet: true },
  );
  return out;
}

const SCENARIOS = scenarios();
const factsIds = new WeakMap<DaemonSetFacts, string>();
const factsCache = new Map<string, DaemonSetFacts>();

function observed(s: Scenario, now: number): DaemonSetEvent {
  const id = `${s.id}@${now - T}`;
  let facts = factsCache.get(id);
  if (!facts) {
    facts = { ds: s.ds, nodes: NODES, pods: s.pods, now, expectationsMet: s.expectationsMet };
    factsCache.set(id, facts);
    factsIds.set(facts, id);
  }
  return { type: 'daemonset.observed', facts };
}

const EFFECT_OF: Record<string, string> = {
  'syncing.recordingRevision': 'syncRevisions',
  'syncing.deleting': 'deletePods',
  'syncing.creating': 'createPods',
  'syncing.writingStatus': 'writeStatus',
};

function stateName(s: Snapshot): string {
  const v = s.value;
  return typeof v === 'string' ? v : Object.entries(v).map(([k, x]) => `${k}.${String(x)}`)[0]!;
}

/** The done and error of the effect a round is waiting for. */
function effectOutcomes(s: Snapshot): AnyEventObject[] {
  const id = EFFECT_OF[stateName(s)];
  if (!id) return [];
  return [
    { type: `xstate.done.actor.${id}`, output: undefined, actorId: id },
    { type: `xstate.error.actor.${id}`, error: new Error(`${id} failed`), actorId: id },
  ];
}

function events(s: Snapshot): AnyEventObject[] {
  const now = s.context.facts?.now ?? T;
  if (s.status === 'done') return [observed(SCENARIOS[0]!, now), { type: 'daemonset.recheck' }];
  if (s.hasTag(BUSY)) return effectOutcomes(s);
  const out: AnyEventObject[] = SCENARIOS.map((sc) => observed(sc, now));
  for (const step of [500, 1500]) if (now + step <= LAST_TICK) for (const sc of SCENARIOS.filter((x) => x.advancesClock)) out.push(observed(sc, now + step));
  out.push({ type: 'daemonset.recheck' });
  return out;
}

function serializeEvent(e: AnyEventObject): string {
  return e.type === 'daemonset.observed' ? `observed:${factsIds.get((e as Extract<DaemonSetEvent, { type: 'daemonset.observed' }>).facts)}` : e.type;
}

/** What can change the machine's future: in a round also its facts, plan and work. */
function serializeState(s: Snapshot): string {
  const c = s.context;
  const round = s.hasTag(BUSY)
    ? { facts: c.facts ? factsIds.get(c.facts) : undefined, work: [c.work.create, c.work.delete.map((d) => `${d.pod.metadata?.name}:${d.reason}`)], error: c.error !== undefined, revisionHash: c.hash }
    : { now: c.facts?.now };
  return JSON.stringify({ value: s.value, status: s.status, revision: c.revision, backoff: c.backoff, ...round });
}

/** xstate's pure `transition()` with an inert scope that keeps the actions it would execute. */
function createReplayer() {
  const self = createActor(daemonSetMachine, { input: { namespace: 'default', name: 'agent' } });
  let actions: ExecutableActionObject[] = [];
  const scope: ActorScope<Snapshot, DaemonSetEvent> = {
    self,
    id: '',
    sessionId: '',
    logger: () => {},
    defer: () => {},
    emit: () => {},
    system: self.system,
    stopChild: () => {},
    actionExecutor: (action) => void actions.push(action),
  };
  return (state: Snapshot, event: AnyEventObject): ExecutableActionObject[] => {
    actions = [];
    daemonSetMachine.transition(state, event as DaemonSetEvent, scope);
    return actions;
  };
}

// ---- oracles: the rules stated from the facts ----

function shouldRun(facts: DaemonSetFacts, node: KubeObject): boolean {
  return placementOn(daemonPodSpec(facts.ds), node).shouldRun;
}

function minReady(facts: DaemonSetFacts): number {
  const spec = facts.ds.spec as JsonObject;
  return typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0;
}

const liveOn = (facts: DaemonSetFacts, node: string): KubeObject[] => facts.pods.filter((p) => nodeNameOf(p) === node && !isTerminating(p));
const availableNow = (facts: DaemonSetFacts, p: KubeObject): boolean => !isFailed(p) && isAvailable(p, minReady(facts), facts.now);
const surging = (facts: DaemonSetFacts): boolean => {
  const rolling = ((facts.ds.spec as JsonObject).updateStrategy as JsonObject).rollingUpdate as JsonObject | undefined;
  return rolling?.maxSurge === MAX_SURGE;
};

/** Desired nodes with no available pod, before a round's deletions and after them. */
function downNodes(facts: DaemonSetFacts, removed: ReadonlySet<KubeObject> = new Set()): string[] {
  return NODES.filter((n) => shouldRun(facts, n))
    .map((n) => n.metadata?.name ?? '')
    .filter((name) => !liveOn(facts, name).some((p) => !removed.has(p) && availableNow(facts, p)));
}

/** Desired nodes whose only pod is old and unavailable: already down, so replacing them costs nothing. */
function oldUnavailableNodes(facts: DaemonSetFacts): string[] {
  return NODES.filter((n) => shouldRun(facts, n))
    .map((n) => n.metadata?.name ?? '')
    .filter((name) => {
      const live = liveOn(facts, name);
      return live.length === 1 && !isUpdated(live[0]!, templateHash(facts.ds)) && !availableNow(facts, live[0]!);
    });
}

function describeEdge(state: Snapshot, event: AnyEventObject): string {
  return `${serializeState(state)} + ${serializeEvent(event)}`;
}

describe('DaemonSet machine model (@xstate/graph)', () => {
  it('keeps the DaemonSet rules on every reachable edge', () => {
    const adjacency = getAdjacencyMap(daemonSetMachine, {
      input: { namespace: 'default', name: 'agent' },
      events: events as (s: Snapshot) => DaemonSetEvent[],
      serializeState: serializeState as (s: Snapshot) => string,
      serializeEvent: serializeEvent as (e: DaemonSetEvent) => string,
      limit: TRAVERSAL_LIMIT,
    });
    const edges = adjacencyMapToArray(adjacency);
    const replay = createReplayer();
    const violations: string[] = [];
    const reached = new Set<string>();
    const deleteReasons = new Set<string>();
    let refusedFailed = 0;
    let surgeCreates = 0;
    let availableRetired = 0;
    let recheckScheduled = 0;

    for (const { state, event, nextState: next } of edges) {
      const check = (holds: boolean, rule: string) => {
        if (!holds) violations.push(`${rule}: ${describeEdge(state, event)} -> ${serializeState(next)}`);
      };
      const before: DaemonSetContext = state.context;
      const after: DaemonSetContext = next.context;
      const from = stateName(state);
      const to = stateName(next);
      reached.add(to);

      // Terminating is final: nothing moves, nothing runs.
      if (state.status === 'done') {
        check(serializeState(next) === serializeState(state) && Object.keys(next.children).length === 0, 'something left terminating');
        continue;
      }
      if (to === 'terminating') check(event.type === 'daemonset.observed' && Boolean((event as Extract<DaemonSetEvent, { type: 'daemonset.observed' }>).facts.ds.metadata?.deletionTimestamp), 'terminating without a deletion');
      if (event.type === 'daemonset.recheck') check(serializeState(next) === serializeState(state) && replay(state, event).some((a) => a.type === 'requestSync'), 'a recheck did more than ask for a sync');

      // Exactly the effect of the state runs, as one invoked child.
      const effect = EFFECT_OF[to];
      check(JSON.stringify(Object.keys(next.children)) === JSON.stringify(effect ? [effect] : []), 'the running effects are not exactly the state\'s one');
      check(next.hasTag(BUSY) === to.startsWith('syncing.'), 'busy outside a round, or a round not busy');

      const entered = effect !== undefined && (from !== to || event.type === 'daemonset.observed');
      const facts = after.facts;
      if (entered && facts && effect !== 'writeStatus') check(facts.expectationsMet, 'an effect started while expectations were pending');

      // One kind of work per round.
      check(after.work.create.length === 0 || after.work.delete.length === 0, 'a round both creates and deletes');

      if (entered && facts && to === 'syncing.creating') {
        check(after.plan.delete.length === 0, 'created while deletions were due');
        const surge = after.plan.create.length === 0;
        if (surge) {
          surgeCreates++;
          check(after.plan.retire.length === 0, 'surged while old pods were due to go');
        }
        for (const name of after.work.create) {
          const node = NODES.find((n) => n.metadata?.name === name);
          check(node !== undefined && shouldRun(facts, node), 'created on a node that should not run the daemon');
          check(!liveOn(facts, name).some((p) => isUpdated(p, after.hash) && !isFailed(p)), 'created beside a running pod of the current template');
          if (surge) check(surging(facts), 'surged without maxSurge');
        }
        if (surge) {
          // Nodes with a new pod not yet available, plus new surges beside available old pods, stay within maxSurge.
          const waiting = NODES.filter((n) => liveOn(facts, n.metadata?.name ?? '').some((p) => isUpdated(p, after.hash) && !availableNow(facts, p)) && liveOn(facts, n.metadata?.name ?? '').some((p) => !isUpdated(p, after.hash))).length;
          const besideAvailable = after.work.create.filter((name) => liveOn(facts, name).some((p) => availableNow(facts, p))).length;
          check(waiting + besideAvailable <= MAX_SURGE, 'surged past maxSurge');
        }
      }

      if (entered && facts && to === 'syncing.deleting') {
        const retiring = after.work.delete.some((d) => d.reason === 'Update') && after.plan.delete.length === 0;
        for (const d of after.work.delete) {
          deleteReasons.add(d.reason);
          check(facts.pods.includes(d.pod) && !isTerminating(d.pod), 'deleted a pod that is not a live pod of the DaemonSet');
          const node = NODES.find((n) => n.metadata?.name === nodeNameOf(d.pod));
          if (d.reason === 'Misscheduled') check(node !== undefined && !placementOn(daemonPodSpec(facts.ds), node).shouldContinueRunning, 'deleted a pod whose node still matches');
          if (d.reason === 'NodeGone') check(node === undefined, 'NodeGone on a node that exists');
          if (d.reason === 'Update') check(!isUpdated(d.pod, after.hash), 'retired a pod of the current template');
          if (d.reason === 'Failed') {
            check(isFailed(d.pod), 'replaced a pod that did not fail');
            const entry = before.backoff[nodeNameOf(d.pod)];
            check(entry === undefined || facts.now >= entry.nextAt, 'replaced a failed pod inside its back-off');
            check((after.backoff[nodeNameOf(d.pod)]?.nextAt ?? 0) > facts.now, 'no back-off after replacing a failed pod');
          }
          if (d.reason === 'Update' && surging(facts)) {
            // 100% availability: an available old pod goes only when its node's new pod is available.
            const freshAvailable = liveOn(facts, nodeNameOf(d.pod)).some((p) => isUpdated(p, after.hash) && availableNow(facts, p));
            check(node === undefined || !availableNow(facts, d.pod) || freshAvailable || !shouldRun(facts, node), 'surge retired an available old pod before its new pod was available');
          }
        }
        if (retiring && !surging(facts)) {
          const removed = new Set(after.work.delete.map((d) => d.pod));
          const retiredAvailable = after.work.delete.filter((d) => availableNow(facts, d.pod)).length;
          if (retiredAvailable > 0) {
            availableRetired++;
            const downBefore = downNodes(facts).length - oldUnavailableNodes(facts).length;
            check(downBefore + retiredAvailable <= MAX_UNAVAILABLE, 'the rolling update took down more than maxUnavailable nodes');
            check(downNodes(facts, removed).length <= MAX_UNAVAILABLE + oldUnavailableNodes(facts).length, 'more nodes down than maxUnavailable allows');
          }
        }
      }

      // A failed pod left in place was refused by its node's back-off, and a look again is due.
      const plannedHere = after.plan !== EMPTY_PLAN && (event.type === 'daemonset.observed' || before.plan === EMPTY_PLAN);
      if (plannedHere && facts) {
        const failedLive = facts.pods.filter((p) => isFailed(p) && !isTerminating(p)).length;
        const admitted = after.plan.delete.filter((d) => d.reason === 'Failed').length;
        if (failedLive > admitted) {
          refusedFailed++;
          check(after.recheckInMs !== undefined && after.recheckInMs > 0, 'a failed pod refused without a look again');
        }
      }

      // Status is written exactly when it differs from the stored one.
      const roundEnded = !next.hasTag(BUSY) && next.status !== 'done' && (state.hasTag(BUSY) || event.type === 'daemonset.observed');
      if (to === 'syncing.writingStatus' && from !== to) check(facts !== undefined && after.status !== undefined && statusChanged(facts.ds, after.status), 'wrote a status that did not change');
      if (roundEnded && from !== 'syncing.writingStatus' && facts && after.status) check(!statusChanged(facts.ds, after.status), 'a changed status was not written');

      // A round that ends schedules a look again exactly when one is due.
      if (roundEnded) {
        const scheduled = replay(state, event).some((a) => a.type === 'xstate.raise' && typeof (a.params as { delay?: unknown }).delay === 'number');
        if (scheduled) recheckScheduled++;
        check(scheduled === (after.recheckInMs !== undefined), 'a look again scheduled when none was due, or not when one was');
      }

      // The resting state follows the counts.
      const s = after.status;
      if (s && !next.hasTag(BUSY) && next.status !== 'done') {
        const settled = s.updatedNumberScheduled === s.desiredNumberScheduled && s.numberAvailable === s.desiredNumberScheduled && s.numberMisscheduled === 0;
        const old = s.updatedNumberScheduled < s.currentNumberScheduled;
        const type = ((facts?.ds.spec as JsonObject).updateStrategy as JsonObject).type;
        const expected = settled ? 'steady' : old && type === 'RollingUpdate' ? 'rolling' : old && type === 'OnDelete' ? 'outdated' : 'progressing';
        check(to === expected, `settled in ${to}, the counts say ${expected}`);
      }
    }

    expect(violations.slice(0, 5)).toEqual([]);
    // The walk reached every decision, so the rules above were not checked vacuously.
    for (const state of ['steady', 'rolling', 'outdated', 'progressing', 'terminating', 'syncing.recordingRevision', 'syncing.deleting', 'syncing.creating', 'syncing.writingStatus']) expect(reached).toContain(state);
    expect([...deleteReasons].sort()).toEqual(['Duplicate', 'Failed', 'Misscheduled', 'NodeGone', 'Update']);
    expect(refusedFailed).toBeGreaterThan(0);
    expect(surgeCreates).toBeGreaterThan(0);
    expect(availableRetired).toBeGreaterThan(0);
    expect(recheckScheduled).toBeGreaterThan(0);
  });
});
