/**
 * The HPA controller against a memory store and the Registry: a ReplicaSet as the scale target
 * (its /scale), pods written directly (no ReplicaSet controller), usage fed into a real
 * PodMetricsStore, time moved with xstate's SimulatedClock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import { objectKey } from '../../api/metadata.ts';
import type { KubeObject } from '../../api/object.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { PodMetricsStore } from '../../metrics/pod-metrics-store.ts';
import { InspectionBus, type TransitionRecord } from '../inspection.ts';
import { fixture, NS, PODS, type Fixture } from '../replicaset/test-support.ts';
import { HpaController } from './controller.ts';
import { HPAS } from './effects.ts';

const RS = findKind('apps/v1', 'ReplicaSet') as ResourceInfo;
const START = Date.parse('2024-06-01T00:00:00Z');
const RESTING = new Set(['steady', 'scalingUp', 'scalingDown', 'stabilizing', 'limited', 'failing']);

let f: Fixture;
let clock: SimulatedClock;
let metrics: PodMetricsStore;
let controller: HpaController;
let transitions: TransitionRecord[];

const container = { name: 'c', image: 'busybox', resources: { requests: { cpu: '100m' } } };

beforeEach(async () => {
  f = await fixture();
  clock = new SimulatedClock();
  clock.set(START);
  metrics = new PodMetricsStore({ now: () => clock.now() });
  const bus = new InspectionBus();
  transitions = [];
  bus.subscribe((r) => transitions.push(r));
  controller = new HpaController({ store: f.store, registry: f.registry, events: f.events, metrics, bus, clock });
  await controller.start();
  await f.registry.create(RS, NS, {
    metadata: { name: 'web' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container] } } },
  });
  await addPods(0, 2);
});
afterEach(async () => {
  controller.stop();
  await f.close();
});

/** Running, Ready pods web-FROM … web-(TO-1), as the ReplicaSet controller and a node would leave them. */
async function addPods(from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    const pod = await f.registry.create(PODS, NS, { metadata: { name: `web-${i}`, labels: { app: 'web' } }, spec: { containers: [container] } });
    await f.registry.updateStatus(PODS, NS, `web-${i}`, { ...pod, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
  }
}

/** Every web pod at `milliCores`, sampled now. */
async function report(milliCores: number): Promise<void> {
  const pods = (await f.registry.list(PODS, NS, { labelSelector: 'app=web' })).items;
  metrics.recordNodeMetrics({ node: 'n1', timestamp: clock.now(), windowSeconds: 15, pods: pods.map((p) => ({ namespace: NS, name: p.metadata?.name ?? '', containers: [{ name: 'c', cpuNanoCores: milliCores * 1e6, memoryBytes: 1 << 20 }] })) });
}

async function settle(): Promise<void> {
  await waitFor('hpa controller idle', () => controller.idle());
}

/** One sync period later (the controller's timer fires on the simulated clock). */
async function tick(): Promise<void> {
  clock.increment(15_000);
  await settle();
}

const replicas = async (): Promise<number> => ((await f.registry.get(RS, NS, 'web')).spec as { replicas: number }).replicas;
const hpaStatus = async (): Promise<Record<string, unknown>> => (await f.registry.get(HPAS, NS, 'web')).status as Record<string, unknown>;
const condition = (status: Record<string, unknown>, type: string): Record<string, unknown> | undefined => (status.conditions as Record<string, unknown>[]).find((c) => c.type === type);

async function createHpa(spec: Record<string, unknown> = {}): Promise<KubeObject> {
  const hpa = await f.registry.create(HPAS, NS, {
    metadata: { name: 'web' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web' }, minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }], ...spec },
  });
  await settle();
  return hpa;
}

describe('HPA controller', () => {
  it('scales up at once, holds a scale-down for the 300 s window, then scales down', async () => {
    await report(100); // 100% of the 100m request, target 50%
    await createHpa();
    expect(await replicas()).toBe(4);
    expect(f.events.recorded.map((e) => `${e.reason}: ${e.message}`)).toEqual(['SuccessfulRescale: New size: 4; reason: cpu resource utilization (percentage of request) above target']);
    let status = await hpaStatus();
    expect(status).toMatchObject({ currentReplicas: 2, desiredReplicas: 4, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 100, averageValue: '100m' } } }] });
    expect(status.lastScaleTime).toBe('2024-06-01T00:00:00Z');
    expect(condition(status, 'AbleToScale')).toMatchObject({ status: 'True', reason: 'SucceededRescale' });
    expect(condition(status, 'ScalingActive')).toMatchObject({ status: 'True', reason: 'ValidMetricFound' });
    expect(condition(status, 'ScalingLimited')).toMatchObject({ status: 'False', reason: 'DesiredWithinRange' });
    const key = objectKey(HPAS, NS, 'web');
    expect(controller.stateOf(key)).toBe('scalingUp');

    // The ReplicaSet controller's work, then the load drops to 10%.
    await addPods(2, 4);
    await report(10);
    await tick();
    expect(await replicas()).toBe(4);
    status = await hpaStatus();
    expect(status).toMatchObject({ currentReplicas: 4, desiredReplicas: 4 });
    expect(condition(status, 'AbleToScale')).toMatchObject({ reason: 'ScaleDownStabilized' });
    expect(controller.stateOf(key)).toBe('stabilizing');

    // The only recommendation of 4 (later ones say 1) was made at t=0: the 300 s window holds it until t=300 s.
    for (let t = 30; t < 300; t += 15) {
      await report(10);
      await tick();
      expect(await replicas(), `at ${t} s`).toBe(4);
    }
    await report(10);
    await tick();
    expect(await replicas()).toBe(1);
    expect(f.events.recorded.at(-1)?.message).toBe('New size: 1; reason: All metrics below target');
    expect(controller.stateOf(key)).toBe('scalingDown');
    // The states it rested in (rounds pass through evaluating, rescaling and writingStatus between them).
    const resting = transitions.filter((r) => r.kind === 'HorizontalPodAutoscaler' && RESTING.has(r.to)).map((r) => r.to);
    expect(resting.filter((to, i) => to !== resting[i - 1])).toEqual(['scalingUp', 'stabilizing', 'scalingDown']);
    expect(transitions.filter((r) => r.kind === 'HorizontalPodAutoscaler').map((r) => r.to)).toContain('rescaling');
  });

  it('stops at maxReplicas (ScalingLimited TooManyReplicas) and reports missing metrics as ScalingActive False', async () => {
    await report(500); // 500%: wants 20
    await createHpa({ maxReplicas: 3 });
    expect(await replicas()).toBe(3);
    const status = await hpaStatus();
    expect(condition(status, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'TooManyReplicas' });
    expect(controller.stateOf(objectKey(HPAS, NS, 'web'))).toBe('scalingUp');

    // No samples any more (the store's 2-minute freshness passes): nothing changes, the HPA says why.
    clock.increment(121_000);
    await settle();
    await tick();
    expect(await replicas()).toBe(3);
    expect(condition(await hpaStatus(), 'ScalingActive')).toMatchObject({ status: 'False', reason: 'FailedGetResourceMetric' });
    expect(f.events.reasons()).toContain('FailedGetResourceMetric');
    expect(controller.stateOf(objectKey(HPAS, NS, 'web'))).toBe('failing');
  });

  it('a target without /scale is FailedGetScale', async () => {
    await createHpa({ scaleTargetRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'x' } });
    expect(condition(await hpaStatus(), 'AbleToScale')).toMatchObject({ status: 'False', reason: 'FailedGetScale' });
    expect(f.events.reasons()).toEqual(['FailedGetScale']);
  });

  it('stop() leaves no timer behind', async () => {
    await report(50);
    await createHpa();
    controller.stop();
    await report(500);
    clock.increment(60_000);
    expect(await replicas()).toBe(2);
  });
});
