/**
 * Fixtures for the deployment controller tests: a memory store and Registry, a controller whose
 * time and machine timers run on a SimulatedClock the test moves, a stand-in for the ReplicaSet controller that writes RS status the way
 * the real one would (one step at a time), and `settle()`, which waits until the controller has
 * nothing queued and its caches hold what the store holds (a fixed point: no write in flight).
 */
import pino from 'pino';
import { SimulatedClock } from 'xstate';
import { objectKey } from '../../api/metadata.ts';
import type { KubeObject } from '../../api/object.ts';
import { Registry } from '../../registry/registry.ts';
import type { EventSink, ObjectRef } from '../../registry/event-recorder.ts';
import { retryOnConflict } from '../../registry/retry-on-conflict.ts';
import { openMemoryStore } from '../../store/embedded/index.ts';
import type { Store } from '../../store/types.ts';
import { InspectionBus, type TransitionRecord } from '../inspection.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { DeploymentController } from './controller.ts';
import { DEPLOYMENTS, REPLICA_SETS, specReplicas, statusNumber } from './objects.ts';

export const NS = 'default';

export class RecordingEvents implements EventSink {
  readonly recorded: { ref: ObjectRef; type: string; reason: string; message: string }[] = [];
  record(ref: ObjectRef, type: string, reason: string, message: string): Promise<void> {
    this.recorded.push({ ref, type, reason, message });
    return Promise.resolve();
  }
}

export interface Fixture {
  store: Store;
  registry: Registry;
  events: RecordingEvents;
  controller: DeploymentController;
  transitions: TransitionRecord[];
  /** The controller's clock and its machines' timers (a SimulatedClock at epoch ms); tests move it. */
  clock: SimulatedClock;
  settle(): Promise<void>;
  replicaSets(): Promise<KubeObject[]>;
  deployment(name: string): Promise<KubeObject>;
  close(): Promise<void>;
}

export async function fixture(): Promise<Fixture> {
  const store = await openMemoryStore();
  let t = Date.parse('2024-01-01T00:00:00Z');
  const registry = new Registry({ store, now: () => new Date((t += 1000)) });
  await registry.start([NS]);
  const clock = new SimulatedClock();
  clock.set(Date.parse('2024-06-01T00:00:00Z'));
  const events = new RecordingEvents();
  const bus = new InspectionBus();
  const transitions: TransitionRecord[] = [];
  bus.subscribe((r) => transitions.push(r));
  const logger = pino({ level: process.env.DEPLOYMENT_TEST_LOG ?? 'silent' });
  const controller = new DeploymentController({ store, registry, events, bus, logger, now: () => new Date(clock.now()), clock });
  await controller.start();
  const replicaSets = async (): Promise<KubeObject[]> => (await registry.list(REPLICA_SETS, NS)).items;
  return {
    store,
    registry,
    events,
    controller,
    transitions,
    clock,
    replicaSets,
    deployment: (name) => registry.get(DEPLOYMENTS, NS, name),
    async settle() {
      await waitFor('the deployment controller to settle', async () => {
        if (!controller.idle()) return false;
        const stored = new Map<string, string>();
        for (const info of [DEPLOYMENTS, REPLICA_SETS]) {
          for (const o of (await registry.list(info, NS)).items) stored.set(objectKey(info, NS, o.metadata?.name ?? ''), o.metadata?.resourceVersion ?? '');
        }
        const cached = controller.cachedVersions();
        return controller.idle() && cached.size === stored.size && [...stored].every(([k, v]) => cached.get(k) === v);
      });
    },
    async close() {
      controller.stop();
      registry.close();
      await store.close();
    },
  };
}

export const CONTAINERS = [{ name: 'app', image: 'busybox' }];

export function deployment(name: string, replicas: number, extra: Record<string, unknown> = {}, image = 'busybox:1'): KubeObject {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'app', image }] } }, ...extra },
  };
}

/** Sets the Deployment's container image (a new template), as `kubectl set image` does. */
export async function setImage(f: Fixture, name: string, image: string): Promise<void> {
  await f.registry.patch(DEPLOYMENTS, NS, name, 'application/merge-patch+json', { spec: { template: { spec: { containers: [{ name: 'app', image }] } } } });
}

/**
 * One step of a ReplicaSet controller: each set's pods follow spec.replicas at once, and pods
 * that existed at the previous step become ready and available now (`instant`: at once).
 * Scale-downs remove available pods at once. Returns true when any status changed.
 */
export async function stepReplicaSets(f: Fixture, opts: { instant?: boolean; healthy?: (rs: KubeObject) => boolean } = {}): Promise<boolean> {
  let changed = false;
  for (const listed of await f.replicaSets()) {
    const name = listed.metadata?.name ?? '';
    // Read each set fresh: the controller may resize it while this step runs, as it would live.
    await retryOnConflict(async () => {
      const rs = await f.registry.get(REPLICA_SETS, NS, name);
      const want = specReplicas(rs);
      const had = statusNumber(rs, 'replicas');
      const healthy = opts.healthy?.(rs) ?? true;
      const available = healthy ? Math.min(want, opts.instant ? want : Math.max(statusNumber(rs, 'availableReplicas'), had)) : 0;
      const status = { replicas: want, readyReplicas: available, availableReplicas: available, fullyLabeledReplicas: want, observedGeneration: rs.metadata?.generation ?? 0 };
      if (JSON.stringify(status) === JSON.stringify(rs.status)) return;
      await f.registry.updateStatus(REPLICA_SETS, NS, name, { ...rs, status });
      changed = true;
    });
  }
  return changed;
}

/** Steps the stand-in ReplicaSet controller and settles until nothing changes (or `max` steps). */
export async function runToFixedPoint(f: Fixture, opts: Parameters<typeof stepReplicaSets>[1] = {}, max = 50, each?: () => Promise<void>): Promise<void> {
  await f.settle();
  for (let i = 0; i < max; i++) {
    await each?.();
    if (!(await stepReplicaSets(f, opts))) return;
    await f.settle();
  }
  throw new Error(`no fixed point after ${max} steps`);
}
