/**
 * Records core/v1 Events the way client-go's event recorder does: one Event object per
 * (object, type, reason, message, source), named `<object>.<hex nanoseconds>`; the same event
 * again within 10 minutes increments `count` and moves `lastTimestamp` instead of creating
 * another object. Events are best effort: a failed write is logged, never thrown at the caller
 * (a controller must not fail its work because an Event could not be stored).
 */
import type { Logger } from 'pino';
import pino from 'pino';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { rfc3339Seconds } from '../api/metadata.ts';
import type { KubeObject } from '../api/object.ts';
import type { Registry } from './registry.ts';
import { isNotFound, retryOnConflict } from './retry-on-conflict.ts';

const EVENTS = findKind('v1', 'Event') as ResourceInfo;

/** Identical events within this window are aggregated into one object (client-go: 10 min). */
const AGGREGATION_WINDOW_MS = 10 * 60 * 1000;
/** Most aggregation entries remembered; the oldest are forgotten first. */
const MAX_REMEMBERED = 4096;

/** The object an Event is about (Kubernetes' ObjectReference). */
export interface ObjectRef {
  kind: string;
  apiVersion?: string;
  /** Absent for cluster-scoped objects: their Events go to `default`, as Kubernetes does. */
  namespace?: string;
  name: string;
  uid?: string;
  fieldPath?: string;
}

/** Who reports an Event (`source.component`, `source.host`). */
export interface EventSource {
  component: string;
  host?: string;
}

export type EventType = 'Normal' | 'Warning';

/** The narrow interface controllers, the scheduler and the gateway record Events through. */
export interface EventSink {
  record(ref: ObjectRef, type: EventType, reason: string, message: string, opts?: { source?: EventSource; time?: Date }): Promise<void>;
}

/** A reference to `obj` for Events. */
export function refTo(obj: KubeObject, fieldPath?: string): ObjectRef {
  const meta = obj.metadata ?? {};
  const ref: ObjectRef = { kind: obj.kind ?? '', apiVersion: obj.apiVersion, name: meta.name ?? '', uid: meta.uid };
  if (meta.namespace) ref.namespace = meta.namespace;
  if (fieldPath) ref.fieldPath = fieldPath;
  return ref;
}

interface Remembered {
  namespace: string;
  name: string;
  firstAt: number;
}

export interface EventRecorderOptions {
  registry: Registry;
  /** Default source of the Events recorded. */
  source: EventSource;
  now?: () => Date;
  logger?: Logger;
  /**
   * Every Event as stored after its create or count increment (with its resourceVersion): the
   * master appends them to the transition log, so the event stream carries them in order.
   */
  onRecorded?: (event: KubeObject) => void;
}

export class EventRecorder implements EventSink {
  private readonly remembered = new Map<string, Remembered>();
  private readonly now: () => Date;
  private readonly log: Logger;
  private sequence = 0;

  constructor(private readonly opts: EventRecorderOptions) {
    this.now = opts.now ?? (() => new Date());
    this.log = opts.logger ?? pino({ level: 'silent' });
  }

  async record(ref: ObjectRef, type: EventType, reason: string, message: string, opts: { source?: EventSource; time?: Date } = {}): Promise<void> {
    const source = opts.source ?? this.opts.source;
    const time = opts.time ?? this.now();
    const namespace = ref.namespace || 'default';
    const key = JSON.stringify([ref.kind, namespace, ref.name, ref.uid, ref.fieldPath, type, reason, message, source.component, source.host]);
    try {
      const seen = this.remembered.get(key);
      if (seen && time.getTime() - seen.firstAt < AGGREGATION_WINDOW_MS && (await this.increment(seen, time))) return;
      const name = await this.create(ref, namespace, type, reason, message, source, time);
      this.remember(key, { namespace, name, firstAt: time.getTime() });
    } catch (err) {
      this.log.warn({ err, reason, object: `${ref.kind}/${ref.name}` }, 'could not record event');
    }
  }

  /** count+1 on the remembered Event; false when it is gone (then a new one is created). */
  private async increment(seen: Remembered, time: Date): Promise<boolean> {
    try {
      await retryOnConflict(async () => {
        const event = await this.opts.registry.get(EVENTS, seen.namespace, seen.name);
        const count = typeof event.count === 'number' ? event.count : 1;
        const updated = await this.opts.registry.update(EVENTS, seen.namespace, seen.name, { ...event, count: count + 1, lastTimestamp: rfc3339Seconds(time) });
        this.opts.onRecorded?.(updated);
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private async create(ref: ObjectRef, namespace: string, type: EventType, reason: string, message: string, source: EventSource, time: Date): Promise<string> {
    // client-go names Events `<object>.<UnixNano in hex>`; the sequence keeps names unique within a millisecond.
    const nanos = BigInt(time.getTime()) * 1_000_000n + BigInt(this.sequence++ % 1_000_000);
    const name = `${ref.name}.${nanos.toString(16)}`;
    const stamp = rfc3339Seconds(time);
    const involvedObject: Record<string, unknown> = { kind: ref.kind, name: ref.name };
    if (ref.namespace) involvedObject.namespace = ref.namespace;
    if (ref.uid) involvedObject.uid = ref.uid;
    if (ref.apiVersion) involvedObject.apiVersion = ref.apiVersion;
    if (ref.fieldPath) involvedObject.fieldPath = ref.fieldPath;
    const created = await this.opts.registry.create(EVENTS, namespace, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject,
      reason,
      message,
      type,
      source: source.host ? { component: source.component, host: source.host } : { component: source.component },
      firstTimestamp: stamp,
      lastTimestamp: stamp,
      count: 1,
      reportingComponent: source.component,
      reportingInstance: source.host ?? '',
    });
    this.opts.onRecorded?.(created);
    return name;
  }

  private remember(key: string, entry: Remembered): void {
    this.remembered.delete(key);
    this.remembered.set(key, entry);
    if (this.remembered.size > MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value as string);
  }
}
