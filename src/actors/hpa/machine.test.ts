/**
 * The HPA machine decides: each test sends what the controller would observe and checks the
 * effects the machine invoked (recorded fakes), the Events it recorded and where it settled.
 * The sync period and the stabilization windows run on xstate's SimulatedClock.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import type { Scale } from '../../registry/types.ts';
import { roundOver } from '../controller-kit/machine-round.ts';
import { BUSY, hpaMachine, SYNC_PERIOD_MS, type HpaEventRecord, type HpaFacts, type RescaleInput, type WriteStatusInput } from './machine.ts';
import type { PodResourceSample } from './replica-calculator.ts';

const T0 = Date.parse('2024-06-01T00:00:00Z');

function hpa(spec: JsonObject = {}, status: JsonObject = {}): KubeObject {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'hpa-uid', generation: 1 },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 10, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }], ...spec },
    status,
  };
}
const scale = (replicas: number): Scale => ({ metadata: { name: 'web', namespace: 'default', resourceVersion: '7' }, spec: { replicas }, status: { replicas, selector: 'app=web' } });
/** `replicas` ready pods requesting 1 core each, using `cores` each. */
const pods = (replicas: number, cores: number | undefined): PodResourceSample[] =>
  Array.from({ length: replicas }, (_, i) => ({ name: `web-${i}`, pending: false, ready: true, request: 1, usage: cores }));

function start(syncPeriodMs = SYNC_PERIOD_MS) {
  const clock = new SimulatedClock();
  clock.set(T0);
  const calls = { rescale: [] as RescaleInput[], writeStatus: [] as WriteStatusInput[], events: [] as HpaEventRecord[], requestSync: 0 };
  const failures: { rescale?: Error } = {};
  const machine = hpaMachine.provide({
    actors: {
      rescale: fromPromise<void, RescaleInput>(async ({ input }) => {
        calls.rescale.push(input);
        if (failures.rescale) throw failures.rescale;
      }),
      writeStatus: fromPromise<void, WriteStatusInput>(async ({ input }) => void calls.writeStatus.push(input)),
    },
    actions: {
      recordEvent: (_: unknown, e: HpaEventRecord) => void calls.events.push(e),
      requestSync: () => void calls.requestSync++,
    },
  });
  const actor = createActor(machine, { input: { namespace: 'default', name: 'web', syncPeriodMs }, clock }).start();
  const observe = async (facts: Partial<HpaFacts> & Pick<HpaFacts, 'target'>) => {
    actor.send({ type: 'hpa.observed', facts: { hpa: hpa(), now: clock.now(), samples: {}, ...facts } });
    return roundOver(actor, BUSY);
  };
  /** The target runs `replicas` pods at `cores` each (of a 1-core request; the target is 50%). */
  const load = (replicas: number, cores: number | undefined, spec: JsonObject = {}) => observe({ hpa: hpa(spec), target: { scale: scale(replicas) }, samples: { cpu: pods(replicas, cores) } });
  const state = () => String(actor.getSnapshot().value);
  const written = () => calls.rescale.map((c) => c.replicas);
  const lastStatus = () => calls.writeStatus.at(-1)?.status as { conditions: { type: string; status: string; reason: string }[]; lastScaleTime?: string; desiredReplicas: number };
  const condition = (type: string) => lastStatus().conditions.find((c) => c.type === type);
  return { actor, clock, calls, failures, observe, load, state, written, lastStatus, condition };
}

describe('hpaMachine decides', () => {
  it('holds a scale-down inside the stabilization window in stabilizing, writing no scale, and scales down once the window has passed', async () => {
    const m = start();
    await m.load(2, 1); // 100% of request, target 50%: 4
    expect(m.state()).toBe('scalingUp');
    expect(m.written()).toEqual([4]);
    expect(m.calls.events.map((e) => `${e.reason}: ${e.message}`)).toEqual(['SuccessfulRescale: New size: 4; reason: cpu resource utilization (percentage of request) above target']);
    expect(m.lastStatus().lastScaleTime).toBe('2024-06-01T00:00:00Z');

    // The load drops: the metrics say 1, but the recommendation of 4 made at T0 holds for 300 s.
    for (let t = 15; t < 300; t += 15) {
      m.clock.increment(15_000);
      await m.load(4, 0.1);
      expect(m.state(), `at ${t} s`).toBe('stabilizing');
    }
    expect(m.written()).toEqual([4]);
    expect(m.condition('AbleToScale')).toMatchObject({ status: 'True', reason: 'ScaleDownStabilized' });

    m.clock.increment(15_000);
    await m.load(4, 0.1);
    expect(m.state()).toBe('scalingDown');
    expect(m.written()).toEqual([4, 1]);
    expect(m.calls.events.at(-1)?.message).toBe('New size: 1; reason: All metrics below target');
  });

  it('holds a scale-up inside a scale-up window (behavior.scaleUp.stabilizationWindowSeconds)', async () => {
    const m = start();
    const spec = { behavior: { scaleUp: { stabilizationWindowSeconds: 60 } } };
    await m.load(2, 0.5, spec); // on target: recommends 2
    m.clock.increment(15_000);
    await m.load(2, 1, spec); // wants 4, but 2 was recommended 15 s ago
    expect(m.state()).toBe('stabilizing');
    expect(m.condition('AbleToScale')).toMatchObject({ reason: 'ScaleUpStabilized' });
    expect(m.written()).toEqual([]);
    m.clock.increment(60_000);
    await m.load(2, 1, spec);
    expect(m.state()).toBe('scalingUp');
    expect(m.written()).toEqual([4]);
  });

  it('at maxReplicas with the load still high: limited, nothing written', async () => {
    const m = start();
    await m.load(2, 5, { maxReplicas: 3 });
    expect(m.state()).toBe('scalingUp');
    expect(m.written()).toEqual([3]);
    m.clock.increment(15_000);
    await m.load(3, 5, { maxReplicas: 3 });
    expect(m.state()).toBe('limited');
    expect(m.condition('ScalingLimited')).toMatchObject({ status: 'True', reason: 'TooManyReplicas' });
    expect(m.written()).toEqual([3]);
  });

  it('evaluates again every sync period on its clock, from whatever state it rests in', async () => {
    const m = start();
    await m.load(2, 0.5);
    expect(m.state()).toBe('steady');
    m.clock.increment(SYNC_PERIOD_MS - 1);
    expect(m.calls.requestSync).toBe(0);
    m.clock.increment(1);
    expect(m.calls.requestSync).toBe(1);
    // A fresh evaluation restarts the period.
    m.clock.increment(5000);
    await m.load(2, 0.5);
    m.clock.increment(SYNC_PERIOD_MS - 1);
    expect(m.calls.requestSync).toBe(1);
    m.clock.increment(1);
    expect(m.calls.requestSync).toBe(2);
  });

  it('without metrics or without a readable target it is failing: an Event, the condition, no scale written', async () => {
    const m = start();
    await m.load(2, undefined);
    expect(m.state()).toBe('failing');
    expect(m.calls.events.map((e) => e.reason)).toEqual(['FailedGetResourceMetric']);
    expect(m.condition('ScalingActive')).toMatchObject({ status: 'False', reason: 'FailedGetResourceMetric' });

    await m.observe({ target: { error: 'deployments.apps "web" not found' } });
    expect(m.state()).toBe('failing');
    expect(m.calls.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'FailedGetScale' });
    expect(m.lastStatus()).toMatchObject({ currentReplicas: 0, desiredReplicas: 0 });
    expect(m.condition('AbleToScale')).toMatchObject({ status: 'False', reason: 'FailedGetScale' });
    expect(m.written()).toEqual([]);
    expect(m.actor.getSnapshot().context.error).toBeUndefined();
  });

  it('a failed scale write: FailedRescale, AbleToScale FailedUpdateScale, and the error for the work queue to retry', async () => {
    const m = start();
    m.failures.rescale = new Error('conflict');
    const snapshot = await m.load(2, 1);
    expect(m.state()).toBe('failing');
    expect(snapshot.context.error).toBe(m.failures.rescale);
    expect(m.calls.events).toEqual([{ type: 'Warning', reason: 'FailedRescale', message: 'New size: 4; reason: cpu resource utilization (percentage of request) above target; error: conflict' }]);
    expect(m.condition('AbleToScale')).toMatchObject({ status: 'False', reason: 'FailedUpdateScale' });
    expect(m.lastStatus().lastScaleTime).toBeUndefined();
  });

  it('writes the status only when it changes', async () => {
    const m = start();
    await m.load(2, 0.5);
    expect(m.calls.writeStatus).toHaveLength(1);
    const stored = m.lastStatus() as unknown as JsonObject;
    await m.observe({ hpa: hpa({}, stored), target: { scale: scale(2) }, samples: { cpu: pods(2, 0.5) } });
    expect(m.calls.writeStatus).toHaveLength(1);
    expect(m.state()).toBe('steady');
  });

  it('an HPA being deleted ends in terminating and does nothing more', async () => {
    const m = start();
    const deleting = { ...hpa(), metadata: { ...hpa().metadata, deletionTimestamp: new Date(T0).toISOString() } };
    const snapshot = await m.observe({ hpa: deleting, target: { scale: scale(2) }, samples: { cpu: pods(2, 1) } });
    expect(snapshot.value).toBe('terminating');
    expect(snapshot.status).toBe('done');
    m.clock.increment(SYNC_PERIOD_MS);
    expect(m.calls).toMatchObject({ rescale: [], writeStatus: [], events: [], requestSync: 0 });
  });
});
