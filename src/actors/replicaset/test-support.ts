/**
 * Fixtures for the replica controller and garbage collector tests: a memory store, a Registry
 * over it with a clock that moves one second per read (so creation times order pods), an Event
 * sink that keeps what it is given, and a store wrapper whose pod watch can be held back (a slow
 * watch, for the expectations test).
 */
import { applyDefaults } from '../../api/defaults.ts';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import { objectKey, prepareForCreate } from '../../api/metadata.ts';
import type { KubeObject } from '../../api/object.ts';
import { decodeObject, encodeObject } from '../../registry/codec.ts';
import { Registry } from '../../registry/registry.ts';
import type { EventSink, ObjectRef } from '../../registry/event-recorder.ts';
import { openMemoryStore } from '../../store/embedded/index.ts';
import type { Store, Watch, WatchEvent, WatchHandler, WatchOptions } from '../../store/types.ts';

export const PODS = findKind('v1', 'Pod') as ResourceInfo;
export const RS = findKind('apps/v1', 'ReplicaSet') as ResourceInfo;
export const RC = findKind('v1', 'ReplicationController') as ResourceInfo;
export const NS = 'default';

export interface RecordedEvent {
  ref: ObjectRef;
  type: string;
  reason: string;
  message: string;
}

export class RecordingEvents implements EventSink {
  readonly recorded: RecordedEvent[] = [];
  record(ref: ObjectRef, type: string, reason: string, message: string): Promise<void> {
    this.recorded.push({ ref, type, reason, message });
    return Promise.resolve();
  }
  reasons(): string[] {
    return this.recorded.map((e) => e.reason);
  }
}

/** A memory store and a Registry over it with the test namespace, stamping times from `now`. */
export interface MemoryRegistry {
  store: Store;
  registry: Registry;
  events: RecordingEvents;
  close(): Promise<void>;
}

export async function memoryRegistry(now: () => Date): Promise<MemoryRegistry> {
  const store = await openMemoryStore();
  const registry = new Registry({ store, now });
  await registry.start([NS]);
  return {
    store,
    registry,
    events: new RecordingEvents(),
    async close() {
      registry.close();
      await store.close();
    },
  };
}

export interface Fixture extends MemoryRegistry {
  /** The Registry's clock: advances one second each time it is read. */
  clock: () => Date;
}

export async function fixture(): Promise<Fixture> {
  let t = Date.parse('2024-01-01T00:00:00Z');
  const clock = (): Date => new Date((t += 1000));
  return { ...(await memoryRegistry(clock)), clock };
}

/**
 * Creates a ReplicaSet or ReplicationController. Today `Registry.create` rejects both: a new
 * object's status is reset to `{}` (src/api/metadata.ts initialStatus) and the schema then
 * requires `status.replicas` (Kubernetes stores `{replicas: 0}`, the Go zero value). Until that
 * is fixed this stores the object as the Registry would (defaults, prepareForCreate) with that
 * status; every later write in the tests goes through the Registry.
 */
export async function createWorkload(f: Fixture, info: ResourceInfo, obj: KubeObject): Promise<KubeObject> {
  const prepared = prepareForCreate(info, applyDefaults(info, { ...obj, apiVersion: info.group ? `${info.group}/${info.version}` : info.version, kind: info.kind }), f.clock(), { namespace: NS });
  prepared.status = { replicas: 0 };
  return decodeObject(await f.store.create(objectKey(info, NS, prepared.metadata?.name ?? ''), encodeObject(prepared)));
}

/** A container spec that validates. */
export const CONTAINERS = [{ name: 'app', image: 'busybox' }];

export function replicaSet(name: string, replicas: number, labels: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: NS },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: CONTAINERS } }, ...extra },
  };
}

export async function podsOf(registry: Registry, ownerUid?: string): Promise<KubeObject[]> {
  const items = (await registry.list(PODS, NS)).items;
  return ownerUid === undefined ? items : items.filter((p) => (p.metadata?.ownerReferences ?? []).some((r) => r.uid === ownerUid));
}

/** Active pods (not terminating) controlled by `ownerUid`. */
export async function activePodsOf(registry: Registry, ownerUid: string): Promise<KubeObject[]> {
  return (await podsOf(registry, ownerUid)).filter((p) => !p.metadata?.deletionTimestamp);
}

/**
 * A store whose watches on `heldPrefix` queue their events while held (the informer then lags
 * the store, as a slow watch does); `release()` delivers them in order.
 */
export class SlowWatchStore {
  held = false;
  private readonly pending: (() => void)[] = [];

  constructor(
    private readonly inner: Store,
    private readonly heldPrefix: string,
  ) {}

  get store(): Store {
    return new Proxy(this.inner, {
      get: (target, prop, receiver) => {
        if (prop === 'watch') return (prefix: string, opts: WatchOptions, handler: WatchHandler): Watch => this.watch(prefix, opts, handler);
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  release(): void {
    this.held = false;
    for (const deliver of this.pending.splice(0)) deliver();
  }

  private watch(prefix: string, opts: WatchOptions, handler: WatchHandler): Watch {
    if (!prefix.startsWith(this.heldPrefix)) return this.inner.watch(prefix, opts, handler);
    return this.inner.watch(prefix, opts, {
      ...handler,
      onEvents: (events: WatchEvent[]) => {
        if (this.held) this.pending.push(() => handler.onEvents(events));
        else handler.onEvents(events);
      },
    });
  }
}
