/**
 * Picks the describer for a kind: Pod, ConfigMap, Service, PersistentVolumeClaim,
 * PersistentVolume and StorageClass have their own; every other kind
 * gets the generic field rendering. All start with the metadata header and end with Events.
 */
import type { ConfigMap, PersistentVolume, PersistentVolumeClaim, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../output.ts';
import { eventsFor, writeEvents, writeFields, writeMetadata, type KubeEvent } from './common.ts';
import { describeConfigMap } from './configmap.ts';
import { describePod } from './pod.ts';
import { describeService } from './service.ts';
import { describePersistentVolume, describePersistentVolumeClaim, describeStorageClass } from './storage.ts';
import { DescribeWriter } from './writer.ts';

/** Objects some describers show besides the object (a Service's EndpointSlices). */
export interface Related {
  endpointSlices?: KubeObject[];
  /** A claim's namespace's pods (its `Used By`). */
  pods?: KubeObject[];
}

/** The whole `describe` text of one object, given the events of its namespace. */
export function describeObject(obj: KubeObject, events: KubeEvent[], now: Date = new Date(), related: Related = {}): string {
  const w = new DescribeWriter();
  // kubectl's storage describers write their own header, in their own order.
  const storage = describeStorage(w, obj, related, now);
  if (storage) {
    writeEvents(w, eventsFor(obj, events), now);
    return w.toString();
  }
  writeMetadata(w, obj);
  if (obj.kind === 'Pod') describePod(w, obj as Pod);
  else if (obj.kind === 'ConfigMap') describeConfigMap(w, obj as ConfigMap);
  else if (obj.kind === 'Service') describeService(w, obj as Service, (related.endpointSlices ?? []) as unknown as EndpointSlice[]);
  else writeFields(w, obj);
  writeEvents(w, eventsFor(obj, events), now);
  return w.toString();
}

function describeStorage(w: DescribeWriter, obj: KubeObject, related: Related, now: Date): boolean {
  if (obj.apiVersion === 'v1' && obj.kind === 'PersistentVolumeClaim') describePersistentVolumeClaim(w, obj as PersistentVolumeClaim, related.pods ?? [], now);
  else if (obj.apiVersion === 'v1' && obj.kind === 'PersistentVolume') describePersistentVolume(w, obj as PersistentVolume, now);
  else if (obj.apiVersion === 'storage.k8s.io/v1' && obj.kind === 'StorageClass') describeStorageClass(w, obj as unknown as StorageClass);
  else return false;
  return true;
}

export type { KubeEvent } from './common.ts';
