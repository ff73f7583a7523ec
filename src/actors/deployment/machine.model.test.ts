/**
 * Model test: @xstate/graph explores every state the Deployment machine reaches from an alphabet
 * of observations (a new Deployment, rollouts moving, stalled before and past their deadline,
 * complete, paused, rescaled, Recreate with old pods left or gone, being deleted, invalid), the
 * effects' answers (done, failed) and the timers, and checks the invariants below on every edge,
 * replayed with the pure `transition()` to see the actions it ran and the input of the effect it
 * started (the plan and the status the state chose).
 *
 * The context holds only the last observation and one round's outcome, so the graph is finite.
 */
import { adjacencyMapToArray, getAdjacencyMap } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import type { SnapshotFrom } from 'xstate';
import type { KubeObject } from '../../api/object.ts';
import { actionsNamed, childInput, createReplayer, delayedEvents, doneEvent, errorEvent } from '../testing/machine-replay.ts';
import { maxSurge, maxUnavailable } from './fenceposts.ts';
import { deploymentMachine, type ApplyPlanInput, type DeploymentEvent, type DeploymentMachineInput, type DeploymentObserved } from './machine.ts';
import { deployment, observed, progressing, replicaSet, T0 } from './machine-fixtures.ts';
import { deploymentSpec, revisionOf, specReplicas, statusNumber } from './objects.ts';
import { findNewReplicaSet } from './replica-sets.ts';
import { deploymentComplete, REASONS, type DeploymentStatus } from './status.ts';

type Snapshot = SnapshotFrom<typeof deploymentMachine>;

const INPUT: DeploymentMachineInput = { key: 'deployments/default/web' };
const EFFECTS = ['scaleReplicaSets', 'rollOutReplicaSets', 'writeStatus'] as const;
const rolling = (surge: number | string, unavailable: number | string) => ({ type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } });

/** What the controller may observe: one of each situation the guards tell apart. */
function observations(): DeploymentObserved[] {
  const out: DeploymentObserved[] = [];
  const counts = (replicas: number, updated: number, available: number) => ({ observedGeneration: 2, replicas, updatedReplicas: updated, readyReplicas: available, availableReplicas: available });
  // A new Deployment.
  out.push(observed(deployment({ generation: 1 }), []));
  // A rollout starting: the new set (kept from an earlier rollout) at 0 may grow by the surge.
  {
    const d = deployment({ revision: 2, status: { ...counts(2, 0, 2), conditions: [progressing(REASONS.newReplicaSetAvailable, T0 - 10_000)] } });
    out.push(observed(d, [replicaSet(d, { image: 'busybox:1', revision: 1, replicas: 2 }), replicaSet(d, { image: 'busybox:2', revision: 2, replicas: 0 })]));
  }
  // Mid-rollout, the new pod available: the old set may go down (with and without a deadline).
  for (const noDeadline of [false, true]) {
    const d = deployment({ revision: 2, noDeadline, status: { ...counts(3, 1, 2), conditions: noDeadline ? [] : [progressing(REASONS.replicaSetUpdated, T0 - 10_000)] } });
    out.push(observed(d, [replicaSet(d, { image: 'busybox:1', revision: 1, replicas: 2 }), replicaSet(d, { image: 'busybox:2', revision: 2, replicas: 1 })]));
  }
  // Stalled (the new pod never available), before and past the deadline, and already failed.
  for (const [at, reason, status] of [
    [T0 - 10_000, REASONS.replicaSetUpdated, 'True'],
    [T0 - 120_000, REASONS.replicaSetUpdated, 'True'],
    [T0 - 120_000, REASONS.progressDeadlineExceeded, 'False'],
  ] as const) {
    const d = deployment({ revision: 2, status: { ...counts(3, 1, 2), conditions: [progressing(reason, at, status)] } });
    out.push(observed(d, [replicaSet(d, { image: 'busybox:1', revision: 1, replicas: 2 }), replicaSet(d, { image: 'busybox:2', revision: 2, replicas: 1, available: 0 })]));
  }
  // Complete (history beyond the limit of 1), and complete but a pod no longer available.
  for (const available of [2, 1]) {
    const d = deployment({ revision: 3, status: { ...counts(2, 2, available), conditions: [progressing(REASONS.newReplicaSetAvailable, T0 - 10_000)] } });
    out.push(observed(d, [0, 1].map((i) => replicaSet(d, { image: `busybox:0${i}`, revision: i + 1, replicas: 0 })).concat(replicaSet(d, { image: 'busybox:2', revision: 3, replicas: 2, available }))));
  }
  // Paused with a new template (resumed is the mid-rollout above).
  {
    const d = deployment({ paused: true, revision: 1, status: { ...counts(2, 2, 2), conditions: [progressing(REASONS.newReplicaSetAvailable, T0 - 10_000)] } });
    out.push(observed(d, [replicaSet(d, { image: 'busybox:1', revision: 1, replicas: 2 })]));
  }
  // Rescaled mid-rollout: 10 → 15.
  {
    const d = deployment({ replicas: 15, strategy: rolling(3, 2), revision: 2, status: counts(13, 5, 8) });
    out.push(observed(d, [replicaSet(d, { image: 'busybox:1', revision: 1, replicas: 8, desired: 10 }), replicaSet(d, { image: 'busybox:2', revision: 2, replicas: 5, available: 0, desired: 10 })]));
  }
  // Recreate: old set running; scaled to 0 with a pod left; gone.
  {
    const d = deployment({ strategy: { type: 'Recreate' }, revision: 1 });
    const emptied = replicaSet(d, { image: 'busybox:1', revision: 1, replicas: 0 });
    out.push(observed(d, [replicaSet(d, { image: 'busybox:1', revision: 1, replicas: 2 })]));
    out.push(observed(d, [emptied], { replicaSetsWithPods: [emptied.metadata?.uid ?? ''] }));
    out.push(observed(d, [emptied]));
  }
  // Being deleted; invalid.
  {
    const d = deployment({ deleting: true, revision: 1 });
    out.push(observed(d, [replicaSet(d, { image: 'busybox:2', revision: 1, replicas: 2 })]));
    out.push(observed(deployment({ selector: {} }), []));
    out.push(observed(deployment({ strategy: rolling('lots', 1) }), []));
  }
  return out;
}

/** The effects' answers; each only while its effect runs (round open, child there), as only a running child answers. */
const ANSWERS = EFFECTS.flatMap((id) => [doneEvent<DeploymentEvent>(id, undefined), errorEvent<DeploymentEvent>(id, new Error('conflict'))]);
const effectOf = (e: { type: string }): string | undefined => /^xstate\.(?:done|error)\.actor\.(.+)$/.exec(e.type)?.[1];
const isObservation = (e: { type: string }): e is DeploymentObserved => e.type === 'deployment.observed';
const startedEffects = (s: Snapshot, next: Snapshot): string[] => EFFECTS.filter((id) => next.children[id] !== undefined && next.children[id] !== s.children[id]);
const progressingReason = (s: DeploymentStatus): string | undefined => s.conditions.find((c) => c.type === 'Progressing')?.reason;
const total = (sets: readonly KubeObject[]): number => sets.reduce((n, rs) => n + specReplicas(rs), 0);
/** Pods available that the sets' sizes keep (a set scaled down loses available pods first in the worst case). */
const keptAvailable = (sets: readonly KubeObject[]): number => sets.reduce((n, rs) => n + Math.min(statusNumber(rs, 'availableReplicas'), specReplicas(rs)), 0);

describe('deployment machine model (@xstate/graph)', () => {
  it('invariants hold on every reachable edge', () => {
    const facts = observations();
    const events = (s: Snapshot): DeploymentEvent[] => [
      ...facts,
      ...ANSWERS.filter((e) => s.context.pending && s.children[effectOf(e) ?? ''] !== undefined),
      ...delayedEvents<DeploymentEvent>(s),
    ];
    const edges = adjacencyMapToArray(getAdjacencyMap(deploymentMachine, { input: INPUT, events, limit: 100_000 }));
    const replay = createReplayer(deploymentMachine, INPUT);
    const violations: string[] = [];
    const visited = new Set<string>();
    const seen = { creates: 0, scaleUps: 0, scaleDowns: 0, deletes: 0, failedRounds: 0, syncRequests: 0, intoFailed: 0, outOfFailed: 0 };

    for (const { state, event } of edges) {
      const [next, actions] = replay(state, event);
      const type: string = event.type;
      const check = (holds: boolean, invariant: string) => {
        if (!holds) violations.push(`${invariant}: ${JSON.stringify(state.value)} + ${type} → ${JSON.stringify(next.value)}`);
      };
      visited.add(JSON.stringify(state.value)).add(JSON.stringify(next.value));
      const started = startedEffects(state, next);
      const c = next.context;
      check(next.status === 'active', 'the machine stopped or errored');

      // Rounds: an observation opens one and starts one effect (an invalid Deployment: none, closed at once);
      // the effect's answer closes it; timers neither start effects nor touch the round.
      check(started.length <= 1, 'more than one effect started at once');
      if (isObservation(event)) {
        if (next.matches('invalid')) check(!c.pending && started.length === 0 && actionsNamed(actions, 'recordWarning').length === 1, 'an invalid Deployment did something, or said nothing');
        else check(c.pending && started.length === 1, 'an observation did not open a round with an effect');
      } else if (effectOf(event)) {
        check(!c.pending && started.length === 0, 'an answered effect left its round open or started another');
        if (c.roundError !== undefined) seen.failedRounds++;
        check((c.roundError !== undefined) === type.startsWith('xstate.error.'), 'a round failed without a failed effect, or the reverse');
      } else {
        check(started.length === 0 && c.pending === state.context.pending && JSON.stringify(next.value) === JSON.stringify(state.value), 'a timer acted or moved the machine');
        const requests = actionsNamed(actions, 'requestSync').length;
        seen.syncRequests += requests;
        check(requests === 0 || state.matches('progressing'), 'a sync was asked for outside a progressing rollout');
      }
      if (next.matches('failed') && !state.matches('failed')) seen.intoFailed++;
      if (state.matches('failed') && isObservation(event) && !next.matches('failed')) seen.outOfFailed++;
      if (!isObservation(event) || started.length === 0) continue;

      // What the chosen state does.
      const input = childInput<ApplyPlanInput>(next, started[0]!) as ApplyPlanInput;
      const { plan, status } = input;
      const d = event.deployment;
      const spec = deploymentSpec(d);
      check(input.deployment === d && input.now === event.now, 'the effect got another Deployment or time than observed');
      check(status.observedGeneration === (d.metadata?.generation ?? 0), 'the status does not observe this generation');
      const observedUids = new Set(event.replicaSets.map((rs) => rs.metadata?.uid));
      for (const w of plan.writes) {
        if (w.type === 'create') {
          seen.creates++;
          check(findNewReplicaSet(d, [w.replicaSet]) === w.replicaSet, 'created a set for another template');
          check(!event.replicaSets.some((rs) => findNewReplicaSet(d, [rs])), 'created a second set for one template');
        } else if (w.type === 'update') {
          check(observedUids.has(w.base.metadata?.uid), 'resized a set the Deployment does not control');
          if (w.replicas > specReplicas(w.base)) seen.scaleUps++;
          if (w.replicas < specReplicas(w.base)) seen.scaleDowns++;
        } else {
          seen.deletes++;
          check(observedUids.has(w.replicaSet.metadata?.uid) && specReplicas(w.replicaSet) === 0 && statusNumber(w.replicaSet, 'replicas') === 0, 'deleted a set that is not an idle old one');
          check(w.replicaSet !== plan.newReplicaSet && !findNewReplicaSet(d, [w.replicaSet]), 'deleted the new set');
        }
      }
      if (plan.revision !== undefined) check(plan.revision === revisionOf(plan.newReplicaSet ?? {}), "the Deployment's revision does not follow its new set");

      const reason = progressingReason(status);
      const rollingOut = next.matches('complete') || next.matches('failed') || next.matches({ progressing: 'rolling' }) || next.matches({ progressing: 'recreating' });
      if (rollingOut) check((reason === REASONS.progressDeadlineExceeded) === next.matches('failed'), 'a rollout wrote ProgressDeadlineExceeded outside failed, or failed without it');
      if (spec.progressDeadlineSeconds === undefined) check(reason === undefined, 'a Progressing condition without a deadline');
      if (next.matches('complete')) {
        check(deploymentComplete(plan.deployment, status), 'complete while the status is not');
        if (spec.progressDeadlineSeconds !== undefined) check(reason === REASONS.newReplicaSetAvailable, 'complete without NewReplicaSetAvailable');
      }
      if (next.matches('paused')) {
        check(plan.writes.every((w) => w.type !== 'create'), 'a paused rollout created a set');
        check(reason === REASONS.paused || reason === REASONS.progressDeadlineExceeded, 'paused without DeploymentPaused');
      }
      if (next.matches('terminating')) check(plan.writes.length === 0 && plan.revision === undefined, 'a Deployment being deleted wrote more than its status');
      if (next.matches({ progressing: 'rolling' })) {
        const surge = maxSurge(d);
        const minAvailable = spec.replicas - maxUnavailable(d);
        check(total(plan.replicaSets) <= Math.max(total(event.replicaSets), spec.replicas + surge), 'a rolling step went above replicas + maxSurge');
        check(keptAvailable(plan.replicaSets) >= Math.min(keptAvailable(event.replicaSets), minAvailable), 'a rolling step went below replicas − maxUnavailable');
      }
      if (next.matches({ progressing: 'recreating' })) {
        const withPods = new Set(event.replicaSetsWithPods);
        const oldLeft = event.replicaSets.some((rs) => !findNewReplicaSet(d, [rs]) && (statusNumber(rs, 'replicas') > 0 || specReplicas(rs) > 0 || withPods.has(rs.metadata?.uid ?? '')));
        const newGrows = plan.writes.some((w) => w.type === 'create' || (w.type === 'update' && findNewReplicaSet(d, [w.base]) && w.replicas > specReplicas(w.base)));
        check(!(oldLeft && newGrows), 'Recreate started new pods while old ones were left');
      }
    }

    expect(violations.slice(0, 5)).toEqual([]);
    // Not vacuous: every state, every kind of write, both round endings, the deadline timer, and failing and recovering.
    for (const v of ['"unobserved"', '"invalid"', '"terminating"', '"paused"', '"complete"', '"failed"', '{"progressing":"rolling"}', '{"progressing":"recreating"}', '{"progressing":"scaling"}']) {
      expect(visited).toContain(v);
    }
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(0);
  });
});
