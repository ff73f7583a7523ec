/**
 * What a content volume holds (configMap, secret, downwardAPI, projected): its payload, computed
 * as the kubelet's volume plugins compute it (`MakePayload`, `CollectData`, the projected
 * plugin's `collectData`), with their error messages. Pure but for ServiceAccount tokens, which
 * come from `ProjectionContext.token` (a request to the masters, cached by TokenManager).
 */
import { isRecord, optionalRecord, recordList, type JsonObject } from '../../src/api/object.ts';
import type { IssuedServiceAccountToken, ServiceAccountTokenRequest } from '../../src/api/service-account-token.ts';
import { getObject, ObjectNotFoundError, type ClusterObjects } from '../cluster-objects.ts';
import { metadataField, resourceFieldValue, type NodeAllocatable } from '../env/downward-api.ts';
import type { FileProjection } from './atomic-writer.ts';
import { DEFAULT_MODE, modeOf, type ContentSource } from './pod-volumes.ts';

/** Default lifetime of a projected ServiceAccount token (the API's default for `expirationSeconds`). */
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600;

export interface ProjectionContext {
  pod: JsonObject;
  objects: ClusterObjects | undefined;
  allocatable: NodeAllocatable;
  /**
   * A ServiceAccount token for the pod. Absent on a node that writes no contents (hollow): the
   * token files are then left out and nothing is asked of the masters.
   */
  token?(request: ServiceAccountTokenRequest): Promise<IssuedServiceAccountToken>;
}

type Payload = Map<string, FileProjection>;

/** A volume whose contents cannot be computed; `message` is what follows `MountVolume.SetUp failed for volume "x" : `. */
export class ProjectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProjectionError';
  }
}

function namespaceOf(pod: JsonObject): string {
  return String(optionalRecord(pod, 'metadata')?.namespace ?? 'default');
}

/** A ConfigMap's or Secret's files: every key, or the `items` asked for (`MakePayload`). */
function keyPayload(data: Map<string, Uint8Array>, items: JsonObject[], defaultMode: number, optional: boolean, missingKey: (key: string) => string): Payload {
  const payload: Payload = new Map();
  if (items.length === 0) {
    for (const [key, bytes] of data) payload.set(key, { data: bytes, mode: defaultMode });
    return payload;
  }
  for (const item of items) {
    const key = String(item.key ?? '');
    const bytes = data.get(key);
    if (bytes === undefined) {
      if (optional) continue;
      throw new ProjectionError(missingKey(key));
    }
    payload.set(String(item.path ?? key), { data: bytes, mode: modeOf(item.mode, defaultMode) });
  }
  return payload;
}

function configMapData(cm: JsonObject | undefined): Map<string, Uint8Array> {
  const data = new Map<string, Uint8Array>();
  for (const [k, v] of Object.entries(isRecord(cm?.data) ? cm.data : {})) if (typeof v === 'string') data.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(isRecord(cm?.binaryData) ? cm.binaryData : {})) if (typeof v === 'string') data.set(k, Buffer.from(v, 'base64'));
  return data;
}

function secretData(secret: JsonObject | undefined): Map<string, Uint8Array> {
  const data = new Map<string, Uint8Array>();
  for (const [k, v] of Object.entries(isRecord(secret?.data) ? secret.data : {})) if (typeof v === 'string') data.set(k, Buffer.from(v, 'base64'));
  return data;
}

/** The object, undefined when it is missing and `optional`; throws ProjectionError otherwise. */
function lookup(ctx: ProjectionContext, resource: 'configmaps' | 'secrets', name: string, optional: boolean): JsonObject | undefined {
  try {
    return getObject(ctx.objects, resource, namespaceOf(ctx.pod), name);
  } catch (err) {
    if (err instanceof ObjectNotFoundError && optional) return undefined;
    throw new ProjectionError((err as Error).message);
  }
}

function configMapPayload(ctx: ProjectionContext, source: JsonObject, defaultMode: number): Payload {
  const optional = source.optional === true;
  const cm = lookup(ctx, 'configmaps', String(source.name ?? ''), optional);
  return keyPayload(configMapData(cm), recordList(source, 'items'), defaultMode, optional, (k) => `configmap references non-existent config key: ${k}`);
}

function secretPayload(ctx: ProjectionContext, source: JsonObject, name: string, defaultMode: number): Payload {
  const optional = source.optional === true;
  const secret = lookup(ctx, 'secrets', name, optional);
  return keyPayload(secretData(secret), recordList(source, 'items'), defaultMode, optional, (k) => `references non-existent secret key: ${k}`);
}

/** A downwardAPI volume's files (`CollectData`): metadata fields and container resources; every failure listed. */
function downwardPayload(ctx: ProjectionContext, items: JsonObject[], defaultMode: number, errors: string[]): Payload {
  const payload: Payload = new Map();
  for (const item of items) {
    const path = String(item.path ?? '');
    const mode = modeOf(item.mode, defaultMode);
    try {
      const fieldRef = optionalRecord(item, 'fieldRef');
      const resourceRef = optionalRecord(item, 'resourceFieldRef');
      const text = fieldRef
        ? metadataField(ctx.pod, String(fieldRef.fieldPath ?? ''))
        : resourceRef
          ? resourceFieldValue(ctx.pod, resourceRef, ctx.allocatable)
          : '';
      payload.set(path, { data: Buffer.from(text, 'utf8'), mode });
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  return payload;
}

/** One error as is, several as Go's aggregate prints them (`[a, b]`). */
function aggregate(errors: string[]): ProjectionError | undefined {
  if (errors.length === 0) return undefined;
  return new ProjectionError(errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`);
}

async function projectedPayload(ctx: ProjectionContext, source: JsonObject): Promise<Payload> {
  const defaultMode = modeOf(source.defaultMode, DEFAULT_MODE);
  const payload: Payload = new Map();
  const errors: string[] = [];
  const merge = (part: Payload) => {
    for (const [k, v] of part) payload.set(k, v);
  };
  for (const s of recordList(source, 'sources')) {
    try {
      const cm = optionalRecord(s, 'configMap');
      const secret = optionalRecord(s, 'secret');
      const downward = optionalRecord(s, 'downwardAPI');
      const token = optionalRecord(s, 'serviceAccountToken');
      if (cm) merge(configMapPayload(ctx, cm, defaultMode));
      else if (secret) merge(secretPayload(ctx, secret, String(secret.name ?? ''), defaultMode));
      else if (downward) merge(downwardPayload(ctx, recordList(downward, 'items'), defaultMode, errors));
      else if (token && ctx.token) payload.set(String(token.path ?? 'token'), { data: Buffer.from((await ctx.token(tokenRequest(ctx.pod, token))).token, 'utf8'), mode: defaultMode });
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  const failed = aggregate(errors);
  if (failed) throw failed;
  return payload;
}

/** The TokenRequest a projected `serviceAccountToken` source makes, bound to the pod. */
export function tokenRequest(pod: JsonObject, source: JsonObject): ServiceAccountTokenRequest {
  const meta = optionalRecord(pod, 'metadata') ?? {};
  const spec = optionalRecord(pod, 'spec') ?? {};
  const sa = typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== '' ? spec.serviceAccountName : 'default';
  const expirationSeconds = typeof source.expirationSeconds === 'number' ? source.expirationSeconds : DEFAULT_TOKEN_EXPIRATION_SECONDS;
  return {
    namespace: String(meta.namespace ?? 'default'),
    serviceAccountName: sa,
    ...(typeof source.audience === 'string' && source.audience !== '' ? { audiences: [source.audience] } : {}),
    expirationSeconds,
    boundPod: { name: String(meta.name ?? ''), uid: String(meta.uid ?? '') },
  };
}

/** The files of a content volume; throws ProjectionError with the plugin's message. */
export async function projectVolume(source: ContentSource, ctx: ProjectionContext): Promise<Payload> {
  const s = source.source;
  const defaultMode = modeOf(s.defaultMode, DEFAULT_MODE);
  switch (source.kind) {
    case 'configMap':
      return configMapPayload(ctx, s, defaultMode);
    case 'secret':
      return secretPayload(ctx, s, String(s.secretName ?? ''), defaultMode);
    case 'downwardAPI': {
      const errors: string[] = [];
      const payload = downwardPayload(ctx, recordList(s, 'items'), defaultMode, errors);
      const failed = aggregate(errors);
      if (failed) throw failed;
      return payload;
    }
    case 'projected':
      return projectedPayload(ctx, s);
  }
}
