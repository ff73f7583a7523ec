/**
 * Picks the describer for a kind: Pod and ConfigMap have their own; every other kind gets the
 * generic field rendering. All start with the metadata header and end with Events.
 */
import type { ConfigMap, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../output.ts';
import { eventsFor, writeEvents, writeFields, writeMetadata, type KubeEvent } from './common.ts';
import { describeConfigMap } from './configmap.ts';
import { describePod } from './pod.ts';
import { DescribeWriter } from './writer.ts';

/** The whole `describe` text of one object, given the events of its namespace. */
export function describeObject(obj: KubeObject, events: KubeEvent[], now: Date = new Date()): string {
  const w = new DescribeWriter();
  writeMetadata(w, obj);
  if (obj.kind === 'Pod') describePod(w, obj as Pod);
  else if (obj.kind === 'ConfigMap') describeConfigMap(w, obj as ConfigMap);
  else writeFields(w, obj);
  writeEvents(w, eventsFor(obj, events), now);
  return w.toString();
}

export type { KubeEvent } from './common.ts';
