/**
 * Model test: @xstate/graph explores every state the StatefulSet machine reaches from an
 * alphabet of observations (nine set shapes: OrderedReady, Parallel, scale down, a new template
 * with partition 0 and 2, OnDelete, Parallel rolling with maxUnavailable 2, minReadySeconds,
 * claims under a Delete retention policy; each with the pod situations that matter to it, plus
 * pending expectations and a set being deleted), the done / error of whichever effect a round
 * invoked, and the recheck timer; then checks the StatefulSet's promises on every edge.
 *
 * The rules are stated from the facts with oracles of their own (which ordinals run, ready and
 * available; which names are taken), not by calling the planner they check:
 * - identity: a pod is created only under a name no pod object holds (owned or not, terminating
 *   or not), within the set's ordinals, never while one of its claims is being deleted;
 * - OrderedReady: one pod created at a time, only when every lower ordinal runs ready and
 *   available; a Failed pod replaced only then; scale down removes the highest pod, one at a time,
 *   none terminating, every kept pod running ready and available;
 * - updates: only RollingUpdate deletes for an update, only pods at or above the partition that
 *   are not at the update revision, within maxUnavailable counting the unhealthy ones; a pod below
 *   the partition is made at the current revision;
 * - one kind of work per round, no effect while expectations are pending, only the set's own
 *   live pods deleted, status written exactly when it changed, the resting state matching the
 *   pods, `terminating` final.
 *
 * The same exploration runs against deliberately broken machines (a guard or the planner
 * replaced with `.provide()`) and must find the break: the rules are not checked vacuously.
 */
import { adjacencyMapToArray, getAdjacencyMap } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import { assign, type AnyEventObject, type SnapshotFrom } from 'xstate';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { claimName, ordinalOf, revisionOf as podRevision } from './identity.ts';
import { facts, member, revisionOf, T0, web, type MemberShape, type SetShape } from './machine-fixtures.ts';
import { BUSY, statefulSetMachine, type StatefulSetContext, type StatefulSetEvent, type StatefulSetFacts } from './machine.ts';
import { isRunningAndAvailable, isRunningAndReady, isTerminating } from './pod-state.ts';
import { planStatefulSet } from './plan.ts';
import { statefulSetSpec } from './spec.ts';
import { statusChanged } from './status.ts';
import { createReplayer } from '../testing/machine-replay.ts';

type Machine = typeof statefulSetMachine;
type Snapshot = SnapshotFrom<Machine>;

const TRAVERSAL_LIMIT = 200_000;
const OLD = 'web-old';

// ---- the alphabet: set shapes and the pod situations observed under each ----

interface Scenario {
  id: string;
  facts: StatefulSetFacts;
}

type Situation = [string, (set: KubeObject) => KubeObject[], (Partial<StatefulSetFacts> & { strangers?: KubeObject[] })?];

const at = (set: KubeObject, ordinal: number, shape: MemberShape = {}): KubeObject => member(set, ordinal, shape);
const old = (set: KubeObject, ordinal: number, shape: MemberShape = {}): KubeObject => member(set, ordinal, { revision: OLD, ...shape });

const SCALING: Situation[] = [
  ['empty', () => []],
  ['0pending', (s) => [at(s, 0, { phase: 'Pending' })]],
  ['0notReady', (s) => [at(s, 0, { ready: false })]],
  ['0', (s) => [at(s, 0)]],
  ['01', (s) => [at(s, 0), at(s, 1)]],
  ['012', (s) => [at(s, 0), at(s, 1), at(s, 2)]],
  ['0,1lost,2', (s) => [at(s, 0), at(s, 1, { phase: 'Failed', reason: 'NodeLost' }), at(s, 2)]],
  ['0,1terminating,2', (s) => [at(s, 0), at(s, 1, { terminating: true }), at(s, 2)]],
  ['0,2', (s) => [at(s, 0), at(s, 2)]],
  ['0notReady,1lost', (s) => [at(s, 0, { ready: false }), at(s, 1, { phase: 'Failed' })]],
  ['0succeeded,1', (s) => [at(s, 0, { phase: 'Succeeded' }), at(s, 1)]],
  ['oldSet0terminating', () => [], { strangers: [member(web(), 0, { ownerUid: 'old-set', terminating: true })] }],
  ['oldSet1,0', (s) => [at(s, 0)], { strangers: [member(web(), 1, { ownerUid: 'old-set' })] }],
];

const SCALE_DOWN: Situation[] = [
  ['012', (s) => [at(s, 0), at(s, 1), at(s, 2)]],
  ['0123', (s) => [at(s, 0), at(s, 1), at(s, 2), at(s, 3)]],
  ['01,2terminating,3', (s) => [at(s, 0), at(s, 1), at(s, 2, { terminating: true }), at(s, 3)]],
  ['01,2terminating', (s) => [at(s, 0), at(s, 1), at(s, 2, { terminating: true })]],
  ['0,1notReady,2', (s) => [at(s, 0), at(s, 1, { ready: false }), at(s, 2)]],
  ['01,2notReady', (s) => [at(s, 0), at(s, 1), at(s, 2, { ready: false })]],
  ['01,2notReady,3notReady', (s) => [at(s, 0), at(s, 1), at(s, 2, { ready: false }), at(s, 3, { ready: false })]],
  ['01,3', (s) => [at(s, 0), at(s, 1), at(s, 3)]],
  ['01', (s) => [at(s, 0), at(s, 1)]],
];

const UPDATING: Situation[] = [
  ['old012', (s) => [old(s, 0), old(s, 1), old(s, 2)]],
  ['old01,new2notReady', (s) => [old(s, 0), old(s, 1), at(s, 2, { ready: false })]],
  ['old01,new2', (s) => [old(s, 0), old(s, 1), at(s, 2)]],
  ['old0,new12', (s) => [old(s, 0), at(s, 1), at(s, 2)]],
  ['new012', (s) => [at(s, 0), at(s, 1), at(s, 2)]],
  ['old0,old1terminating,new2', (s) => [old(s, 0), old(s, 1, { terminating: true }), at(s, 2)]],
  ['old01', (s) => [old(s, 0), old(s, 1)]],
  ['old1,new2', (s) => [old(s, 1), at(s, 2)]],
  ['old0,old1notReady,old2', (s) => [old(s, 0), old(s, 1, { ready: false }), old(s, 2)]],
];

const MIN_READY: Situation[] = [
  ['0recent', (s) => [at(s, 0, { readyAt: T0 - 4000 })]],
  ['0,1recent', (s) => [at(s, 0), at(s, 1, { readyAt: T0 - 4000 })]],
  ['012', (s) => [at(s, 0), at(s, 1), at(s, 2)]],
];

const claim = (set: KubeObject, ordinal: number, extra: JsonObject = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: claimName(set, { metadata: { name: 'data' } }, ordinal), namespace: 'default', uid: `claim-${ordinal}`, ...extra },
  spec: {},
});

const CLAIMED: Situation[] = [
  ['empty', () => []],
  ['0', (s) => [at(s, 0)], { claims: [claim(web(), 0)] }],
  ['0,claim1deleting', (s) => [at(s, 0)], { claims: [claim(web(), 0), claim(web(), 1, { deletionTimestamp: new Date(T0).toISOString() })] }],
  ['0,claim1stale', (s) => [at(s, 0)], { claims: [claim(web(), 0), claim(web(), 1, { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'web-1', uid: 'gone', controller: true }] })] }],
  ['0,1pending', (s) => [at(s, 0), at(s, 1, { phase: 'Pending' })], { claims: [claim(web(), 0)] }],
  ['0123', (s) => [at(s, 0), at(s, 1), at(s, 2), at(s, 3)], { claims: [claim(web(), 0), claim(web(), 1), claim(web(), 2), claim(web(), 3)] }],
];

const oldRevision = (): KubeObject => {
  const r = revisionOf(web());
  return { ...r, metadata: { ...r.metadata, name: OLD } };
};
const NEW_TEMPLATE = (shape: SetShape): SetShape => ({ image: 'busybox:2', status: { replicas: 3, currentRevision: OLD }, ...shape });

const SHAPES: [string, SetShape, Situation[], 'current' | 'updating'][] = [
  ['ordered', {}, SCALING, 'current'],
  ['parallel', { parallel: true }, SCALING, 'current'],
  ['down', { replicas: 2 }, SCALE_DOWN, 'current'],
  ['rolling', NEW_TEMPLATE({}), UPDATING, 'updating'],
  ['partition2', NEW_TEMPLATE({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }), UPDATING, 'updating'],
  ['onDelete', NEW_TEMPLATE({ updateStrategy: { type: 'OnDelete' } }), UPDATING, 'updating'],
  ['parallelRolling', NEW_TEMPLATE({ parallel: true, replicas: 4, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 2 } } }), UPDATING, 'updating'],
  ['minReady', { minReadySeconds: 10 }, MIN_READY, 'current'],
  ['claims', { claims: ['data'], replicas: 2, retention: { whenDeleted: 'Delete', whenScaled: 'Delete' } }, CLAIMED, 'current'],
];

function scenarios(): Scenario[] {
  const out: Scenario[] = [];
  for (const [shapeId, shape, situations, revisions] of SHAPES) {
    const set = web(shape);
    for (const [id, pods, extra] of situations) {
      const revs = revisions === 'updating' ? [oldRevision(), revisionOf(set, 2)] : [revisionOf(set)];
      out.push({ id: `${shapeId}/${id}`, facts: facts(set, pods(set), { revisions: revs, ...extra }) });
    }
  }
  const set = web();
  out.push(
    { id: 'ordered/empty/expectationsPending', facts: facts(set, [], { expectationsMet: false }) },
    { id: 'rolling/old012/newRevision', facts: facts(web(NEW_TEMPLATE({})), [old(set, 0), old(set, 1), old(set, 2)], { revisions: [oldRevision()] }) },
    { id: 'ordered/012/deleting', facts: facts(web({ deleting: true }), [at(set, 0), at(set, 1), at(set, 2)]) },
  );
  return out;
}

const SCENARIOS = scenarios();
const scenarioIds = new WeakMap<StatefulSetFacts, string>();
for (const s of SCENARIOS) scenarioIds.set(s.facts, s.id);
const OBSERVATIONS: StatefulSetEvent[] = SCENARIOS.map((s) => ({ type: 'statefulset.observed', facts: s.facts }));

const EFFECT_OF: Record<string, string> = {
  'syncing.recordingRevision': 'syncRevisions',
  'syncing.creating': 'createPods',
  'syncing.deleting': 'deletePods',
  'syncing.repairing': 'repairPods',
  'syncing.writingStatus': 'writeStatus',
};

function stateName(s: Snapshot): string {
  const v = s.value;
  return typeof v === 'string' ? v : Object.entries(v).map(([k, x]) => `${k}.${String(x)}`)[0]!;
}

/** The done and error of the effect a round waits for (syncRevisions answers with the name it was asked to make current). */
function effectOutcomes(s: Snapshot): AnyEventObject[] {
  const id = EFFECT_OF[stateName(s)];
  if (!id) return [];
  let output: unknown;
  if (id === 'syncRevisions') {
    const r = s.context.revisions!;
    output = { updateRevision: r.update.name, collisionCount: r.collisionCount };
  }
  return [
    { type: `xstate.done.actor.${id}`, output, actorId: id },
    { type: `xstate.error.actor.${id}`, error: new Error(`${id} failed`), actorId: id },
  ];
}

function events(s: Snapshot): AnyEventObject[] {
  if (s.status === 'done') return [OBSERVATIONS[0]!, { type: 'statefulset.recheck' }];
  if (s.hasTag(BUSY)) return effectOutcomes(s);
  return [...OBSERVATIONS, { type: 'statefulset.recheck' }];
}

const serializeEvent = (e: AnyEventObject): string => (e.type === 'statefulset.observed' ? `observed:${scenarioIds.get((e as Extract<StatefulSetEvent, { type: 'statefulset.observed' }>).facts)}` : e.type);

/** What can change the machine's future: in a round also its facts and work. */
function serializeState(s: Snapshot): string {
  const c = s.context;
  const round = s.hasTag(BUSY)
    ? { facts: c.facts ? scenarioIds.get(c.facts) : undefined, update: c.revisions?.update.name, work: [c.work.create.map((p) => p.ordinal), c.work.delete.map((d) => `${d.pod.metadata?.name}:${d.reason}`), c.work.repair.length], error: c.error !== undefined }
    : {};
  return JSON.stringify({ value: s.value, status: s.status, ...round });
}

// ---- oracles: the rules from the facts ----

function settled(f: StatefulSetFacts, pod: KubeObject | undefined): boolean {
  return pod !== undefined && !isTerminating(pod) && isRunningAndReady(pod) && isRunningAndAvailable(pod, statefulSetSpec(f.set).minReadySeconds, f.now);
}

const podAt = (f: StatefulSetFacts, ordinal: number): KubeObject | undefined => f.pods.find((p) => ordinalOf(p) === ordinal);
const healthy = (p: KubeObject | undefined): boolean => p !== undefined && !isTerminating(p) && isRunningAndReady(p);

function inRange(f: StatefulSetFacts): number[] {
  const spec = statefulSetSpec(f.set);
  return Array.from({ length: spec.replicas }, (_, i) => spec.start + i);
}

interface ModelReport {
  violations: string[];
  reached: Set<string>;
  deleteReasons: Set<string>;
  orderedCreatesAbove0: number;
  identityBlocks: number;
  belowPartitionCreates: number;
  rechecks: number;
  edges: number;
}

/** Explores `machine` over the alphabet and checks the rules on every edge. */
function explore(machine: Machine): ModelReport {
  const adjacency = getAdjacencyMap(machine, {
    input: { namespace: 'default', name: 'web' },
    events: events as (s: Snapshot) => StatefulSetEvent[],
    serializeState: serializeState as (s: Snapshot) => string,
    serializeEvent: serializeEvent as (e: StatefulSetEvent) => string,
    limit: TRAVERSAL_LIMIT,
  });
  const edges = adjacencyMapToArray(adjacency);
  const replay = createReplayer(machine, { namespace: 'default', name: 'web' });
  const report: ModelReport = { violations: [], reached: new Set(), deleteReasons: new Set(), orderedCreatesAbove0: 0, identityBlocks: 0, belowPartitionCreates: 0, rechecks: 0, edges: edges.length };

  for (const { state, event, nextState: next } of edges) {
    const check = (holds: boolean, rule: string) => {
      if (!holds) report.violations.push(`${rule}: ${serializeState(state)} + ${serializeEvent(event)} -> ${serializeState(next)}`);
    };
    const after: StatefulSetContext = next.context;
    const from = stateName(state);
    const to = stateName(next);
    report.reached.add(to);

    if (state.status === 'done') {
      check(serializeState(next) === serializeState(state) && Object.keys(next.children).length === 0, 'something left terminating');
      continue;
    }
    if (to === 'terminating') check(event.type === 'statefulset.observed' && Boolean((event as Extract<StatefulSetEvent, { type: 'statefulset.observed' }>).facts.set.metadata?.deletionTimestamp), 'terminating without a deletion');

    // Exactly the effect of the state runs, as one invoked child.
    const effect = EFFECT_OF[to];
    check(JSON.stringify(Object.keys(next.children)) === JSON.stringify(effect ? [effect] : []), "the running effects are not exactly the state's one");
    check(next.hasTag(BUSY) === to.startsWith('syncing.'), 'busy outside a round, or a round not busy');

    const f = after.facts;
    const entered = effect !== undefined && (from !== to || event.type === 'statefulset.observed');
    if (!f || !entered) {
      if (checkResting(state, event, next, check)) {
        // A round that ends schedules a look again exactly when a pod becomes available later.
        const [, actions] = replay(state, event);
        const scheduled = actions.some((a) => a.type === 'xstate.raise' && typeof (a.params as { delay?: unknown }).delay === 'number');
        if (scheduled) report.rechecks++;
        check(scheduled === (after.recheckInMs !== undefined), 'a look again scheduled when none was due, or not when one was');
      }
      continue;
    }
    const spec = statefulSetSpec(f.set);
    if (effect !== 'writeStatus') check(f.expectationsMet, 'an effect started while expectations were pending');
    const kinds = [after.work.create.length, after.work.delete.length, after.work.repair.length].filter((n) => n > 0).length;
    check(kinds <= 1, 'a round does more than one kind of work');
    const taken = new Set(f.podNames);
    const planned = planStatefulSet({ set: f.set, pods: f.pods, claims: new Map(f.claims.map((c) => [c.metadata?.name ?? '', c])), current: after.revisions!.current, update: after.revisions!.update, now: f.now });
    if (!spec.parallel && planned.create.length > 0 && f.podNames.includes(`web-${planned.create[0]!.ordinal}`) && to !== 'syncing.creating') report.identityBlocks++;

    if (to === 'syncing.creating') {
      check(after.work.create.length > 0, 'a create round with nothing to create');
      if (!spec.parallel) check(after.work.create.length === 1, 'OrderedReady created more than one pod at once');
      for (const p of after.work.create) {
        const name = `web-${p.ordinal}`;
        check(!taken.has(name), `created ${name}, a name another pod object still holds (two pods with one identity)`);
        check(inRange(f).includes(p.ordinal), `created ${name} outside the set's ordinals`);
        check(!f.claims.some((c) => c.metadata?.deletionTimestamp && c.metadata?.name === claimName(f.set, { metadata: { name: 'data' } }, p.ordinal)), `created ${name} over a claim being deleted`);
        if (!spec.parallel) {
          const lower = inRange(f).filter((o) => o < p.ordinal);
          check(lower.every((o) => settled(f, podAt(f, o))), `created ${name} before every lower ordinal ran ready and available (OrderedReady)`);
          if (p.ordinal > spec.start) report.orderedCreatesAbove0++;
        }
        const belowPartition = spec.strategy === 'RollingUpdate' && p.ordinal - spec.start < spec.partition;
        if (belowPartition) report.belowPartitionCreates++;
        check(p.revision === (belowPartition ? after.revisions!.current.name : after.revisions!.update.name), `created ${name} at the wrong revision`);
      }
    }

    if (to === 'syncing.deleting') {
      const reasons = new Set(after.work.delete.map((d) => d.reason));
      check(reasons.size === 1, 'a delete round with mixed reasons');
      const unhealthy = inRange(f).filter((o) => !healthy(podAt(f, o))).length;
      const updates = after.work.delete.filter((d) => d.reason === 'Update').length;
      if (updates > 0) {
        const maxUnavailable = typeof spec.maxUnavailable === 'number' ? spec.maxUnavailable : 1;
        check(unhealthy + updates <= maxUnavailable, 'the rolling update took down more than maxUnavailable pods');
      }
      for (const d of after.work.delete) {
        report.deleteReasons.add(d.reason);
        const name = d.pod.metadata?.name ?? '';
        const ordinal = ordinalOf(d.pod);
        check(f.pods.includes(d.pod) && !isTerminating(d.pod), `deleted ${name}, not a live pod of the set`);
        if (d.reason === 'Failed') {
          const phase = (d.pod.status as JsonObject).phase;
          check(phase === 'Failed' || phase === 'Succeeded', `replaced ${name}, which did not finish`);
          if (!spec.parallel) check(inRange(f).filter((o) => o < ordinal).every((o) => settled(f, podAt(f, o))), `replaced ${name} before every lower ordinal ran ready (OrderedReady)`);
        }
        if (d.reason === 'ScaleDown') {
          check(!inRange(f).includes(ordinal), `scaled down ${name}, which the set keeps`);
          if (!spec.parallel) {
            check(after.work.delete.length === 1, 'OrderedReady scaled down more than one pod at once');
            check(f.pods.every((p) => p === d.pod || (ordinalOf(p) < ordinal && !isTerminating(p))), `scaled down ${name} while a higher pod is left or a pod terminates`);
            check(inRange(f).every((o) => settled(f, podAt(f, o))), `scaled down ${name} while a kept pod is not ready`);
          }
        }
        if (d.reason === 'Update') {
          check(spec.strategy === 'RollingUpdate', `deleted ${name} for an update under OnDelete`);
          check(ordinal - spec.start >= spec.partition, `deleted ${name} for an update below the partition`);
          check(podRevision(d.pod) !== after.revisions!.update.name, `deleted ${name} for an update while it is at the update revision`);
        }
      }
    }

    if (to === 'syncing.repairing') {
      for (const r of after.work.repair) {
        check(f.pods.includes(r.pod), 'repaired a pod the set does not control');
        for (const c of r.createClaims) check(!f.claims.some((x) => x.metadata?.name === c.metadata?.name), `created claim ${c.metadata?.name ?? ''}, which exists`);
      }
    }

    if (to === 'syncing.writingStatus' && from !== to) check(after.status !== undefined && statusChanged(f.set, after.status), 'wrote a status that did not change');
  }
  return report;
}

/** At the end of a round (true): the status was written if it changed, and the resting state matches the pods. */
function checkResting(state: Snapshot, event: AnyEventObject, next: Snapshot, check: (holds: boolean, rule: string) => void): boolean {
  const after = next.context;
  const f = after.facts;
  const roundEnded = !next.hasTag(BUSY) && next.status !== 'done' && (state.hasTag(BUSY) || event.type === 'statefulset.observed');
  if (!roundEnded || !f || !after.status) return false;
  if (stateName(state) !== 'syncing.writingStatus') check(!statusChanged(f.set, after.status), 'a changed status was not written');
  const spec = statefulSetSpec(f.set);
  const update = after.revisions!.update.name;
  const live = f.pods.filter((p) => !isTerminating(p));
  const old = live.filter((p) => podRevision(p) !== update);
  const allGood = f.pods.length === spec.replicas && inRange(f).every((o) => settled(f, podAt(f, o))) && old.length === 0;
  const expected = allGood
    ? 'steady'
    : old.length > 0 && spec.strategy === 'RollingUpdate'
      ? old.some((p) => ordinalOf(p) - spec.start >= spec.partition)
        ? 'rolling'
        : 'partitioned'
      : old.length > 0
        ? 'outdated'
        : 'progressing';
  check(stateName(next) === expected, `settled in ${stateName(next)}, the pods say ${expected}`);
  return true;
}

// ---- deliberate breaks: each must be found ----

/** The planner run as if every set were Parallel (it ignores OrderedReady). */
const planAsParallel = assign<StatefulSetContext, StatefulSetEvent, unknown, StatefulSetEvent, never>(({ context }) => {
  const f = context.facts!;
  const set = { ...f.set, spec: { ...(f.set.spec as JsonObject), podManagementPolicy: 'Parallel' } };
  return { plan: planStatefulSet({ set, pods: f.pods, claims: new Map(f.claims.map((c) => [c.metadata?.name ?? '', c])), current: context.revisions!.current, update: context.revisions!.update, now: f.now }) };
});

/** The planner run as if the partition were 0. */
const planWithoutPartition = assign<StatefulSetContext, StatefulSetEvent, unknown, StatefulSetEvent, never>(({ context }) => {
  const f = context.facts!;
  const spec = f.set.spec as JsonObject;
  const set = { ...f.set, spec: { ...spec, updateStrategy: { ...(spec.updateStrategy as JsonObject), rollingUpdate: { partition: 0 } } } };
  return { plan: planStatefulSet({ set, pods: f.pods, claims: new Map(f.claims.map((c) => [c.metadata?.name ?? '', c])), current: context.revisions!.current, update: context.revisions!.update, now: f.now }) };
});

describe('StatefulSet machine model (@xstate/graph)', () => {
  it('keeps the StatefulSet promises on every reachable edge', () => {
    const report = explore(statefulSetMachine);
    if (process.env.MODEL_REPORT) console.log({ ...report, reached: [...report.reached], deleteReasons: [...report.deleteReasons] });
    expect(report.violations.slice(0, 5)).toEqual([]);
    // The walk reached every decision, so the rules above were not checked vacuously.
    for (const s of ['steady', 'progressing', 'rolling', 'partitioned', 'outdated', 'terminating', 'syncing.recordingRevision', 'syncing.creating', 'syncing.deleting', 'syncing.repairing', 'syncing.writingStatus']) {
      expect(report.reached, s).toContain(s);
    }
    expect([...report.deleteReasons].sort()).toEqual(['Failed', 'ScaleDown', 'Update']);
    expect(report.orderedCreatesAbove0).toBeGreaterThan(0);
    expect(report.identityBlocks).toBeGreaterThan(0);
    expect(report.belowPartitionCreates).toBeGreaterThan(0);
    expect(report.rechecks).toBeGreaterThan(0);
  });

  it('finds a machine that creates a pod whose name another pod still holds (identityFree broken)', () => {
    const broken = statefulSetMachine.provide({ guards: { identityFree: () => true } });
    const { violations } = explore(broken);
    if (process.env.MODEL_REPORT) console.log(violations.slice(0, 3));
    expect(violations.some((v) => v.includes('two pods with one identity'))).toBe(true);
  });

  it('finds a machine that ignores OrderedReady (planner as Parallel, order guards broken)', () => {
    const broken = statefulSetMachine.provide({ actions: { plan: planAsParallel }, guards: { predecessorsReady: () => true, successorsGone: () => true } });
    const { violations } = explore(broken);
    expect(violations.some((v) => v.includes('(OrderedReady)'))).toBe(true);
    expect(violations.some((v) => v.includes('OrderedReady scaled down more than one pod') || v.includes('while a higher pod is left'))).toBe(true);
  });

  it('holds order by its guards alone when the planner ignores OrderedReady for creation', () => {
    const broken = statefulSetMachine.provide({ actions: { plan: planAsParallel } });
    const { violations } = explore(broken);
    expect(violations.filter((v) => v.startsWith('created') && v.includes('(OrderedReady)'))).toEqual([]);
    expect(violations.filter((v) => v.startsWith('scaled down'))).toEqual([]);
  });

  it('finds a machine that rolls below the partition', () => {
    const broken = statefulSetMachine.provide({ actions: { plan: planWithoutPartition } });
    const { violations } = explore(broken);
    expect(violations.some((v) => v.includes('below the partition'))).toBe(true);
  });
});
