import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LostPodActors } from './lost-pods.ts';
import { createPod, NS, nodeFixture, podEvents, PODS, podStatus, RUNNING, type NodeFixture } from './test-support.ts';

let f: NodeFixture;
let lost: LostPodActors;
const NOW = Date.parse('2024-06-01T01:00:00Z');

beforeEach(async () => {
  f = await nodeFixture();
  lost = new LostPodActors({ registry: f.registry, events: f.events, bus: f.bus, now: () => NOW });
});
afterEach(async () => {
  await f.close();
});

describe('LostPodActors: a lost node reaches each pod as node.lost to its own actor', () => {
  it('fails each unfinished pod of the node with one status write, keeping what the node last reported', async () => {
    await createPod(f, 'running', 'n1', RUNNING);
    await createPod(f, 'pending', 'n1', { phase: 'Pending' });
    await createPod(f, 'done', 'n1', { phase: 'Succeeded', reason: 'Completed' }, 'Never');
    await createPod(f, 'elsewhere', 'n2', RUNNING);

    await lost.failPodsOf('n1');

    expect(f.podStatusWrites.sort((a, b) => a.pod.localeCompare(b.pod))).toEqual([
      { pod: `${NS}/pending`, phase: 'Failed' },
      { pod: `${NS}/running`, phase: 'Failed' },
    ]);
    expect(await podStatus(f, 'running')).toEqual({
      ...RUNNING,
      phase: 'Failed',
      reason: 'NodeLost',
      message: 'Node n1 which was running pod running is unresponsive',
    });
    expect(await podStatus(f, 'pending')).toEqual({ phase: 'Failed', reason: 'NodeLost', message: 'Node n1 which was running pod pending is unresponsive' });
    expect(await podStatus(f, 'done')).toEqual({ phase: 'Succeeded', reason: 'Completed' });
    expect((await podStatus(f, 'elsewhere')).phase).toBe('Running');
    expect(await podEvents(f, 'running')).toEqual(['NodeLost: Node n1 which was running pod running is unresponsive']);
    expect(await podEvents(f, 'done')).toEqual([]);
  });

  it('the decision is the pod machine transition: restored running, then failed on node.lost (event stream)', async () => {
    const pod = await createPod(f, 'running', 'n1', RUNNING);
    await lost.failPodsOf('n1');
    const mine = f.transitions.filter((t) => t.kind === 'Pod' && t.uid === pod.metadata?.uid);
    const own = mine.filter((t) => t.actor === '');
    // Restored: the container actor reported running to the pod, which followed.
    expect(own.at(-3)).toMatchObject({ to: 'running', event: 'container.running' });
    // Failed through its transient `deciding` (the restart policy's verdict), in one step.
    expect(own.at(-2)).toMatchObject({ from: 'running', to: 'failed.deciding', event: 'node.lost', namespace: NS, name: 'running' });
    expect(own.at(-1)).toMatchObject({ from: 'failed.deciding', to: 'failed.retained', event: 'node.lost' });
    // The container's actor is in the stream too, stopped with nothing signalled (the node is gone).
    expect(mine.filter((t) => t.actor === 'container:app').at(-1)).toMatchObject({ to: 'running.health.stopping|running.readiness.off', event: 'container.stop' });
  });

  it('writes nothing the second time: the stored pod is Failed now', async () => {
    await createPod(f, 'running', 'n1', RUNNING);
    await lost.failPodsOf('n1');
    f.podStatusWrites.length = 0;
    await lost.failPodsOf('n1');
    expect(f.podStatusWrites).toEqual([]);
    expect(await podEvents(f, 'running')).toHaveLength(1);
  });

  it('a pod being deleted, which the lost node can no longer finish, is removed', async () => {
    await createPod(f, 'leaving', 'n1', RUNNING);
    const marked = await f.registry.delete(PODS, NS, 'leaving', {});
    expect(marked.metadata?.deletionTimestamp).toBeDefined();
    await lost.failPodsOf('n1');
    await expect(f.registry.get(PODS, NS, 'leaving')).rejects.toMatchObject({ code: 404 });
  });
});
