import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/object.ts';
import { prefixFor } from '../../api/metadata.ts';
import { decodeObject } from '../../registry/codec.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { InspectionBus, type TransitionRecord } from '../inspection.ts';
import { SlowWatchStore } from '../replicaset/test-support.ts';
import { MAX_POD_FAILURE_BACKOFF_MS } from './backoff.ts';
import { JobController } from './controller.ts';
import { JOBS, PODS } from './effects.ts';
import { TRACKING_FINALIZER } from './tracking.ts';
import { fixture, isLive, NS, phaseOf, POD_TEMPLATE, podsOwnedBy, setPhase, type Fixture } from './test-support.ts';

let f: Fixture;
let controller: JobController;
let transitions: TransitionRecord[];

beforeEach(async () => {
  f = await fixture();
  const bus = new InspectionBus();
  transitions = [];
  bus.subscribe((r) => transitions.push(r));
  controller = new JobController({ store: f.store, registry: f.registry, events: f.events, bus, clock: f.clock });
  await controller.start();
});
afterEach(async () => {
  controller.stop();
  await f.close();
});

async function createJob(name: string, spec: Record<string, unknown>): Promise<KubeObject> {
  return f.registry.create(JOBS, NS, { metadata: { name }, spec: { template: POD_TEMPLATE, ...spec } });
}

async function job(name: string): Promise<KubeObject> {
  return f.registry.get(JOBS, NS, name);
}

const status = (j: KubeObject): Record<string, unknown> => (j.status ?? {}) as Record<string, unknown>;
const condition = (j: KubeObject, type: string): Record<string, unknown> | undefined =>
  ((status(j).conditions ?? []) as Record<string, unknown>[]).find((c) => c.type === type && c.status === 'True');

async function livePods(uid: string): Promise<KubeObject[]> {
  return (await podsOwnedBy(f.registry, uid)).filter(isLive);
}

describe('Job controller', () => {
  it('runs completions 5 with parallelism 2, never more than 2 active at any pod write', async () => {
    // Every pod write, in store order: the most pods live at once.
    const live = new Map<string, boolean>();
    let maxLive = 0;
    const watch = f.store.watch(prefixFor(PODS, NS), { fromRevision: 0 }, {
      onEvents: (events) => {
        for (const ev of events) {
          if (ev.type === 'delete') live.delete(ev.kv.key);
          else live.set(ev.kv.key, isLive(decodeObject(ev.kv)));
          maxLive = Math.max(maxLive, [...live.values()].filter(Boolean).length);
        }
      },
      onError: () => undefined,
    });
    const j = await createJob('five', { completions: 5, parallelism: 2 });
    const uid = j.metadata?.uid ?? '';
    for (let done = 0; done < 5; ) {
      const pods = await waitFor('live pods', async () => {
        const p = await livePods(uid);
        return p.length === Math.min(2, 5 - done) && p;
      });
      const pod = pods[0] as KubeObject;
      expect(pod.metadata?.labels?.['batch.kubernetes.io/job-name']).toBe('five');
      expect(pod.metadata?.labels?.['controller-uid']).toBe(uid);
      expect(pod.metadata?.finalizers).toContain(TRACKING_FINALIZER);
      expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Job', name: 'five', uid, controller: true });
      await setPhase(f.registry, pod, 'Running');
      await setPhase(f.registry, pod, 'Succeeded');
      done++;
    }
    const finished = await waitFor('Complete', async () => {
      const cur = await job('five');
      return condition(cur, 'Complete') && status(cur).succeeded === 5 && cur;
    });
    expect(status(finished)).toMatchObject({ active: 0, succeeded: 5, failed: 0 });
    expect(status(finished).completionTime).toBeTypeOf('string');
    expect(status(finished).startTime).toBeTypeOf('string');
    expect(maxLive).toBe(2);
    // Counted pods are released from the tracking finalizer, and nothing more is created.
    await waitFor('finalizers released', async () => (await podsOwnedBy(f.registry, uid)).every((p) => !(p.metadata?.finalizers ?? []).includes(TRACKING_FINALIZER)));
    expect(await podsOwnedBy(f.registry, uid)).toHaveLength(5);
    await waitFor('machine complete', () => controller.stateOf(NS, 'five') === 'complete');
    expect(transitions.filter((t) => t.name === 'five').map((t) => t.to)).toEqual(['pending', 'active', 'complete']);
    expect(f.events.reasons()).toContain('Completed');
    watch.close();
  });

  it('fails with BackoffLimitExceeded after backoffLimit+1 failed pods and deletes the active ones', async () => {
    const j = await createJob('flaky', { completions: 3, parallelism: 2, backoffLimit: 2 });
    const uid = j.metadata?.uid ?? '';
    for (let failed = 0; failed < 3; failed++) {
      const pods = await waitFor('2 live pods', async () => {
        const p = await livePods(uid);
        return p.length === 2 && p;
      });
      await setPhase(f.registry, pods[0] as KubeObject, 'Failed');
      // Past the pod failure back-off, so the replacement comes.
      f.clock.increment(MAX_POD_FAILURE_BACKOFF_MS);
    }
    const failedJob = await waitFor('Failed', async () => {
      const cur = await job('flaky');
      return condition(cur, 'Failed') && cur;
    });
    expect(condition(failedJob, 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded' });
    expect(condition(failedJob, 'Complete')).toBeUndefined();
    await waitFor('no live pods', async () => (await livePods(uid)).length === 0);
    await waitFor('all pods gone or finished', async () => (await podsOwnedBy(f.registry, uid)).filter((p) => phaseOf(p) === 'Failed').length === 3);
    const counted = await waitFor('failed counted', async () => {
      const cur = await job('flaky');
      return status(cur).failed === 4 && cur; // 3 failed + 1 deleted while active
    });
    expect(status(counted).active).toBe(0);
    expect(controller.stateOf(NS, 'flaky')).toBe('failed');
    expect(f.events.reasons()).toContain('BackoffLimitExceeded');
  });

  it('replaces a failed pod only after the back-off: 10 s after the first failure, 20 s after the second', async () => {
    const j = await createJob('retry', { backoffLimit: 5 });
    const uid = j.metadata?.uid ?? '';
    const onePod = (what: string): Promise<KubeObject> =>
      waitFor(what, async () => {
        const p = await livePods(uid);
        return p.length === 1 && (p[0] as KubeObject);
      });
    const failAndSettle = async (pod: KubeObject, failed: number): Promise<void> => {
      await setPhase(f.registry, pod, 'Failed');
      await waitFor(`${failed} failure(s) counted`, async () => status(await job('retry')).failed === failed);
      await waitFor('idle', () => controller.idle());
    };
    // Pods here finish when created (no container finish times): the clock has not moved.
    await failAndSettle(await onePod('first pod'), 1);
    f.clock.increment(9_000);
    await waitFor('idle', () => controller.idle());
    expect(await livePods(uid)).toHaveLength(0);
    f.clock.increment(1_000);
    const second = await onePod('replacement 10 s after the failure');

    await failAndSettle(second, 2);
    f.clock.increment(19_000);
    await waitFor('idle', () => controller.idle());
    expect(await livePods(uid)).toHaveLength(0);
    f.clock.increment(1_000);
    await onePod('replacement 20 s after the second failure');
    expect(condition(await job('retry'), 'Failed')).toBeUndefined();
  });

  it('fails with DeadlineExceeded when activeDeadlineSeconds passes on the clock', async () => {
    const j = await createJob('slow', { activeDeadlineSeconds: 30 });
    const uid = j.metadata?.uid ?? '';
    await waitFor('1 live pod', async () => (await livePods(uid)).length === 1);
    await waitFor('startTime', async () => status(await job('slow')).startTime);
    f.clock.increment(29_000);
    await waitFor('idle', () => controller.idle());
    expect(condition(await job('slow'), 'Failed')).toBeUndefined();
    f.clock.increment(2_000);
    const failed = await waitFor('DeadlineExceeded', async () => {
      const cur = await job('slow');
      return condition(cur, 'Failed') && cur;
    });
    expect(condition(failed, 'Failed')).toMatchObject({ reason: 'DeadlineExceeded' });
    await waitFor('pod deleted', async () => (await livePods(uid)).length === 0);
  });

  it('deletes a finished Job ttlSecondsAfterFinished later', async () => {
    const j = await createJob('short', { ttlSecondsAfterFinished: 60 });
    const [pod] = await waitFor('pod', async () => {
      const p = await livePods(j.metadata?.uid ?? '');
      return p.length === 1 && p;
    });
    await setPhase(f.registry, pod as KubeObject, 'Succeeded');
    await waitFor('Complete', async () => condition(await job('short'), 'Complete'));
    await waitFor('idle', () => controller.idle());
    f.clock.increment(59_000);
    await waitFor('idle', () => controller.idle());
    expect((await f.registry.list(JOBS, NS)).items).toHaveLength(1);
    f.clock.increment(2_000);
    await waitFor('job deleted', async () => (await f.registry.list(JOBS, NS)).items.length === 0);
  });

  it('suspend deletes active pods without counting them, resume starts them again', async () => {
    const j = await createJob('paused', { completions: 2, parallelism: 2 });
    const uid = j.metadata?.uid ?? '';
    await waitFor('2 live pods', async () => (await livePods(uid)).length === 2);
    await f.registry.update(JOBS, NS, 'paused', { ...(await job('paused')), spec: { ...((await job("paused")).spec as object), suspend: true } });
    await waitFor('pods gone', async () => (await podsOwnedBy(f.registry, uid)).length === 0);
    const suspended = await waitFor('Suspended', async () => {
      const cur = await job('paused');
      return condition(cur, 'Suspended') && status(cur).active === 0 && cur;
    });
    expect(status(suspended).failed).toBe(0);
    expect(status(suspended).startTime).toBeUndefined();
    await waitFor('machine suspended', () => controller.stateOf(NS, 'paused') === 'suspended');
    const current = await job('paused');
    await f.registry.update(JOBS, NS, 'paused', { ...current, spec: { ...(current.spec as object), suspend: false } });
    await waitFor('2 live pods again', async () => (await livePods(uid)).length === 2);
    await waitFor('machine running', () => controller.stateOf(NS, 'paused') === 'active');
    expect(f.events.reasons()).toEqual(expect.arrayContaining(['Suspended', 'Resumed']));
  });

  it('a work queue (no completions) completes when one pod succeeded and none runs', async () => {
    const j = await createJob('queue', { parallelism: 3, completions: null });
    const uid = j.metadata?.uid ?? '';
    const pods = await waitFor('3 live pods', async () => {
      const p = await livePods(uid);
      return p.length === 3 && p;
    });
    await setPhase(f.registry, pods[0] as KubeObject, 'Succeeded');
    await waitFor('idle', () => controller.idle());
    expect(condition(await job('queue'), 'Complete')).toBeUndefined();
    expect(await livePods(uid)).toHaveLength(2);
    await setPhase(f.registry, pods[1] as KubeObject, 'Succeeded');
    await setPhase(f.registry, pods[2] as KubeObject, 'Succeeded');
    const done = await waitFor('Complete', async () => {
      const cur = await job('queue');
      return condition(cur, 'Complete') && cur;
    });
    expect(status(done).succeeded).toBe(3);
  });

  it('never creates twice while its pod watch lags: the machine waits for its expectations', async () => {
    const slow = new SlowWatchStore(f.store, prefixFor(PODS));
    const lagging = new JobController({ store: slow.store, registry: f.registry, events: f.events, clock: f.clock });
    controller.stop();
    await lagging.start();
    try {
      slow.held = true;
      const j = await createJob('lag', { completions: 4, parallelism: 2 });
      await waitFor('2 pods in the store', async () => (await podsOwnedBy(f.registry, j.metadata?.uid ?? '')).length === 2);
      // Syncs keep coming (Job updates) while the informer still sees no pods.
      for (let i = 0; i < 4; i++) {
        const cur = await job('lag');
        await f.registry.update(JOBS, NS, 'lag', { ...cur, metadata: { ...cur.metadata, annotations: { poke: String(i) } } });
        await waitFor('idle', () => lagging.idle());
      }
      expect(await podsOwnedBy(f.registry, j.metadata?.uid ?? '')).toHaveLength(2);
      expect(lagging.stateOf(NS, 'lag')).toBe('active');
      slow.release();
      await waitFor('status active 2', async () => status(await job('lag')).active === 2);
      await waitFor('idle', () => lagging.idle());
      expect(await podsOwnedBy(f.registry, j.metadata?.uid ?? '')).toHaveLength(2);
    } finally {
      lagging.stop();
    }
  });

  it('a new leader picks a finished Job up where it was: no Event again, its TTL still runs', async () => {
    const j = await createJob('handover', { ttlSecondsAfterFinished: 60 });
    const [pod] = await waitFor('pod', async () => {
      const p = await livePods(j.metadata?.uid ?? '');
      return p.length === 1 && p;
    });
    await setPhase(f.registry, pod as KubeObject, 'Succeeded');
    await waitFor('Complete', async () => condition(await job('handover'), 'Complete'));
    await waitFor('idle', () => controller.idle());
    controller.stop();
    const completed = f.events.reasons().filter((r) => r === 'Completed').length;
    const next = new JobController({ store: f.store, registry: f.registry, events: f.events, clock: f.clock });
    await next.start();
    try {
      await waitFor('restored', () => next.stateOf(NS, 'handover') === 'complete');
      await waitFor('idle', () => next.idle());
      expect(f.events.reasons().filter((r) => r === 'Completed')).toHaveLength(completed);
      f.clock.increment(61_000);
      await waitFor('job deleted', async () => (await f.registry.list(JOBS, NS)).items.length === 0);
    } finally {
      next.stop();
    }
  });
});
