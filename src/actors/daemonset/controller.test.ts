import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { retryOnConflict } from '../../registry/retry-on-conflict.ts';
import { InspectionBus, type TransitionRecord } from '../inspection.ts';
import { DaemonSetController } from './controller.ts';
import { CONTROLLER_REVISIONS, DAEMON_SETS, NODES, PODS } from './kinds.ts';
import { DEFAULT_TOLERATIONS, REVISION_HASH_LABEL } from './template.ts';
import {
  changeNode,
  confirmDeletions,
  createDaemonSet,
  createNode,
  daemonSet,
  fixture,
  live,
  markReady,
  nodeOf,
  NS,
  podsIn,
  setPhase,
  terminating,
  type DaemonSetShape,
  type Fixture,
} from './test-support.ts';

let f: Fixture;
let controller: DaemonSetController | undefined;
/** The controller's and its machines' clock (availability, failed-pod back-off); tests move it. */
let clock: SimulatedClock;

beforeEach(async () => {
  f = await fixture();
  clock = new SimulatedClock();
  clock.set(Date.parse('2024-06-01T00:00:00Z'));
});
afterEach(async () => {
  controller?.stop();
  controller = undefined;
  await f.close();
});

async function startController(bus?: InspectionBus): Promise<DaemonSetController> {
  controller = new DaemonSetController({ store: f.store, registry: f.registry, events: f.events, bus, clock });
  await controller.start();
  return controller;
}

async function settled(): Promise<void> {
  await waitFor('controller idle', () => controller?.idle());
}

async function statusOf(name = 'agent'): Promise<JsonObject> {
  return (await f.registry.get(DAEMON_SETS, NS, name)).status as JsonObject;
}

/** Live pods by node name; waits until exactly `nodes` have one each. */
async function podsOnNodes(nodes: string[]): Promise<Map<string, KubeObject>> {
  return waitFor(`one live pod on each of ${nodes.join(',')}`, async () => {
    const pods = live(await podsIn(f));
    const byNode = new Map(pods.map((p) => [nodeOf(p), p]));
    const wanted = [...nodes].sort();
    return pods.length === nodes.length && JSON.stringify([...byNode.keys()].sort()) === JSON.stringify(wanted) && byNode;
  });
}

/** A user's template edit (read-modify-write, re-read when the controller's status write got in between). */
async function updateTemplate(name: string, shape: DaemonSetShape): Promise<void> {
  await retryOnConflict(async () => {
    const current = await f.registry.get(DAEMON_SETS, NS, name);
    await f.registry.update(DAEMON_SETS, NS, name, { ...current, spec: { ...(current.spec as JsonObject), template: (daemonSet(name, shape).spec as JsonObject).template } });
  });
}

describe('DaemonSet controller', () => {
  it('puts one pod on each matching node, bound to it, owned, labelled and tolerating as Kubernetes does', async () => {
    await startController();
    for (const n of ['n1', 'n2']) await createNode(f, n, { role: 'edge' });
    await createNode(f, 'n3', { role: 'core' });
    const ds = await createDaemonSet(f, daemonSet('agent', { nodeSelector: { role: 'edge' } }));
    const byNode = await podsOnNodes(['n1', 'n2']);
    const hash = byNode.get('n1')?.metadata?.labels?.[REVISION_HASH_LABEL];
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    for (const pod of byNode.values()) {
      expect(pod.metadata?.name).toMatch(/^agent-[a-z0-9]{5}$/);
      expect(pod.metadata?.labels).toEqual({ app: 'agent', [REVISION_HASH_LABEL]: hash, 'pod-template-generation': '1' });
      expect(pod.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: ds.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
      expect((pod.spec as JsonObject).tolerations).toEqual(DEFAULT_TOLERATIONS);
    }
    await waitFor('status written', async () => (await statusOf()).desiredNumberScheduled === 2);
    expect(await statusOf()).toEqual({
      desiredNumberScheduled: 2,
      currentNumberScheduled: 2,
      numberMisscheduled: 0,
      numberReady: 0,
      numberAvailable: 0,
      numberUnavailable: 2,
      updatedNumberScheduled: 2,
      observedGeneration: 1,
    });
    const revisions = (await f.registry.list(CONTROLLER_REVISIONS, NS)).items;
    expect(revisions.map((r) => [r.metadata?.name, r.revision])).toEqual([[`agent-${hash}`, 1]]);
    expect(f.events.reasons().filter((r) => r === 'SuccessfulCreate')).toHaveLength(2);

    for (const pod of byNode.values()) await markReady(f, pod);
    await waitFor('2 ready', async () => (await statusOf()).numberAvailable === 2);
    expect(await statusOf()).toMatchObject({ numberReady: 2, numberAvailable: 2, numberUnavailable: 0 });
  });

  it('follows nodes joining, leaving and changing labels, and recreates pods deleted under it', async () => {
    await startController();
    await createNode(f, 'n1');
    await createDaemonSet(f, daemonSet('agent', { nodeSelector: { 'kubernetes.io/os': 'linux' } }));
    await changeNode(f, 'n1', (n) => ({ ...n, metadata: { ...n.metadata, labels: { ...n.metadata?.labels, 'kubernetes.io/os': 'linux' } } }));
    await podsOnNodes(['n1']);

    await createNode(f, 'n2', { 'kubernetes.io/os': 'linux' });
    const pods = await podsOnNodes(['n1', 'n2']);

    // A node that is deleted: its pod goes at once (nobody is left to confirm a graceful stop).
    await f.registry.delete(NODES, undefined, 'n2');
    await waitFor('pod of n2 gone', async () => (await podsIn(f)).every((p) => nodeOf(p) !== 'n2'));

    // A pod deleted by someone else comes back (after its node daemon confirms the deletion).
    const first = pods.get('n1') as KubeObject;
    await f.registry.delete(PODS, NS, first.metadata?.name ?? '');
    await confirmDeletions(f);
    const again = await podsOnNodes(['n1']);
    expect(again.get('n1')?.metadata?.uid).not.toBe(first.metadata?.uid);

    // The node stops matching: the pod is deleted gracefully, no new one comes.
    await changeNode(f, 'n1', (n) => ({ ...n, metadata: { ...n.metadata, labels: { 'kubernetes.io/os': 'windows' } } }));
    await waitFor('pod terminating', async () => terminating(await podsIn(f)).length === 1);
    await confirmDeletions(f);
    await settled();
    expect(await podsIn(f)).toEqual([]);
    await waitFor('status desired 0', async () => (await statusOf()).desiredNumberScheduled === 0);
  });

  it('keeps off untolerated NoSchedule taints, leaves running pods there (misscheduled), and evicts on NoExecute', async () => {
    await startController();
    await createNode(f, 'plain');
    await createNode(f, 'dedicated', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
    await createNode(f, 'notready', {}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]);
    await createDaemonSet(f, daemonSet('agent'));
    await createDaemonSet(f, daemonSet('db-agent', { tolerations: [{ key: 'dedicated', operator: 'Exists' }] }));
    await waitFor('5 pods', async () => live(await podsIn(f)).length === 5);
    await settled();
    const where = (app: string, pods: KubeObject[]): string[] => pods.filter((p) => p.metadata?.labels?.app === app).map(nodeOf).sort();
    expect(where('agent', live(await podsIn(f)))).toEqual(['notready', 'plain']);
    expect(where('db-agent', live(await podsIn(f)))).toEqual(['dedicated', 'notready', 'plain']);

    // NoSchedule on a node with a daemon: it stays, counted as misscheduled.
    await changeNode(f, 'plain', (n) => ({ ...n, spec: { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] } }));
    await waitFor('misscheduled 1', async () => (await statusOf()).numberMisscheduled === 1);
    expect(await statusOf()).toMatchObject({ desiredNumberScheduled: 1, currentNumberScheduled: 1 });
    expect(where('agent', live(await podsIn(f)))).toEqual(['notready', 'plain']);

    // NoExecute: it goes.
    await changeNode(f, 'plain', (n) => ({ ...n, spec: { taints: [{ key: 'maintenance', effect: 'NoExecute' }] } }));
    await waitFor('agent pod on plain terminating', async () => terminating(await podsIn(f)).some((p) => p.metadata?.labels?.app === 'agent' && nodeOf(p) === 'plain'));
    await confirmDeletions(f);
    await settled();
    expect(where('agent', live(await podsIn(f)))).toEqual(['notready']);
  });

  it('honours required node affinity expressions', async () => {
    await startController();
    await createNode(f, 'small', { cores: '2' });
    await createNode(f, 'big', { cores: '16', zone: 'a' });
    await createNode(f, 'big-b', { cores: '32', zone: 'b' });
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['8'] }, { key: 'zone', operator: 'NotIn', values: ['b'] }] }],
        },
      },
    };
    await createDaemonSet(f, daemonSet('agent', { affinity }));
    await podsOnNodes(['big']);
    await settled();
    expect(live(await podsIn(f))).toHaveLength(1);
  });

  it('rolls a new template out one node at a time (maxUnavailable 1), waiting for each new pod to be ready', async () => {
    const bus = new InspectionBus();
    const transitions: TransitionRecord[] = [];
    bus.subscribe((r) => transitions.push(r));
    await startController(bus);
    const nodes = ['n1', 'n2', 'n3'];
    for (const n of nodes) await createNode(f, n);
    await createDaemonSet(f, daemonSet('agent', { image: 'busybox:1' }));
    for (const pod of (await podsOnNodes(nodes)).values()) await markReady(f, pod);
    await waitFor('ready', () => controller?.stateOf(NS, 'agent') === 'steady');
    const oldHash = live(await podsIn(f))[0].metadata?.labels?.[REVISION_HASH_LABEL];

    await updateTemplate('agent', { image: 'busybox:2' });
    const replaced: string[] = [];
    for (let step = 0; step < nodes.length; step++) {
      // Exactly one old pod is taken down; the others keep running.
      const going = await waitFor('one pod terminating', async () => {
        const t = terminating(await podsIn(f));
        return t.length === 1 && t;
      });
      await settled();
      expect(terminating(await podsIn(f))).toHaveLength(1);
      expect(live(await podsIn(f))).toHaveLength(nodes.length - 1);
      expect(going[0].metadata?.labels?.[REVISION_HASH_LABEL]).toBe(oldHash);
      replaced.push(nodeOf(going[0]));
      await confirmDeletions(f);
      // Its replacement appears on the same node, with the new template; nothing else moves until it is ready.
      const fresh = await waitFor('replacement', async () => live(await podsIn(f)).find((p) => nodeOf(p) === replaced[step] && p.metadata?.labels?.[REVISION_HASH_LABEL] !== oldHash));
      expect(((fresh.spec as JsonObject).containers as JsonObject[])[0].image).toBe('busybox:2');
      await settled();
      expect(terminating(await podsIn(f))).toHaveLength(0);
      await markReady(f, fresh);
    }
    expect(replaced.sort()).toEqual(nodes);
    await waitFor('rolled out', async () => (await statusOf()).updatedNumberScheduled === 3 && (await statusOf()).numberAvailable === 3);
    expect(await statusOf()).toMatchObject({ desiredNumberScheduled: 3, numberUnavailable: 0, observedGeneration: 2 });
    await waitFor('ready again', () => controller?.stateOf(NS, 'agent') === 'steady');
    expect((await f.registry.list(CONTROLLER_REVISIONS, NS)).items.map((r) => r.revision).sort()).toEqual([1, 2]);
    const states = transitions.filter((t) => t.kind === 'DaemonSet').map((t) => t.to);
    expect(states).toContain('rolling');
    expect(states).toContain('syncing.deleting');
    expect(states.at(-1)).toBe('steady');
  });

  it('OnDelete replaces only the pods the user deletes', async () => {
    await startController();
    for (const n of ['n1', 'n2']) await createNode(f, n);
    await createDaemonSet(f, daemonSet('agent', { image: 'busybox:1', updateStrategy: { type: 'OnDelete' } }));
    const before = await podsOnNodes(['n1', 'n2']);
    for (const pod of before.values()) await markReady(f, pod);
    const oldHash = before.get('n1')?.metadata?.labels?.[REVISION_HASH_LABEL];

    await updateTemplate('agent', { image: 'busybox:2' });
    await waitFor('observed generation 2', async () => (await statusOf()).observedGeneration === 2);
    await settled();
    expect(terminating(await podsIn(f))).toEqual([]);
    expect(await statusOf()).toMatchObject({ updatedNumberScheduled: 0, numberAvailable: 2 });
    expect(controller?.stateOf(NS, 'agent')).toBe('outdated');

    await f.registry.delete(PODS, NS, before.get('n2')?.metadata?.name ?? '');
    await confirmDeletions(f);
    const after = await waitFor('n2 replaced', async () => {
      const byNode = await podsOnNodes(['n1', 'n2']);
      return byNode.get('n2')?.metadata?.uid !== before.get('n2')?.metadata?.uid && byNode;
    });
    expect(after.get('n1')?.metadata?.uid).toBe(before.get('n1')?.metadata?.uid);
    expect(after.get('n2')?.metadata?.labels?.[REVISION_HASH_LABEL]).not.toBe(oldHash);
    await waitFor('1 updated', async () => (await statusOf()).updatedNumberScheduled === 1);
  });

  it('replaces a failed pod', async () => {
    await startController();
    await createNode(f, 'n1');
    await createDaemonSet(f, daemonSet('agent'));
    const first = (await podsOnNodes(['n1'])).get('n1') as KubeObject;
    await setPhase(f, first, 'Failed');
    const next = await waitFor('replacement', async () => live(await podsIn(f)).find((p) => p.metadata?.uid !== first.metadata?.uid));
    expect(nodeOf(next)).toBe('n1');
    expect(f.events.reasons()).toContain('FailedDaemonPod');
  });

  it('backs off replacing a daemon pod that keeps failing on one node', async () => {
    await startController();
    await createNode(f, 'n1');
    await createDaemonSet(f, daemonSet('agent'));
    const first = (await podsOnNodes(['n1'])).get('n1') as KubeObject;
    await setPhase(f, first, 'Failed');
    const second = await waitFor('first replacement', async () => live(await podsIn(f)).find((p) => p.metadata?.uid !== first.metadata?.uid && (p.status as JsonObject).phase !== 'Failed'));
    // Fails again within the first back-off second: it stays until the back-off has passed.
    await setPhase(f, second, 'Failed');
    await settled();
    expect((await podsIn(f)).map((p) => p.metadata?.uid)).toEqual([second.metadata?.uid]);
    // The machine looks again when the back-off has passed (its timer, on the simulated clock).
    clock.increment(999);
    await settled();
    expect((await podsIn(f)).map((p) => p.metadata?.uid)).toEqual([second.metadata?.uid]);
    clock.increment(1);
    await waitFor('second replacement', async () => live(await podsIn(f)).some((p) => ![first, second].some((o) => o.metadata?.uid === p.metadata?.uid)));
  });
});
