/**
 * `pods/binding` (POST): assigns a pod to a node, as Kubernetes' BindingREST does. The scheduler
 * calls it; a pod is bound once: a second binding, or a binding of a pod being deleted, is a 409
 * Conflict. Binding also sets the pod's `PodScheduled` condition to True. The write is a
 * compare-and-swap on the pod's revision, retried when only another field moved; `spec.nodeName`
 * is written here directly because a main-resource update may never change it.
 */
import { notSupported, required, type FieldError } from '../api/field.ts';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { objectKey, rfc3339Seconds } from '../api/metadata.ts';
import { childRecord, isRecord, recordList, type JsonObject, type KubeObject } from '../api/object.ts';
import { ApiError } from '../api/status.ts';
import { fromStoreError } from './store-errors.ts';
import { ConflictError } from '../store/errors.ts';
import { decodeObject, encodeObject } from './codec.ts';
import type { RegistryContext } from './context.ts';
import { readCurrent } from './read.ts';
import type { WriteOptions } from './types.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;
const MAX_CONFLICT_RETRIES = 32;

/** The node a Binding body targets; 400/422 naming the field when the body is not a Binding. */
function bindingTarget(binding: KubeObject, podName: string): string {
  if (binding.kind !== undefined && binding.kind !== 'Binding') throw ApiError.badRequest(`expected kind Binding, got ${JSON.stringify(binding.kind)}`);
  const name = binding.metadata?.name;
  if (name !== undefined && name !== podName) throw ApiError.badRequest('name in URL does not match name in Binding object');
  const target = isRecord(binding.target) ? binding.target : undefined;
  const kind = target?.kind;
  const errors: FieldError[] = [];
  if (kind !== undefined && kind !== '' && kind !== 'Node') errors.push(notSupported('target.kind', kind, ['Node', '']));
  const nodeName = target?.name;
  if (typeof nodeName !== 'string' || nodeName === '') errors.push(required('target.name'));
  if (errors.length) throw ApiError.invalid({ group: '', kind: 'Binding' }, podName, errors);
  return nodeName as string;
}

/** The pod with spec.nodeName set and PodScheduled True; 409 when it is bound or being deleted. */
function boundPod(pod: KubeObject, podName: string, nodeName: string, uid: string | undefined, now: Date): KubeObject {
  const meta = pod.metadata ?? {};
  if (uid && uid !== meta.uid) {
    throw ApiError.conflict(PODS, podName, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${meta.uid ?? ''}`);
  }
  if (meta.deletionTimestamp) throw ApiError.conflict(PODS, podName, `pod ${podName} is being deleted, cannot be assigned to a host`);
  const spec = childRecord(pod, 'spec');
  if (typeof spec.nodeName === 'string' && spec.nodeName !== '') {
    throw ApiError.conflict(PODS, podName, `pod ${podName} is already assigned to node ${JSON.stringify(spec.nodeName)}`);
  }
  spec.nodeName = nodeName;
  const status = childRecord(pod, 'status');
  const conditions = recordList(status, 'conditions').filter((c) => c.type !== 'PodScheduled');
  const scheduled: JsonObject = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339Seconds(now) };
  status.conditions = [...conditions, scheduled];
  return pod;
}

/** POST pods/<name>/binding. Resolves with the pod as bound. */
export async function bindPod(ctx: RegistryContext, namespace: string, podName: string, binding: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
  const nodeName = bindingTarget(binding, podName);
  const key = objectKey(PODS, namespace, podName);
  for (let attempt = 0; ; attempt++) {
    const { kv, object } = await readCurrent(ctx, PODS, namespace, podName);
    const next = boundPod(object, podName, nodeName, binding.metadata?.uid, ctx.now());
    if (opts.dryRun) return next;
    try {
      return decodeObject(await ctx.store.update(key, encodeObject(next), kv.modRevision));
    } catch (err) {
      if (err instanceof ConflictError && attempt < MAX_CONFLICT_RETRIES) continue;
      throw fromStoreError(err, PODS, podName);
    }
  }
}
