/**
 * The DaemonSet machine decides: each test sends what a controller would observe and checks the
 * effects the machine invoked (recorded fakes) and where it settled. Timers run on xstate's
 * SimulatedClock.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { roundOver } from '../controller-kit/machine-round.ts';
import { INITIAL_BACKOFF_MS } from './failed-pod-backoff.ts';
import { BUSY, daemonSetMachine, type CreatePodsInput, type DaemonSetFacts, type DeletePodsInput, type SyncRevisionsInput, type WriteStatusInput } from './machine.ts';
import { calculateStatus } from './status.ts';
import { REVISION_HASH_LABEL, templateHash } from './template.ts';

const T0 = Date.parse('2024-06-01T00:00:00Z');

function daemonSet(spec: JsonObject = {}, template: JsonObject = { containers: [{ name: 'd', image: 'busybox:1' }] }, status: JsonObject = {}): KubeObject {
  return { metadata: { name: 'agent', namespace: 'default', uid: 'ds-uid', generation: 1 }, spec: { template: { spec: template }, ...spec }, status };
}
const node = (name: string, labels: Record<string, string> = {}): KubeObject => ({ metadata: { name, labels } });

let seq = 0;
/** A daemon pod on `nodeName` made from template `hash`; ready (since `readyAt`) unless failed or told otherwise. */
function pod(nodeName: string, hash: string, state: { ready?: boolean; failed?: boolean; readyAt?: number } = {}): KubeObject {
  seq++;
  const ready = state.ready ?? !state.failed;
  return {
    metadata: { name: `agent-${seq}`, uid: `pod-${seq}`, creationTimestamp: new Date(T0 - 3_600_000 + seq * 1000).toISOString(), labels: { [REVISION_HASH_LABEL]: hash } },
    spec: { nodeName },
    status: {
      phase: state.failed ? 'Failed' : 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(state.readyAt ?? T0 - 3_600_000).toISOString() }],
    },
  };
}

/** A DaemonSet actor whose effects are recorded fakes (each resolves at once, or fails when told). */
function start() {
  const clock = new SimulatedClock();
  clock.set(T0);
  const calls = { syncRevisions: [] as SyncRevisionsInput[], createPods: [] as CreatePodsInput[], deletePods: [] as DeletePodsInput[], writeStatus: [] as WriteStatusInput[], requestSync: 0 };
  const failures: { deletePods?: Error } = {};
  const machine = daemonSetMachine.provide({
    actors: {
      syncRevisions: fromPromise<void, SyncRevisionsInput>(async ({ input }) => void calls.syncRevisions.push(input)),
      createPods: fromPromise<void, CreatePodsInput>(async ({ input }) => void calls.createPods.push(input)),
      deletePods: fromPromise<void, DeletePodsInput>(async ({ input }) => {
        calls.deletePods.push(input);
        if (failures.deletePods) throw failures.deletePods;
      }),
      writeStatus: fromPromise<void, WriteStatusInput>(async ({ input }) => void calls.writeStatus.push(input)),
    },
    actions: { requestSync: () => void calls.requestSync++ },
  });
  const actor = createActor(machine, { input: { namespace: 'default', name: 'agent' }, clock }).start();
  /** One round: the facts as the controller would send them, then the round's effects played out. */
  const observe = async (facts: Omit<DaemonSetFacts, 'now' | 'expectationsMet'> & Partial<DaemonSetFacts>) => {
    actor.send({ type: 'daemonset.observed', facts: { now: clock.now(), expectationsMet: true, ...facts } });
    return roundOver(actor, BUSY);
  };
  const state = () => JSON.stringify(actor.getSnapshot().value).replaceAll('"', '');
  const deleted = () => calls.deletePods.flatMap((c) => c.deletions.map((d) => `${d.pod.metadata?.name}:${d.reason}`));
  const created = () => calls.createPods.flatMap((c) => c.nodes);
  return { actor, clock, calls, failures, observe, state, deleted, created };
}

describe('daemonSetMachine decides', () => {
  it("deletes (its effect) a pod on a node that no longer matches, and creates nothing that round", async () => {
    const ds = daemonSet({}, { nodeSelector: { role: 'edge' }, containers: [{ name: 'd', image: 'busybox:1' }] });
    const hash = templateHash(ds);
    const stray = pod('n2', hash);
    const m = start();
    await m.observe({ ds, nodes: [node('n1', { role: 'edge' }), node('n2', { role: 'core' }), node('n3', { role: 'edge' })], pods: [pod('n1', hash), stray] });
    expect(m.deleted()).toEqual([`${stray.metadata?.name}:Misscheduled`]);
    expect(m.created()).toEqual([]);
    expect(m.calls.writeStatus).toHaveLength(1);
    expect(m.state()).toBe('progressing');
  });

  it('acts on nothing while expectations are pending, but still reports status', async () => {
    const ds = daemonSet();
    const m = start();
    await m.observe({ ds, nodes: [node('n1')], pods: [], expectationsMet: false });
    expect(m.calls.createPods).toEqual([]);
    expect(m.calls.syncRevisions).toEqual([]);
    expect(m.calls.writeStatus.map((c) => c.status.desiredNumberScheduled)).toEqual([1]);
    await m.observe({ ds, nodes: [node('n1')], pods: [] });
    expect(m.created()).toEqual(['n1']);
  });

  it('does one kind of work per round: deletions first, creations the next round', async () => {
    const ds = daemonSet();
    const hash = templateHash(ds);
    const failed = pod('n1', hash, { failed: true });
    const m = start();
    await m.observe({ ds, nodes: [node('n1'), node('n2')], pods: [failed] });
    expect(m.deleted()).toEqual([`${failed.metadata?.name}:Failed`]);
    expect(m.created()).toEqual([]);
    await m.observe({ ds, nodes: [node('n1'), node('n2')], pods: [] });
    expect(m.created()).toEqual(['n1', 'n2']);
  });

  it('backs off replacing a pod that keeps failing on one node, and looks again when the back-off has passed', async () => {
    const ds = daemonSet();
    const hash = templateHash(ds);
    const m = start();
    const first = pod('n1', hash, { failed: true });
    await m.observe({ ds, nodes: [node('n1')], pods: [first] });
    expect(m.deleted()).toEqual([`${first.metadata?.name}:Failed`]);

    m.clock.increment(200);
    const second = pod('n1', hash, { failed: true });
    await m.observe({ ds, nodes: [node('n1')], pods: [second] });
    expect(m.deleted()).toHaveLength(1); // in back-off: kept
    expect(m.state()).toBe('progressing');
    m.clock.increment(INITIAL_BACKOFF_MS - 201);
    expect(m.calls.requestSync).toBe(0);
    m.clock.increment(1);
    expect(m.calls.requestSync).toBe(1);

    await m.observe({ ds, nodes: [node('n1')], pods: [second] });
    expect(m.deleted()).toEqual([`${first.metadata?.name}:Failed`, `${second.metadata?.name}:Failed`]);
    // The next wait doubles: 2 s from that replacement, so a third failure 1 s later waits 1 s more.
    m.clock.increment(1000);
    await m.observe({ ds, nodes: [node('n1')], pods: [pod('n1', hash, { failed: true })] });
    expect(m.deleted()).toHaveLength(2);
    m.clock.increment(999);
    expect(m.calls.requestSync).toBe(1);
    m.clock.increment(1);
    expect(m.calls.requestSync).toBe(2);
  });

  it('looks again when a ready pod becomes available after minReadySeconds', async () => {
    const ds = daemonSet({ minReadySeconds: 10 });
    const hash = templateHash(ds);
    const m = start();
    await m.observe({ ds, nodes: [node('n1')], pods: [pod('n1', hash, { readyAt: T0 - 4000 })] });
    expect(m.state()).toBe('progressing');
    m.clock.increment(5999);
    expect(m.calls.requestSync).toBe(0);
    m.clock.increment(1);
    expect(m.calls.requestSync).toBe(1);
    // A new round cancels the look it no longer needs.
    await m.observe({ ds, nodes: [node('n1')], pods: [pod('n1', hash, { readyAt: T0 - 4000 })] });
    m.clock.increment(5000);
    const steady = await m.observe({ ds, nodes: [node('n1')], pods: [pod('n1', hash, { readyAt: T0 - 4000 })] });
    expect(steady.value).toBe('steady');
    m.clock.increment(60_000);
    expect(m.calls.requestSync).toBe(1);
  });

  it('rolls (maxUnavailable 1): one available old pod per round, settling in rolling', async () => {
    const ds = daemonSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } });
    const old = [pod('n1', 'old'), pod('n2', 'old'), pod('n3', 'old')];
    const m = start();
    await m.observe({ ds, nodes: [node('n1'), node('n2'), node('n3')], pods: old });
    expect(m.deleted()).toEqual([`${old[0].metadata?.name}:Update`]);
    expect(m.state()).toBe('rolling');
    // The replaced node's new pod is not ready yet: nothing else moves.
    await m.observe({ ds, nodes: [node('n1'), node('n2'), node('n3')], pods: [pod('n1', templateHash(ds), { ready: false }), old[1], old[2]] });
    expect(m.deleted()).toHaveLength(1);
    expect(m.state()).toBe('rolling');
  });

  it('surges (maxSurge 1): a new pod beside the old one, then the old one goes once the new is available', async () => {
    const ds = daemonSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
    const hash = templateHash(ds);
    const nodes = [node('n1'), node('n2')];
    const old = [pod('n1', 'old'), pod('n2', 'old')];
    const m = start();
    await m.observe({ ds, nodes, pods: old });
    expect(m.created()).toEqual(['n1']);
    expect(m.deleted()).toEqual([]);
    await m.observe({ ds, nodes, pods: [...old, pod('n1', hash)] });
    expect(m.deleted()).toEqual([`${old[0].metadata?.name}:Update`]);
    expect(m.state()).toBe('rolling');
  });

  it('OnDelete leaves old pods alone and settles in outdated', async () => {
    const ds = daemonSet({ updateStrategy: { type: 'OnDelete' } });
    const m = start();
    await m.observe({ ds, nodes: [node('n1')], pods: [pod('n1', 'old')] });
    expect(m.calls.deletePods).toEqual([]);
    expect(m.state()).toBe('outdated');
  });

  it('is steady when every node runs the current template; an unchanged status is not written; the revision is recorded once per template', async () => {
    const ds0 = daemonSet();
    const hash = templateHash(ds0);
    const nodes = [node('n1')];
    const pods = [pod('n1', hash)];
    const ds = { ...ds0, status: calculateStatus(ds0, hash, nodes, pods, T0) };
    const m = start();
    await m.observe({ ds, nodes, pods });
    await m.observe({ ds, nodes, pods });
    expect(m.state()).toBe('steady');
    expect(m.calls.writeStatus).toEqual([]);
    expect(m.calls.syncRevisions.map((c) => c.hash)).toEqual([hash]);
    const next = daemonSet({}, { containers: [{ name: 'd', image: 'busybox:2' }] });
    await m.observe({ ds: next, nodes, pods });
    expect(m.calls.syncRevisions.map((c) => c.hash)).toEqual([hash, templateHash(next)]);
    expect(m.calls.syncRevisions[1].liveHashes).toEqual([hash]);
  });

  it('reports a failed effect for the work queue to retry, still writing status', async () => {
    const ds = daemonSet();
    const m = start();
    m.failures.deletePods = new Error('store down');
    const snapshot = await m.observe({ ds, nodes: [], pods: [pod('gone', templateHash(ds))] });
    expect(snapshot.context.error).toBe(m.failures.deletePods);
    expect(m.calls.writeStatus).toHaveLength(1);
    delete m.failures.deletePods;
    const again = await m.observe({ ds, nodes: [], pods: [] });
    expect(again.context.error).toBeUndefined();
  });

  it('a DaemonSet being deleted ends in terminating and does nothing more', async () => {
    const ds = { ...daemonSet(), metadata: { ...daemonSet().metadata, deletionTimestamp: new Date(T0).toISOString() } };
    const m = start();
    const snapshot = await m.observe({ ds, nodes: [node('n1')], pods: [] });
    expect(snapshot.value).toBe('terminating');
    expect(snapshot.status).toBe('done');
    expect(m.calls).toMatchObject({ createPods: [], deletePods: [], writeStatus: [], syncRevisions: [] });
  });
});
