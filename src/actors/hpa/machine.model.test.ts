/**
 * Model test: explores every state the HPA machine reaches from an alphabet of observations (the
 * target at 2 or 4 replicas under low, on-target, high and very high load; at maxReplicas under
 * load; no metrics; a target that cannot be read; scaling disabled at 0; above maxReplicas; an
 * HPA being deleted), at three
 * moments (T, T + 15 s, T + 301 s: inside and past the 300 s scale-down window), the sync period
 * timer, and the done / error of whichever effect an evaluation invoked; then checks the HPA's
 * rules on every edge.
 *
 * The rules are stated from the facts and the kept recommendations, not by calling the
 * normalizer they check: writes only with a valid evaluation and a different size, within
 * min/max and the scale-up rate, never below the highest recommendation of the scale-down
 * window; nothing written while stabilizing or limited; every resting state matching what the
 * evaluation did; the Events Kubernetes records; status written exactly when it changes; the
 * sync period armed in every resting state; `terminating` final.
 *
 * Bound: every evaluation keeps its recommendation, so the graph is infinite. Resting states
 * holding more than two recommendations are reached and checked but not expanded: two already
 * combine a held scale-down with a later one, and time only takes three values.
 */
import { adjacencyMapToArray, getAdjacencyMap } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import { __unsafe_getAllOwnEventDescriptors, createActor, type ActorScope, type AnyEventObject, type ExecutableActionObject, type SnapshotFrom } from 'xstate';
import { jsonEqual, type KubeObject } from '../../api/object.ts';
import type { Scale } from '../../registry/types.ts';
import { BUSY, hpaMachine, type HpaContext, type HpaEvent, type HpaEventRecord, type HpaFacts } from './machine.ts';
import type { PodResourceSample } from './replica-calculator.ts';

type Snapshot = SnapshotFrom<typeof hpaMachine>;

const T = Date.parse('2024-06-01T00:00:00Z');
const TICKS = [T, T + 15_000, T + 301_000];
const MIN = 1;
const MAX = 10;
const DOWN_WINDOW_MS = 300_000;
const RECOMMENDATION_BOUND = 2;
const TRAVERSAL_LIMIT = 300_000;
const RESTING = ['steady', 'scalingUp', 'scalingDown', 'stabilizing', 'limited', 'failing'];

const HPA: KubeObject = {
  metadata: { name: 'web', namespace: 'default', uid: 'hpa-uid', generation: 1 },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: MIN, maxReplicas: MAX, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] },
  status: {},
};
const DELETING: KubeObject = { ...HPA, metadata: { ...HPA.metadata, deletionTimestamp: new Date(T).toISOString() } };

const scale = (replicas: number): Scale => ({ metadata: { name: 'web', namespace: 'default' }, spec: { replicas }, status: { replicas, selector: 'app=web' } });
const pods = (replicas: number, cores: number | undefined): PodResourceSample[] =>
  Array.from({ length: replicas }, (_, i) => ({ name: `web-${i}`, pending: false, ready: true, request: 1, usage: cores }));

interface Scenario {
  id: string;
  hpa: KubeObject;
  target: HpaFacts['target'];
  samples: HpaFacts['samples'];
}

function load(replicas: number, cores: number | undefined): Scenario {
  return { id: `${replicas}@${cores ?? 'none'}`, hpa: HPA, target: { scale: scale(replicas) }, samples: { cpu: pods(replicas, cores) } };
}

const SCENARIOS: Scenario[] = [
  ...[2, 4].flatMap((replicas) => [0.1, 0.5, 1].map((cores) => load(replicas, cores))),
  load(2, 2.5), // wants 10: the scale-up rate allows 6
  load(10, 1), // at maxReplicas, wants 20
  load(2, undefined), // no metrics
  load(0, 1), // scaling disabled
  load(12, 1), // above maxReplicas
  { id: 'unreadable', hpa: HPA, target: { error: 'deployments.apps "web" not found' }, samples: {} },
  { ...load(2, 1), id: 'deleting', hpa: DELETING },
];

const factsIds = new WeakMap<HpaFacts, string>();
const factsCache = new Map<string, HpaFacts>();

function observed(s: Scenario, now: number): HpaEvent {
  const id = `${s.id}@${(now - T) / 1000}s`;
  let facts = factsCache.get(id);
  if (!facts) {
    facts = { hpa: s.hpa, now, target: s.target, samples: s.samples };
    factsCache.set(id, facts);
    factsIds.set(facts, id);
  }
  return { type: 'hpa.observed', facts };
}

function currentOf(facts: HpaFacts): number | undefined {
  return 'scale' in facts.target ? (facts.target.scale.spec.replicas ?? 0) : undefined;
}

const EFFECT_OF: Record<string, string> = { rescaling: 'rescale', writingStatus: 'writeStatus' };

function events(s: Snapshot): AnyEventObject[] {
  if (s.status === 'done') return [observed(SCENARIOS[0]!, s.context.facts?.now ?? T)];
  const effect = EFFECT_OF[String(s.value)];
  if (effect) return [{ type: `xstate.done.actor.${effect}`, output: undefined, actorId: effect }, { type: `xstate.error.actor.${effect}`, error: new Error(`${effect} failed`), actorId: effect }];
  const last = s.context.facts?.now ?? T;
  const out: AnyEventObject[] = TICKS.filter((t) => t >= last).flatMap((t) => SCENARIOS.map((sc) => observed(sc, t)));
  // The sync period's timer, as the clock would fire it.
  out.push(...__unsafe_getAllOwnEventDescriptors(s).filter((type) => type.startsWith('xstate.after.')).map((type) => ({ type })));
  return out;
}

function serializeEvent(e: AnyEventObject): string {
  return e.type === 'hpa.observed' ? `observed:${factsIds.get((e as HpaEvent).facts)}` : e.type;
}

function serializeState(s: Snapshot): string {
  const c = s.context;
  const round = s.hasTag(BUSY) ? { facts: c.facts ? factsIds.get(c.facts) : undefined, desired: c.evaluation?.desiredReplicas, rescaledAt: c.rescaledAt, error: c.error !== undefined } : {};
  return JSON.stringify({ value: s.value, status: s.status, now: c.facts?.now, recommendations: c.recommendations, ...round });
}

/** xstate's pure `transition()` with an inert scope that keeps the actions it would execute. */
function createReplayer() {
  const self = createActor(hpaMachine, { input: { namespace: 'default', name: 'web' } });
  let actions: ExecutableActionObject[] = [];
  const scope: ActorScope<Snapshot, HpaEvent> = {
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
    hpaMachine.transition(state, event as HpaEvent, scope);
    return actions;
  };
}

const recorded = (actions: ExecutableActionObject[]): HpaEventRecord[] => actions.filter((a) => a.type === 'recordEvent').map((a) => a.params as HpaEventRecord);

describe('HPA machine model (@xstate/graph)', () => {
  it('keeps the HPA rules on every reachable edge', () => {
    const adjacency = getAdjacencyMap(hpaMachine, {
      input: { namespace: 'default', name: 'web' },
      events: events as (s: Snapshot) => HpaEvent[],
      serializeState: serializeState as (s: Snapshot) => string,
      serializeEvent: serializeEvent as (e: HpaEvent) => string,
      stopWhen: (s) => !s.hasTag(BUSY) && s.context.recommendations.length > RECOMMENDATION_BOUND,
      limit: TRAVERSAL_LIMIT,
    });
    const edges = adjacencyMapToArray(adjacency);
    const replay = createReplayer();
    const violations: string[] = [];
    const reached = new Set<string>();
    const writes = { up: 0, down: 0, limitedByRate: 0 };
    let heldDown = 0;

    for (const { state, event, nextState: next } of edges) {
      const check = (holds: boolean, rule: string) => {
        if (!holds) violations.push(`${rule}: ${serializeState(state)} + ${serializeEvent(event)} -> ${serializeState(next)}`);
      };
      const before: HpaContext = state.context;
      const after: HpaContext = next.context;
      const from = String(state.value);
      const to = String(next.value);
      reached.add(to);

      if (state.status === 'done') {
        check(serializeState(next) === serializeState(state), 'something left terminating');
        continue;
      }
      if (to === 'terminating') check(event.type === 'hpa.observed' && Boolean((event as HpaEvent).facts.hpa.metadata?.deletionTimestamp), 'terminating without a deletion');
      if (event.type.startsWith('xstate.after.')) {
        check(serializeState(next) === serializeState(state) && replay(state, event).some((a) => a.type === 'requestSync'), 'the sync period did more than ask for a sync');
        continue;
      }

      // Exactly the state's effect runs; busy only within an evaluation.
      const effect = EFFECT_OF[to];
      check(JSON.stringify(Object.keys(next.children)) === JSON.stringify(effect ? [effect] : []), "the running effects are not exactly the state's one");
      if (RESTING.includes(to)) check(__unsafe_getAllOwnEventDescriptors(next).some((t) => t.startsWith('xstate.after.')), 'a resting state without the sync period armed');

      const facts = after.facts;
      const e = after.evaluation;
      if (!facts || !e || to === 'terminating' || to === 'pending') continue;
      const current = currentOf(facts);
      const actions = event.type === 'hpa.observed' || from === 'rescaling' ? replay(state, event) : [];

      // Recommendations: oldest first; an evaluation adds at most its own (at now), and only when it computed one.
      check(after.recommendations.every((r, i) => i === 0 || after.recommendations[i - 1]!.at <= r.at), 'recommendations out of order');
      if (event.type === 'hpa.observed') {
        const added = after.recommendations.filter((r) => !before.recommendations.includes(r));
        check(added.length <= 1 && added.every((r) => r.at === facts.now), 'an evaluation added more than its own recommendation');
        check(added.length === 0 || (e.failure === undefined && e.rescaleReason?.startsWith('Current number') !== true), 'a recommendation kept from an evaluation that computed none');
      }

      // Writes: only for a valid evaluation that changes the size, within the rules.
      if (to === 'rescaling' && from !== 'rescaling') {
        const d = e.desiredReplicas;
        check(current !== undefined && current > 0 && e.failure === undefined && d !== current, 'a scale written without a valid evaluation that changes it');
        if (current !== undefined && current >= MIN && current <= MAX) {
          check(d >= MIN && d <= MAX, 'a scale written outside min/max');
          check(d <= Math.max(2 * current, current + 4), 'a scale-up faster than the rate limit');
          if (d < current) {
            const held = before.recommendations.filter((r) => r.at > facts.now - DOWN_WINDOW_MS).map((r) => r.replicas);
            check(d >= Math.min(MAX, Math.max(d, ...held)), 'a scale-down below a recommendation of the window');
          }
        }
        if (current !== undefined) {
          if (d > current) writes.up++;
          if (d < current) writes.down++;
        }
        if (e.conditions.ScalingLimited?.reason === 'ScaleUpLimit') writes.limitedByRate++;
      }

      // Events, as Kubernetes records them.
      if (event.type === 'hpa.observed' && e.failure) check(JSON.stringify(recorded(actions).map((r) => r.reason)) === JSON.stringify([e.failure.reason]), 'an evaluation failure without exactly its Warning');
      if (event.type === 'hpa.observed' && !e.failure) check(recorded(actions).length === 0, 'an Event before anything happened');
      if (from === 'rescaling' && event.type.startsWith('xstate.done.')) check(recorded(actions).map((r) => r.reason).join() === 'SuccessfulRescale', 'a rescale without SuccessfulRescale');
      if (from === 'rescaling' && event.type.startsWith('xstate.error.')) {
        check(recorded(actions).map((r) => r.reason).join() === 'FailedRescale', 'a failed rescale without FailedRescale');
        check(e.conditions.AbleToScale?.reason === 'FailedUpdateScale' && after.error !== undefined, 'a failed rescale not reported');
      }

      // Status is written exactly when it differs from the stored one.
      const roundEnded = !next.hasTag(BUSY) && (state.hasTag(BUSY) || event.type === 'hpa.observed');
      if (to === 'writingStatus' && from !== to) check(!jsonEqual(facts.hpa.status ?? {}, after.status ?? {}), 'wrote a status that did not change');
      if (roundEnded && from !== 'writingStatus') check(jsonEqual(facts.hpa.status ?? {}, after.status ?? {}), 'a changed status was not written');

      // The resting state says what the evaluation did.
      if (roundEnded) {
        const wrote = after.rescaledAt !== undefined;
        const stabilized = e.conditions.AbleToScale?.reason === 'ScaleDownStabilized' || e.conditions.AbleToScale?.reason === 'ScaleUpStabilized';
        const expected =
          e.failure !== undefined || after.error !== undefined
            ? 'failing'
            : wrote && e.desiredReplicas > e.currentReplicas
              ? 'scalingUp'
              : wrote && e.desiredReplicas < e.currentReplicas
                ? 'scalingDown'
                : stabilized
                  ? 'stabilizing'
                  : e.conditions.ScalingLimited?.status === 'True'
                    ? 'limited'
                    : 'steady';
        check(to === expected, `rested in ${to}, the evaluation says ${expected}`);
        if (to === 'stabilizing' || to === 'limited') check(!wrote, `wrote a scale while ${to}`);
        if (to === 'stabilizing' && e.conditions.AbleToScale?.reason === 'ScaleDownStabilized') heldDown++;
      }
    }

    expect(violations.slice(0, 5)).toEqual([]);
    // The walk reached every decision, so the rules above were not checked vacuously.
    for (const s of [...RESTING, 'terminating', 'rescaling', 'writingStatus']) expect(reached).toContain(s);
    expect(writes.up).toBeGreaterThan(0);
    expect(writes.down).toBeGreaterThan(0);
    expect(writes.limitedByRate).toBeGreaterThan(0);
    expect(heldDown).toBeGreaterThan(0);
  });
});
