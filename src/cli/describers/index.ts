/**
 * Picks the describer for a kind: Pod, ConfigMap and Service have their own; every other kind
 * gets the generic field rendering. All start with the metadata header and end with Events.
 */
import type { ConfigMap, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../output.ts';
import { eventsFor, writeEvents, writeFields, writeMetadata, type KubeEvent } from './common.ts';
import { describeConfigMap } from './configmap.ts';
import { describePod } from './pod.ts';
import { describeService } from './service.ts';
import { DescribeWriter } from './writer.ts';

/** Objects some describers show besides the object (a Service's EndpointSlices). */
export interface Related {
  endpointSlices?: KubeObject[];
}

/** The whole `describe` text of one object, given the events of its namespace. */
export function describeObject(obj: KubeObject, events: KubeEvent[], now: Date = new Date(), related: Related = {}): string {
  const w = new DescribeWriter();
  writeMetadata(w, obj);
  if (obj.kind === 'Pod') describePod(w, obj as Pod);
  else if (obj.kind === 'ConfigMap') describeConfigMap(w, obj as ConfigMap);
  else if (obj.kind === 'Service') describeService(w, obj as Service, (related.endpointSlices ?? []) as unknown as EndpointSlice[]);
  else writeFields(w, obj);
  writeEvents(w, eventsFor(obj, events), now);
  return w.toString();
}

export type { KubeEvent } from './common.ts';
