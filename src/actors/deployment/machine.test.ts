import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock, waitFor } from 'xstate';
import { createEffectRecorder } from '../testing/effect-recorder.ts';
import { deploymentMachine, type DeploymentObserved } from './machine.ts';
import { DEADLINE_SECONDS, deployment, fakeEffects, observed, progressing, replicaSet, T0 } from './machine-fixtures.ts';
import { REASONS, type DeploymentStatus } from './status.ts';

function start() {
  const clock = new SimulatedClock();
  clock.set(T0);
  const effects = createEffectRecorder(['recordWarning', 'requestSync'] as const);
  const fakes = fakeEffects();
  const actor = createActor(deploymentMachine.provide({ actions: effects.actions, actors: fakes.actors }), { input: { key: 'deployments/default/web' }, clock }).start();
  let round = 0;
  /** Sends the observation as the next round and waits until its effect is done. */
  const observe = async (o: DeploymentObserved) => {
    actor.send({ ...o, round: ++round });
    return waitFor(actor, (s) => s.context.round === round && !s.context.pending);
  };
  return { actor, clock, effects, fakes, observe };
}

const progressingOf = (s: DeploymentStatus) => s.conditions.find((c) => c.type === 'Progressing');

/** A rollout to busybox:2 stuck halfway: the old set's 2 pods available, the new set's 1 never. */
function stalled(lastProgressAt: number) {
  const status = { observedGeneration: 2, replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2, unavailableReplicas: 1, conditions: [progressing(REASONS.replicaSetUpdated, lastProgressAt)] };
  const d = deployment({ revision: 2, status });
  return { d, sets: [replicaSet(d, { image: 'busybox:1', revision: 1, replicas: 2 }), replicaSet(d, { image: 'busybox:2', revision: 2, replicas: 1, available: 0 })] };
}

describe('deployment machine', () => {
  it('past its progress deadline: the timer asks for a sync, a guard chooses failed, whose entry writes ProgressDeadlineExceeded (SimulatedClock)', async () => {
    const { clock, effects, fakes, observe } = start();
    const { d, sets } = stalled(T0 - 10_000);
    const first = await observe(observed(d, sets, { now: T0 }));
    expect(first.value).toEqual({ progressing: 'rolling' });
    // Nothing to do (surge and availability both at their limits): no writes, status as it was.
    const rolled = fakes.applied.at(-1);
    expect(rolled?.effect).toBe('rollOutReplicaSets');
    expect(rolled?.input.plan.writes).toEqual([]);
    expect(progressingOf(rolled!.input.status)?.reason).toBe(REASONS.replicaSetUpdated);
    // The deadline is 60 s after the last progress: 50 s from now.
    clock.increment(50_000);
    expect(effects.paramsOf('requestSync')).toHaveLength(0);
    clock.increment(1);
    expect(effects.paramsOf('requestSync')).toHaveLength(1);

    const second = await observe(observed(d, sets, { now: clock.now() }));
    expect(second.value).toBe('failed');
    const failed = fakes.applied.at(-1)!;
    expect(failed.effect).toBe('rollOutReplicaSets');
    expect(progressingOf(failed.input.status)).toMatchObject({ status: 'False', reason: REASONS.progressDeadlineExceeded, message: `ReplicaSet "${sets[1]!.metadata?.name ?? ''}" has timed out progressing.` });
    // Failed is final until progress: no more deadline timers.
    clock.increment(DEADLINE_SECONDS * 10_000);
    expect(effects.paramsOf('requestSync')).toHaveLength(1);

    // The new pod becomes available: progress, back to rolling (the old set may now go down).
    const failedStatus = { ...failed.input.status, conditions: [progressing(REASONS.progressDeadlineExceeded, clock.now(), 'False')] };
    const moving = [sets[0]!, replicaSet(d, { image: 'busybox:2', revision: 2, replicas: 1, available: 1 })];
    const third = await observe(observed({ ...d, status: failedStatus }, moving, { now: clock.now() }));
    expect(third.value).toEqual({ progressing: 'rolling' });
    expect(fakes.applied.at(-1)!.input.plan.writes.map((w) => w.type === 'update' && [w.base.metadata?.name, w.replicas])).toEqual([[sets[0]!.metadata?.name, 1]]);
  });

  it('a new Deployment: rolling creates its first ReplicaSet, sized by the surge', async () => {
    const { fakes, observe } = start();
    const snap = await observe(observed(deployment({ generation: 1 }), []));
    expect(snap.value).toEqual({ progressing: 'rolling' });
    const { plan, status } = fakes.applied.at(-1)!.input;
    expect(plan.writes.map((w) => w.type)).toEqual(['create']);
    expect(plan.revision).toBe(1);
    expect(progressingOf(status)?.reason).toBe(REASONS.newReplicaSetCreated);
  });

  it('complete when every replica is updated and available; cleans up history beyond the limit', async () => {
    const { fakes, observe } = start();
    const d = deployment({ revision: 3, status: { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2, conditions: [progressing(REASONS.replicaSetUpdated, T0 - 5000)] } });
    const sets = [replicaSet(d, { image: 'busybox:0', revision: 1, replicas: 0 }), replicaSet(d, { image: 'busybox:1', revision: 2, replicas: 0 }), replicaSet(d, { image: 'busybox:2', revision: 3, replicas: 2 })];
    const snap = await observe(observed(d, sets));
    expect(snap.value).toBe('complete');
    const { plan, status } = fakes.applied.at(-1)!.input;
    expect(progressingOf(status)?.reason).toBe(REASONS.newReplicaSetAvailable);
    // revisionHistoryLimit 1: the oldest idle set goes.
    expect(plan.writes.map((w) => w.type === 'delete' && w.replicaSet.metadata?.uid)).toEqual(['rs-1']);
  });

  it('paused: only scales, never creates the new ReplicaSet, and says DeploymentPaused', async () => {
    const { fakes, observe } = start();
    const d = deployment({ paused: true, revision: 1, status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2, conditions: [progressing(REASONS.newReplicaSetAvailable, T0 - 5000)] } });
    const snap = await observe(observed(d, [replicaSet(d, { image: 'busybox:1', revision: 1, replicas: 2 })]));
    expect(snap.value).toBe('paused');
    const { effect, input } = fakes.applied.at(-1)!;
    expect(effect).toBe('scaleReplicaSets');
    expect(input.plan.writes).toEqual([]);
    expect(progressingOf(input.status)).toMatchObject({ status: 'Unknown', reason: REASONS.paused });
  });

  it('spec.replicas changed mid-rollout: progressing.scaling shares the new size in proportion', async () => {
    const { fakes, observe } = start();
    const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } };
    const d = deployment({ replicas: 15, strategy, revision: 2 });
    const sets = [replicaSet(d, { image: 'busybox:1', revision: 1, replicas: 8, desired: 10 }), replicaSet(d, { image: 'busybox:2', revision: 2, replicas: 5, available: 0, desired: 10 })];
    sets.forEach((rs) => (rs.metadata!.annotations!['deployment.kubernetes.io/max-replicas'] = '13'));
    const snap = await observe(observed(d, sets));
    expect(snap.value).toEqual({ progressing: 'scaling' });
    const sizes = fakes.applied.at(-1)!.input.plan.writes.map((w) => w.type === 'update' && [w.base.metadata?.name, w.replicas]);
    expect(sizes).toEqual(expect.arrayContaining([[sets[0]!.metadata?.name, 11], [sets[1]!.metadata?.name, 7]]));
  });

  it('Recreate: old sets to 0 first, and no new set while any old pod is left', async () => {
    const { fakes, observe } = start();
    const d = deployment({ strategy: { type: 'Recreate' }, revision: 1 });
    const old = replicaSet(d, { image: 'busybox:1', revision: 1, replicas: 2 });
    const first = await observe(observed(d, [old]));
    expect(first.value).toEqual({ progressing: 'recreating' });
    expect(fakes.applied.at(-1)!.input.plan.writes.map((w) => w.type === 'update' && w.replicas)).toEqual([0]);
    // Scaled to 0 and reporting none, but a pod is still terminating.
    const emptied = replicaSet(d, { image: 'busybox:1', revision: 1, replicas: 0 });
    await observe(observed(d, [emptied], { replicaSetsWithPods: [emptied.metadata?.uid ?? ''] }));
    expect(fakes.applied.at(-1)!.input.plan.writes).toEqual([]);
    await observe(observed(d, [emptied]));
    expect(fakes.applied.at(-1)!.input.plan.writes.map((w) => w.type)).toEqual(['create']);
  });

  it('refuses a selector that selects everything or an unreadable maxSurge with a Warning and no effect', async () => {
    const { effects, fakes, observe } = start();
    const everything = await observe(observed(deployment({ selector: {} }), []));
    expect(everything.value).toBe('invalid');
    const bad = await observe(observed(deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'lots' } } }), []));
    expect(bad.value).toBe('invalid');
    expect(effects.paramsOf('recordWarning').map((p) => (p as { reason: string }).reason)).toEqual(['SelectingAll', 'InvalidStrategy']);
    expect(fakes.applied).toEqual([]);
  });

  it('being deleted: status only; a failed effect fails the round', async () => {
    const { fakes, observe } = start();
    fakes.error = new Error('conflict');
    const d = deployment({ deleting: true, revision: 1 });
    const snap = await observe(observed(d, [replicaSet(d, { image: 'busybox:2', revision: 1, replicas: 2 })]));
    expect(snap.value).toBe('terminating');
    expect(fakes.applied.at(-1)).toMatchObject({ effect: 'writeStatus', input: { plan: { writes: [] } } });
    expect(snap.context.roundError).toBe(fakes.error);
  });
});
