/**
 * Parts every description shares: the metadata header, the Events section, and a generic
 * rendering of the remaining fields for kinds without a describer of their own.
 */
import { LAST_APPLIED_ANNOTATION } from '../apply-patch.ts';
import type { KubeObject } from '../output.ts';
import { age } from '../table.ts';
import type { DescribeWriter } from './writer.ts';

/** A core/v1 Event, the fields describe prints. */
export interface KubeEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  source?: { component?: string; host?: string };
  reportingComponent?: string;
  involvedObject?: { kind?: string; name?: string; namespace?: string; uid?: string };
  metadata?: { creationTimestamp?: string };
}

/** Name, Namespace, Labels and Annotations (kubectl hides the last-applied annotation). */
export function writeMetadata(w: DescribeWriter, obj: KubeObject): void {
  w.field(0, 'Name', obj.metadata?.name ?? '');
  if (obj.metadata?.namespace) w.field(0, 'Namespace', obj.metadata.namespace);
  w.map(0, 'Labels', obj.metadata?.labels);
  const annotations = { ...obj.metadata?.annotations };
  delete annotations[LAST_APPLIED_ANNOTATION];
  w.map(0, 'Annotations', annotations, ': ');
}

/** The events about this object, oldest first. */
export function eventsFor(obj: KubeObject, events: KubeEvent[]): KubeEvent[] {
  const uid = obj.metadata?.uid;
  return events
    .filter((e) => {
      const io = e.involvedObject;
      if (uid && io?.uid) return io.uid === uid;
      return io?.name === obj.metadata?.name && io?.kind === obj.kind;
    })
    .sort((a, b) => Date.parse(eventTime(a) ?? '') - Date.parse(eventTime(b) ?? ''));
}

/** `Events:  <none>` or kubectl's Type/Reason/Age/From/Message table. */
export function writeEvents(w: DescribeWriter, events: KubeEvent[], now: Date = new Date()): void {
  if (events.length === 0) {
    w.field(0, 'Events', '<none>');
    return;
  }
  w.text(0, 'Events:');
  const rows = [
    ['Type', 'Reason', 'Age', 'From', 'Message'],
    ['----', '------', '----', '----', '-------'],
    ...events.map((e) => [
      e.type ?? '',
      e.reason ?? '',
      eventAge(e, now),
      e.source?.component ?? e.reportingComponent ?? '',
      e.message?.trim() ?? '',
    ]),
  ];
  for (const line of tabulate(rows)) w.text(1, line);
}

/** Columns as kubectl describe's tabwriter lays them out: each as wide as its widest cell plus 2. */
function tabulate(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length + 2)));
  return rows.map((row) => row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]!) : cell)).join('').trimEnd());
}

/** Renders fields other than apiVersion/kind/metadata, title-cased and nested as kubectl's generic describer. */
export function writeFields(w: DescribeWriter, obj: KubeObject): void {
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
    writeValue(w, 0, titleCase(key), value);
  }
}

function writeValue(w: DescribeWriter, level: number, label: string, value: unknown): void {
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== 'object' || v === null)) {
      w.field(level, label, value.length === 0 ? '<none>' : value.map(String).join(', '));
      return;
    }
    w.text(level, `${label}:`);
    for (const item of value) {
      if (typeof item === 'object' && item !== null) {
        for (const [k, v] of Object.entries(item)) writeValue(w, level + 1, titleCase(k), v);
      } else {
        w.text(level + 1, String(item));
      }
    }
    return;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) {
      w.field(level, label, '<none>');
      return;
    }
    w.text(level, `${label}:`);
    for (const [k, v] of entries) writeValue(w, level + 1, titleCase(k), v);
    return;
  }
  w.field(level, label, value === null || value === undefined ? '<none>' : String(value));
}

/** `containerPort` → `Container Port`. */
export function titleCase(key: string): string {
  const spaced = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2');
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

function eventTime(e: KubeEvent): string | undefined {
  return e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
}

function eventAge(e: KubeEvent, now: Date): string {
  const last = age(eventTime(e), now);
  if ((e.count ?? 1) > 1 && e.firstTimestamp) return `${last} (x${e.count} over ${age(e.firstTimestamp, now)})`;
  return last;
}
