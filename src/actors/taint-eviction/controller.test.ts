/** The taint-eviction controller on the embedded store, its timers on a SimulatedClock. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import { isRecord, type KubeObject } from '../../api/object.ts';
import { EventRecorder } from '../../registry/event-recorder.ts';
import { testCluster, waitFor, type TestCluster } from '../../registry/test-support.ts';
import { node, pod } from '../../scheduler/test-fixtures.ts';
import { TaintEvictionController } from './controller.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;
const NODES = findKind('v1', 'Node') as ResourceInfo;
const EVENTS = findKind('v1', 'Event') as ResourceInfo;

describe('TaintEvictionController', () => {
  let c: TestCluster;
  let controller: TaintEvictionController;
  let clock: SimulatedClock;

  beforeEach(async () => {
    c = await testCluster();
    clock = new SimulatedClock();
    clock.set(Date.now());
    const events = new EventRecorder({ registry: c.registry, source: { component: 'taint-eviction-controller' } });
    controller = new TaintEvictionController({ store: c.store, registry: c.registry, events, clock });
  });
  afterEach(async () => {
    controller.stop();
    await c.close();
  });

  const create = (info: ResourceInfo, obj: KubeObject) => {
    const { uid: _uid, ...metadata } = obj.metadata ?? {};
    return c.registry.create(info, metadata.namespace, { ...obj, metadata });
  };
  /** Being deleted, or gone. */
  const deleting = async (name: string) => {
    const p = await c.registry.get(PODS, 'default', name).catch(() => undefined);
    return !p || Boolean(p.metadata?.deletionTimestamp);
  };
  const taint = async (taints: Record<string, unknown>[]) => {
    const n = await c.registry.get(NODES, undefined, 'n');
    await c.registry.update(NODES, undefined, 'n', { ...n, spec: { ...(isRecord(n.spec) ? n.spec : {}), taints } });
  };

  it('deletes pods that do not tolerate a NoExecute taint at once, tolerating ones after tolerationSeconds; the lifecycle taints are the node machine\'s', async () => {
    await create(NODES, node({ name: 'n' }));
    await create(PODS, pod({ name: 'plain', nodeName: 'n' }));
    await create(PODS, pod({ name: 'patient', nodeName: 'n', tolerations: [{ key: 'maintenance', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }] }));
    await create(PODS, pod({ name: 'stoic', nodeName: 'n', tolerations: [{ key: 'maintenance', operator: 'Exists' }] }));
    await controller.start();
    expect(controller.tracked).toBe(0);

    // The node lifecycle's taint: left alone.
    await taint([{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]);
    await taint([{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }, { key: 'maintenance', effect: 'NoExecute' }]);
    await waitFor('plain being deleted', () => deleting('plain'));
    const plain = await c.registry.get(PODS, 'default', 'plain');
    expect((plain.status as { conditions?: unknown[] }).conditions).toContainEqual(expect.objectContaining({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager' }));
    expect(await deleting('patient')).toBe(false);

    clock.increment(59_000);
    expect(await deleting('patient')).toBe(false);
    clock.increment(1_000);
    await waitFor('patient being deleted after 60 s', () => deleting('patient'));
    expect(await deleting('stoic')).toBe(false);
    const events = (await c.registry.list(EVENTS, 'default')).items.filter((e) => e.reason === 'TaintManagerEviction').map((e) => e.message);
    expect(events.sort()).toEqual(['Marking for deletion Pod default/patient', 'Marking for deletion Pod default/plain']);
  });

  it('the taint taken off in time cancels the eviction', async () => {
    await create(NODES, node({ name: 'n' }));
    await create(PODS, pod({ name: 'patient', nodeName: 'n', tolerations: [{ key: 'maintenance', operator: 'Exists', tolerationSeconds: 30 }] }));
    await controller.start();
    await taint([{ key: 'maintenance', effect: 'NoExecute' }]);
    await waitFor('the eviction scheduled', () => controller.tracked === 1);
    clock.increment(10_000);
    await taint([]);
    await waitFor('cancelled', async () => (await c.registry.list(EVENTS, 'default')).items.some((e) => e.message === 'Cancelling deletion of Pod default/patient'));
    clock.increment(60_000);
    expect(await deleting('patient')).toBe(false);
    expect(controller.tracked).toBe(0);
  });
});
