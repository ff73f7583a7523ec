/**
 * The scale guard (issue 13): the work one event costs must not grow with the number of pods in
 * the cluster. It counts the pods the control plane *looks at* — every pod object an informer
 * decodes (the caches the scheduler and the controllers read) is wrapped so that touching it
 * marks it visited — while one event is handled, at 1,000 and at 10,000 pods (100 nodes, one ReplicaSet owning them all):
 *
 * - a scheduling decision: a new pending pod created, until the scheduler has bound it;
 * - the same for a pod with required pod anti-affinity, a preferred pod affinity to the 10,000
 *   pods' labels and topology spread constraints (both kinds): InterPodAffinity and
 *   PodTopologySpread read the scheduler cache's per-node counts of each term's pods instead of
 *   walking every pod (the counts of a selection are built by one walk the first time a decision
 *   asks for it — the one warm-up pod, not measured — and moved by pod events after that);
 * - a ReplicaSet sync: one of its pods turns not ready, until the set's status says so.
 *
 * Code that re-sums every placed pod per decision (a NodeInfo built from all pods) or walks all
 * of a set's pods per sync (status recounted, claim over the namespace) visits ~N pods per event
 * and fails here; incremental code visits the few pods the event is about. The count is of
 * distinct pods, not of time or instructions, so the test is deterministic on a busy machine.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KubeObject } from '../../src/api/object.ts';
import { findKind, type ResourceInfo } from '../../src/api/kinds.ts';
import { objectKey } from '../../src/api/metadata.ts';
import { Registry } from '../../src/registry/registry.ts';
import { encodeObject } from '../../src/registry/codec.ts';
import { openMemoryStore } from '../../src/store/embedded/index.ts';
import type { Store } from '../../src/store/types.ts';
import { ReplicaController } from '../../src/actors/replicaset/controller.ts';
import { REPLICA_SET } from '../../src/actors/replicaset/replica-kind.ts';
import { RecordingEvents } from '../../src/actors/replicaset/test-support.ts';
import { Scheduler } from '../../src/scheduler/scheduler.ts';
import { node } from '../../src/scheduler/test-fixtures.ts';
import { waitFor } from '../support/wait.ts';

/** Pods the code under test touched in the current window. */
const visits = vi.hoisted(() => ({ counting: false, seen: new Set<object>() }));

// Every pod an informer decodes (the caches the scheduler and the controllers read) counts its visitors.
vi.mock('../../src/store/informer.ts', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/store/informer.ts')>();
  const mark = (target: object): void => {
    if (visits.counting) visits.seen.add(target);
  };
  const counted = (obj: unknown): unknown => {
    if (typeof obj !== 'object' || obj === null || (obj as { kind?: unknown }).kind !== 'Pod') return obj;
    return new Proxy(obj, {
      get(target, prop, receiver) {
        mark(target);
        return Reflect.get(target, prop, receiver) as unknown;
      },
      ownKeys(target) {
        mark(target);
        return Reflect.ownKeys(target);
      },
    });
  };
  class CountingInformer<T> extends mod.Informer<T> {
    constructor(opts: ConstructorParameters<typeof mod.Informer<T>>[0]) {
      super({ ...opts, decode: (kv) => counted(opts.decode(kv)) as T });
    }
  }
  return { ...mod, Informer: CountingInformer };
});

const PODS = findKind('v1', 'Pod') as ResourceInfo;
const NODES = findKind('v1', 'Node') as ResourceInfo;
const RS = findKind('apps/v1', 'ReplicaSet') as ResourceInfo;
const NS = 'default';
const NODE_COUNT = 100;
/** Events measured per kind and size. */
const EVENTS = 20;
const CREATED = '2024-06-01T00:00:00Z';
const LABELS = { app: 'web' };
const CONTAINERS = [{ name: 'app', image: 'busybox' }];

interface Cluster {
  store: Store;
  registry: Registry;
  scheduler: Scheduler;
  replicas: ReplicaController;
  close(): Promise<void>;
}

function ownedPod(i: number, rsUid: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `web-${i}`,
      namespace: NS,
      uid: `web-uid-${i}`,
      creationTimestamp: CREATED,
      labels: LABELS,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rsUid, controller: true, blockOwnerDeletion: true }],
    },
    spec: { nodeName: `node-${i % NODE_COUNT}`, schedulerName: 'default-scheduler', containers: CONTAINERS },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: CREATED }] },
  };
}

/** `pods` Running and Ready pods of one ReplicaSet on 100 nodes, written straight to the store, then the scheduler and the controller started on it. */
async function cluster(pods: number): Promise<Cluster> {
  const store = await openMemoryStore();
  const registry = new Registry({ store });
  await registry.start([NS]);
  for (let i = 0; i < NODE_COUNT; i++) await registry.create(NODES, undefined, node({ name: `node-${i}`, pods: '250', cpu: '1000', memory: '4000Gi' }));
  const rsUid = 'rs-web-uid';
  const rs: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: NS, uid: rsUid, generation: 1, creationTimestamp: CREATED },
    spec: { replicas: pods, selector: { matchLabels: LABELS }, template: { metadata: { labels: LABELS }, spec: { containers: CONTAINERS } } },
    status: { replicas: pods, fullyLabeledReplicas: pods, readyReplicas: pods, availableReplicas: pods, observedGeneration: 1 },
  };
  await store.create(objectKey(RS, NS, 'web'), encodeObject(rs));
  for (let start = 0; start < pods; start += 500) {
    await Promise.all(Array.from({ length: Math.min(500, pods - start) }, (_, j) => store.create(objectKey(PODS, NS, `web-${start + j}`), encodeObject(ownedPod(start + j, rsUid)))));
  }
  const events = new RecordingEvents();
  const scheduler = new Scheduler({ store, registry, events });
  const replicas = new ReplicaController({ kind: REPLICA_SET, store, registry, events });
  await scheduler.start();
  await replicas.start();
  await waitFor('the ReplicaSet controller idle', () => replicas.idle(), 60_000);
  return {
    store,
    registry,
    scheduler,
    replicas,
    async close() {
      replicas.stop();
      await scheduler.stop();
      registry.close();
      await store.close();
    },
  };
}

/** Reads a stored object without decoding it through the (counting) codec. */
async function raw(store: Store, key: string): Promise<Record<string, unknown> | undefined> {
  const kv = await store.get(key);
  return kv ? (JSON.parse(kv.value) as Record<string, unknown>) : undefined;
}

/** Distinct pods visited while `event` runs and until `handled` holds; the mean over the events. */
async function visitsPerEvent(count: number, event: (i: number) => Promise<void>, handled: (i: number) => Promise<boolean>, quiet: () => boolean): Promise<number> {
  let total = 0;
  for (let i = 0; i < count; i++) {
    visits.seen.clear();
    visits.counting = true;
    await event(i);
    await waitFor(`event ${i} handled`, () => handled(i), 30_000, 2);
    await waitFor('the control plane quiet', quiet, 30_000, 2);
    visits.counting = false;
    total += visits.seen.size;
  }
  return total / count;
}

interface PerEvent {
  scheduling: number;
  affinityScheduling: number;
  replicaSetSync: number;
}

/** A pod no two of which share a node, drawn to the nodes holding `app: web` pods and spread by host (both constraint kinds). */
function spreadPod(name: string): KubeObject {
  const spread = { app: 'spread' };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: spread },
    spec: {
      containers: CONTAINERS,
      affinity: {
        podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: spread } }] },
        podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: LABELS } } }] },
      },
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: spread } },
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: LABELS } },
      ],
    },
  };
}

async function measure(pods: number): Promise<PerEvent> {
  const c = await cluster(pods);
  try {
    const quiet = () => c.replicas.idle();
    const scheduling = await visitsPerEvent(
      EVENTS,
      async (i) => {
        await c.registry.create(PODS, NS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `new-${i}`, labels: { app: 'other' } }, spec: { containers: CONTAINERS } });
      },
      async (i) => {
        const pod = await raw(c.store, objectKey(PODS, NS, `new-${i}`));
        return typeof (pod?.spec as { nodeName?: string } | undefined)?.nodeName === 'string';
      },
      quiet,
    );
    const boundPod = async (name: string) => typeof ((await raw(c.store, objectKey(PODS, NS, name)))?.spec as { nodeName?: string } | undefined)?.nodeName === 'string';
    // The warm-up: the first decision with these terms builds their counts (one walk over the placed pods).
    await c.registry.create(PODS, NS, spreadPod('spread-warm-up'));
    await waitFor('the warm-up pod bound', () => boundPod('spread-warm-up'), 30_000, 2);
    const affinityScheduling = await visitsPerEvent(
      EVENTS,
      async (i) => {
        await c.registry.create(PODS, NS, spreadPod(`spread-${i}`));
      },
      (i) => boundPod(`spread-${i}`),
      quiet,
    );
    const replicaSetSync = await visitsPerEvent(
      EVENTS,
      async (i) => {
        const current = await c.registry.get(PODS, NS, `web-${i}`);
        await c.registry.updateStatus(PODS, NS, `web-${i}`, { ...current, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: CREATED }] } });
      },
      async (i) => {
        const rs = await raw(c.store, objectKey(RS, NS, 'web'));
        return (rs?.status as { readyReplicas?: number } | undefined)?.readyReplicas === pods - i - 1;
      },
      quiet,
    );
    return { scheduling, affinityScheduling, replicaSetSync };
  } finally {
    await c.close();
  }
}

describe('per-event cost does not grow with the cluster (issue 13)', () => {
  afterEach(() => {
    visits.counting = false;
  });

  it('pods visited per scheduling decision (with and without pod affinity and spreading) and per ReplicaSet sync: 10,000 pods ≤ 1.5 × 1,000 pods', async () => {
    const small = await measure(1_000);
    const large = await measure(10_000);
    const report = { '1k pods': small, '10k pods': large };
    console.log(`pods visited per event: ${JSON.stringify(report)}`);
    // Not vacuous: the events were seen (the new pod and the changed pod are visited at least).
    expect(small.scheduling).toBeGreaterThanOrEqual(1);
    expect(small.replicaSetSync).toBeGreaterThanOrEqual(1);
    expect(small.affinityScheduling).toBeGreaterThanOrEqual(1);
    expect(large.scheduling, `scheduling: ${JSON.stringify(report)}`).toBeLessThanOrEqual(1.5 * small.scheduling);
    expect(large.affinityScheduling, `scheduling with affinity: ${JSON.stringify(report)}`).toBeLessThanOrEqual(1.5 * small.affinityScheduling);
    expect(large.replicaSetSync, `ReplicaSet sync: ${JSON.stringify(report)}`).toBeLessThanOrEqual(1.5 * small.replicaSetSync);
  }, 300_000);
});
