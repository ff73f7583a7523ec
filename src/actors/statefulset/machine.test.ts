/**
 * The StatefulSet machine decides: each test sends what a controller would observe and checks
 * the effects the machine invoked (recorded fakes) and where it settled. Timers run on xstate's
 * SimulatedClock.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import type { KubeObject } from '../../api/object.ts';
import { roundOver } from '../controller-kit/machine-round.ts';
import { facts, member, revisionName, revisionOf, T0, web } from './machine-fixtures.ts';
import {
  BUSY,
  statefulSetMachine,
  type CreatePodsInput,
  type DeletePodsInput,
  type RepairPodsInput,
  type StatefulSetFacts,
  type SyncRevisionsInput,
  type SyncRevisionsOutput,
  type WriteStatusInput,
} from './machine.ts';

/** A StatefulSet actor whose effects are recorded fakes (each resolves at once, or fails when told). */
function start() {
  const clock = new SimulatedClock();
  clock.set(T0);
  const calls = {
    syncRevisions: [] as SyncRevisionsInput[],
    createPods: [] as CreatePodsInput[],
    deletePods: [] as DeletePodsInput[],
    repairPods: [] as RepairPodsInput[],
    writeStatus: [] as WriteStatusInput[],
    requestSync: 0,
  };
  const failures: { createPods?: Error } = {};
  const machine = statefulSetMachine.provide({
    actors: {
      syncRevisions: fromPromise<SyncRevisionsOutput, SyncRevisionsInput>(async ({ input }) => {
        calls.syncRevisions.push(input);
        return { updateRevision: input.updateRevision, collisionCount: input.collisionCount };
      }),
      createPods: fromPromise<void, CreatePodsInput>(async ({ input }) => {
        calls.createPods.push(input);
        if (failures.createPods) throw failures.createPods;
      }),
      deletePods: fromPromise<void, DeletePodsInput>(async ({ input }) => void calls.deletePods.push(input)),
      repairPods: fromPromise<void, RepairPodsInput>(async ({ input }) => void calls.repairPods.push(input)),
      writeStatus: fromPromise<void, WriteStatusInput>(async ({ input }) => void calls.writeStatus.push(input)),
    },
    actions: { requestSync: () => void calls.requestSync++ },
  });
  const actor = createActor(machine, { input: { namespace: 'default', name: 'web' }, clock }).start();
  /** One round: the facts as the controller would send them, then the round's effects played out. */
  const observe = async (f: StatefulSetFacts) => {
    actor.send({ type: 'statefulset.observed', facts: { ...f, now: clock.now() } });
    return roundOver(actor, BUSY);
  };
  const state = () => JSON.stringify(actor.getSnapshot().value).replaceAll('"', '');
  const created = () => calls.createPods.flatMap((c) => c.pods.map((p) => `web-${p.ordinal}`));
  const deleted = () => calls.deletePods.flatMap((c) => c.deletions.map((d) => `${d.pod.metadata?.name}:${d.reason}`));
  return { actor, clock, calls, failures, observe, state, created, deleted };
}

const running = (set: KubeObject, ...ordinals: number[]): KubeObject[] => ordinals.map((o) => member(set, o));

describe('statefulSetMachine decides: OrderedReady', () => {
  it('creates web-0 alone, waits while it is Pending or not ready, then creates web-1', async () => {
    const set = web();
    const m = start();
    await m.observe(facts(set, []));
    expect(m.created()).toEqual(['web-0']);
    expect(m.state()).toBe('progressing');

    await m.observe(facts(set, [member(set, 0, { phase: 'Pending' })]));
    await m.observe(facts(set, [member(set, 0, { ready: false })]));
    expect(m.created()).toEqual(['web-0']);

    await m.observe(facts(set, running(set, 0)));
    expect(m.created()).toEqual(['web-0', 'web-1']);
  });

  it('makes each pod with its identity: name, hostname and subdomain come from the created input', async () => {
    const set = web({ claims: ['data'] });
    const m = start();
    await m.observe(facts(set, []));
    const [pod] = m.calls.createPods[0]!.pods;
    expect(pod).toMatchObject({ ordinal: 0, revision: revisionName(set) });
    // Its claim, missing, is created with it (before it, by the effect).
    expect(pod!.claims.map((c) => c.metadata?.name)).toEqual(['data-web-0']);
  });

  it('numbers from spec.ordinals.start', async () => {
    const set = web({ start: 5, replicas: 2 });
    const m = start();
    await m.observe(facts(set, []));
    expect(m.created()).toEqual(['web-5']);
  });

  it('waits minReadySeconds before the next pod, and looks again when it has passed', async () => {
    const set = web({ minReadySeconds: 10 });
    const m = start();
    await m.observe(facts(set, [member(set, 0, { readyAt: T0 - 4000 })]));
    expect(m.created()).toEqual([]);
    m.clock.increment(5999);
    expect(m.calls.requestSync).toBe(0);
    m.clock.increment(1);
    expect(m.calls.requestSync).toBe(1);
    await m.observe(facts(set, [member(set, 0, { readyAt: T0 - 4000 })]));
    expect(m.created()).toEqual(['web-1']);
  });

  it('scales down from the top, one pod at a time, waiting for each to terminate', async () => {
    const set = web({ replicas: 2 });
    const m = start();
    await m.observe(facts(set, running(set, 0, 1, 2, 3)));
    expect(m.deleted()).toEqual(['web-3:ScaleDown']);
    await m.observe(facts(set, [...running(set, 0, 1, 2), member(set, 3, { terminating: true })]));
    expect(m.deleted()).toEqual(['web-3:ScaleDown']);
    await m.observe(facts(set, running(set, 0, 1, 2)));
    expect(m.deleted()).toEqual(['web-3:ScaleDown', 'web-2:ScaleDown']);
  });

  it('does not scale down while a kept pod is unhealthy', async () => {
    const set = web({ replicas: 2 });
    const m = start();
    await m.observe(facts(set, [member(set, 0), member(set, 1, { ready: false }), member(set, 2)]));
    expect(m.deleted()).toEqual([]);
  });

  it('acts on nothing while expectations are pending, but still reports status', async () => {
    const set = web();
    const m = start();
    await m.observe(facts(set, running(set, 0), { expectationsMet: false }));
    expect(m.calls.createPods).toEqual([]);
    expect(m.calls.writeStatus.map((c) => c.status.replicas)).toEqual([1]);
  });
});

describe('statefulSetMachine decides: Parallel', () => {
  it('creates every missing pod at once, and deletes every extra one at once', async () => {
    const set = web({ parallel: true });
    const m = start();
    await m.observe(facts(set, []));
    expect(m.created()).toEqual(['web-0', 'web-1', 'web-2']);
    const smaller = web({ parallel: true, replicas: 1 });
    await m.observe(facts(smaller, [member(smaller, 0, { ready: false }), member(smaller, 1, { phase: 'Pending' }), member(smaller, 2)]));
    expect(m.deleted()).toEqual(['web-2:ScaleDown', 'web-1:ScaleDown']);
  });
});

describe('statefulSetMachine decides: never two pods with one identity', () => {
  it('replaces a Failed (NodeLost) pod only once it is gone from the store: delete first, create the next round', async () => {
    const set = web();
    const m = start();
    const lost = member(set, 1, { phase: 'Failed', reason: 'NodeLost' });
    await m.observe(facts(set, [member(set, 0), lost, member(set, 2)]));
    expect(m.deleted()).toEqual(['web-1:Failed']);
    expect(m.created()).toEqual([]);
    // Terminating on an unreachable node: nothing is created while it is in the store.
    await m.observe(facts(set, [member(set, 0), member(set, 1, { terminating: true }), member(set, 2)]));
    expect(m.created()).toEqual([]);
    expect(m.deleted()).toEqual(['web-1:Failed']);
    await m.observe(facts(set, [member(set, 0), member(set, 2)]));
    expect(m.created()).toEqual(['web-1']);
  });

  it('does not create a member whose name another pod still holds (an earlier set of that name, terminating)', async () => {
    const set = web();
    const m = start();
    const old = member(set, 0, { ownerUid: 'old-set', terminating: true });
    await m.observe(facts(set, [], { strangers: [old] }));
    expect(m.created()).toEqual([]);
    expect(m.state()).toBe('progressing');
    await m.observe(facts(set, []));
    expect(m.created()).toEqual(['web-0']);
  });
});

describe('statefulSetMachine decides: updates', () => {
  const OLD = 'web-old';
  const old = (set: KubeObject, ...ordinals: number[]): KubeObject[] => ordinals.map((o) => member(set, o, { revision: OLD }));

  it('records a new template as a revision, then rolls from the highest ordinal, one pod at a time', async () => {
    const set = web({ image: 'busybox:2', status: { replicas: 3, currentRevision: OLD } });
    const m = start();
    const oldRevision = { ...revisionOf(web()), metadata: { ...revisionOf(web()).metadata, name: OLD } };
    await m.observe(facts(set, old(set, 0, 1, 2), { revisions: [oldRevision] }));
    expect(m.calls.syncRevisions.map((c) => c.action.type)).toEqual(['create']);
    expect(m.deleted()).toEqual(['web-2:Update']);
    expect(m.calls.writeStatus.at(-1)?.status).toMatchObject({ currentRevision: OLD, updateRevision: revisionName(set), updatedReplicas: 0, currentReplicas: 3 });
    expect(m.state()).toBe('rolling');
    // web-2 recreated at the new revision but not ready yet: wait.
    await m.observe(facts(set, [...old(set, 0, 1), member(set, 2, { ready: false })], { revisions: [oldRevision, revisionOf(set, 2)] }));
    expect(m.deleted()).toEqual(['web-2:Update']);
    await m.observe(facts(set, [...old(set, 0, 1), member(set, 2)], { revisions: [oldRevision, revisionOf(set, 2)] }));
    expect(m.deleted()).toEqual(['web-2:Update', 'web-1:Update']);
  });

  it('keeps pods below the partition at the current revision (and makes them there), and settles partitioned', async () => {
    const set = web({ image: 'busybox:2', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } }, status: { replicas: 3, currentRevision: OLD } });
    const oldRevision = { ...revisionOf(web()), metadata: { ...revisionOf(web()).metadata, name: OLD } };
    const revisions = [oldRevision, revisionOf(set, 2)];
    const m = start();
    await m.observe(facts(set, old(set, 0, 1, 2), { revisions }));
    expect(m.deleted()).toEqual(['web-2:Update']);
    await m.observe(facts(set, [...old(set, 0, 1), member(set, 2)], { revisions }));
    expect(m.deleted()).toEqual(['web-2:Update']);
    expect(m.state()).toBe('partitioned');
    // web-1 deleted by its user is made again at the current (old) revision.
    await m.observe(facts(set, [...old(set, 0), member(set, 2)], { revisions }));
    expect(m.calls.createPods.at(-1)?.pods.map((p) => [p.ordinal, p.revision])).toEqual([[1, OLD]]);
  });

  it('deletes up to maxUnavailable pods at once, counting the unhealthy ones', async () => {
    const set = web({ image: 'busybox:2', replicas: 4, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 2 } }, status: { replicas: 4, currentRevision: OLD } });
    const revisions = [{ ...revisionOf(web()), metadata: { ...revisionOf(web()).metadata, name: OLD } }, revisionOf(set, 2)];
    const m = start();
    await m.observe(facts(set, old(set, 0, 1, 2, 3), { revisions }));
    expect(m.deleted()).toEqual(['web-3:Update', 'web-2:Update']);
  });

  it('OnDelete replaces nothing and settles outdated', async () => {
    const set = web({ image: 'busybox:2', updateStrategy: { type: 'OnDelete' }, status: { replicas: 3, currentRevision: OLD } });
    const revisions = [{ ...revisionOf(web()), metadata: { ...revisionOf(web()).metadata, name: OLD } }, revisionOf(set, 2)];
    const m = start();
    await m.observe(facts(set, old(set, 0, 1, 2), { revisions }));
    expect(m.deleted()).toEqual([]);
    expect(m.state()).toBe('outdated');
  });

  it('goes back to an older revision by renumbering it (rollout undo)', async () => {
    const set = web();
    const newer = revisionOf(web({ image: 'busybox:2' }), 2);
    const m = start();
    await m.observe(facts(set, running(set, 0, 1, 2), { revisions: [revisionOf(set, 1), newer] }));
    expect(m.calls.syncRevisions.map((c) => c.action)).toEqual([{ type: 'renumber', name: revisionName(set), revision: 3 }]);
  });
});

describe('statefulSetMachine settles and reports', () => {
  it('is steady with every replica updated, ready and available; the status is written once', async () => {
    const set = web();
    const m = start();
    await m.observe(facts(set, running(set, 0, 1, 2)));
    expect(m.state()).toBe('steady');
    expect(m.calls.writeStatus.at(-1)?.status).toEqual({
      observedGeneration: 1,
      replicas: 3,
      readyReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      availableReplicas: 3,
      currentRevision: revisionName(set),
      updateRevision: revisionName(set),
      collisionCount: 0,
    });
    const written = m.calls.writeStatus.at(-1)!.status;
    await m.observe(facts({ ...set, status: written }, running(set, 0, 1, 2)));
    expect(m.calls.writeStatus).toHaveLength(1);
  });

  it('creates the claims a Pending pod lacks (repair)', async () => {
    const set = web({ claims: ['data'] });
    const m = start();
    await m.observe(facts(set, [member(set, 0, { phase: 'Pending' })]));
    expect(m.calls.repairPods.flatMap((c) => c.repairs.flatMap((r) => r.createClaims.map((x) => x.metadata?.name)))).toEqual(['data-web-0']);
  });

  it('keeps a failed create as the round error (the controller retries)', async () => {
    const set = web();
    const m = start();
    m.failures.createPods = new Error('boom');
    const snapshot = await m.observe(facts(set, []));
    expect((snapshot.context.error as Error).message).toBe('boom');
  });

  it('ends in terminating once the set is being deleted, and stays there', async () => {
    const set = web({ deleting: true });
    const m = start();
    await m.observe(facts(set, running(set, 0, 1, 2)));
    expect(m.state()).toBe('terminating');
    expect(m.actor.getSnapshot().status).toBe('done');
    expect(m.calls.deletePods).toEqual([]);
  });
});
