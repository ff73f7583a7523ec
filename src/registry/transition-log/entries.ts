/**
 * The log's records as stored (small JSON values) and as read back: an entry carries its index,
 * the store revision of its write, which is its place in the one global order.
 */
import type { KubeObject } from '../../api/object.ts';
import { isTransitionRecord, type TransitionRecord } from '../../api/transition.ts';
import type { KeyValue } from '../../store/types.ts';
import { parseRecordKey, type ObjectRef } from './keys.ts';

export interface LoggedTransition {
  type: 'transition';
  /** The store revision of the record's write. */
  index: number;
  key: string;
  record: TransitionRecord;
}

export interface LoggedEvent {
  type: 'event';
  index: number;
  key: string;
  /** When the Event was appended (RFC 3339, ms). */
  time: string;
  /** The core/v1 Event as stored, with its resourceVersion. */
  event: KubeObject;
  /** The object it is about. */
  about: ObjectRef;
}

export type LogEntry = LoggedTransition | LoggedEvent;

/** The stored value of a transition: the record with `namespace` always present. */
export function encodeTransition(rec: TransitionRecord): string {
  const { kind, namespace, name, uid, actor, time, from, to, event, labels } = rec;
  return JSON.stringify(labels ? { kind, namespace: namespace ?? '', name, uid, actor, time, from, to, event, labels } : { kind, namespace: namespace ?? '', name, uid, actor, time, from, to, event });
}

export function encodeEvent(time: string, event: KubeObject): string {
  return JSON.stringify({ time, event });
}

/** A stored record as an entry; undefined for anything that is not one (never thrown: a bad value is skipped). */
export function decodeEntry(kv: KeyValue): LogEntry | undefined {
  const key = parseRecordKey(kv.key);
  if (!key) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(kv.value);
  } catch {
    return undefined;
  }
  if (key.type === 'transition') {
    if (!isTransitionRecord(value)) return undefined;
    return { type: 'transition', index: kv.modRevision, key: kv.key, record: value };
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { time, event } = value as { time?: unknown; event?: unknown };
  if (typeof time !== 'string' || typeof event !== 'object' || event === null) return undefined;
  return { type: 'event', index: kv.modRevision, key: kv.key, time, event: event as KubeObject, about: { kind: key.kind, namespace: key.namespace, name: key.name } };
}

/** `kind/namespace/name/actor`: one actor, across the lives of its object's name. */
export function actorKeyOf(rec: Pick<TransitionRecord, 'kind' | 'namespace' | 'name' | 'actor'>): string {
  return `${rec.kind}/${rec.namespace ?? ''}/${rec.name}/${rec.actor}`;
}
