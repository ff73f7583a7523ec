/**
 * delete as Kubernetes' registry does it:
 * - preconditions (uid, resourceVersion) -> 409 Conflict;
 * - an object with finalizers (its own, or `orphan` / `foregroundDeletion` added for those
 *   propagation policies) is only marked: deletionTimestamp + deletionGracePeriodSeconds; it
 *   leaves the store when an update empties its finalizers (see update.ts);
 * - Pods are deleted gracefully: a pod bound to a node (spec.nodeName) gets deletionTimestamp =
 *   now + grace (gracePeriodSeconds, else spec.terminationGracePeriodSeconds, else 30) and stays
 *   until the node daemon confirms with a grace-0 delete; an unbound or finished pod, or
 *   gracePeriodSeconds=0, goes at once;
 * - Namespaces are never deleted here: they turn Terminating and the NamespaceTerminator empties
 *   and removes them.
 */
import type { ResourceInfo } from '../api/kinds.ts';
import { objectKey, rfc3339Seconds } from '../api/metadata.ts';
import { isRecord, type KubeObject } from '../api/object.ts';
import { ApiError } from '../api/status.ts';
import { fromStoreError } from './store-errors.ts';
import { ConflictError } from '../store/errors.ts';
import { decodeObject, encodeObject } from './codec.ts';
import type { RegistryContext } from './context.ts';
import { NAMESPACES } from './namespace-guard.ts';
import { readCurrent, type Current } from './read.ts';
import type { DeleteOptions, PropagationPolicy } from './types.ts';
import { commitWithSideWrites } from './write-hooks.ts';

const MAX_CONFLICT_RETRIES = 32;
/** Kubernetes' default terminationGracePeriodSeconds. */
const DEFAULT_POD_GRACE_SECONDS = 30;

/** Called when a namespace has just been marked Terminating. */
export type OnNamespaceTerminating = (name: string) => void;

export async function deleteObject(
  ctx: RegistryContext,
  info: ResourceInfo,
  namespace: string | undefined,
  name: string,
  opts: DeleteOptions,
  onNamespaceTerminating: OnNamespaceTerminating,
): Promise<KubeObject> {
  const key = objectKey(info, namespace, name);
  for (let attempt = 0; ; attempt++) {
    const current = await readCurrent(ctx, info, namespace, name);
    checkPreconditions(info, name, current, opts);
    // Only plugins that handle every write (NodeRestriction) judge deletes.
    await ctx.admission?.validate({ operation: 'DELETE', info, namespace, name, obj: current.object, old: current.object, dryRun: Boolean(opts.dryRun), user: opts.user });
    const isNamespace = info === NAMESPACES;
    const next = isNamespace ? terminatingNamespace(ctx, current.object) : markedForDeletion(ctx, info, current.object, opts);
    try {
      if (next === 'delete') {
        if (opts.dryRun) return current.object;
        const hooks = ctx.writeHooks?.(info);
        if (!hooks) {
          await ctx.store.delete(key, current.kv.modRevision);
          return current.object;
        }
        // With its side writes (releases) in one transaction; a failure re-reads and tries again.
        const outcome = await commitWithSideWrites(ctx, key, current.kv.modRevision, { type: 'delete' }, await hooks.beforeDelete(current.object));
        if (outcome.committed) return current.object;
        if (attempt < MAX_CONFLICT_RETRIES) continue;
        throw ApiError.conflict(info, name);
      }
      if (next === 'unchanged' || opts.dryRun) return next === 'unchanged' ? current.object : next;
      const written = decodeObject(await ctx.store.update(key, encodeObject(next), current.kv.modRevision));
      if (isNamespace) onNamespaceTerminating(name);
      return written;
    } catch (err) {
      if (err instanceof ConflictError && attempt < MAX_CONFLICT_RETRIES) continue;
      throw fromStoreError(err, info, name);
    }
  }
}

function checkPreconditions(info: ResourceInfo, name: string, current: Current, opts: DeleteOptions): void {
  const meta = current.object.metadata ?? {};
  const pre = opts.preconditions;
  if (pre?.uid && pre.uid !== meta.uid) {
    throw ApiError.conflict(info, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid ?? ''}`);
  }
  if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
    throw ApiError.conflict(
      info,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion ?? ''}`,
    );
  }
}

/** The namespace marked Terminating, or 'unchanged' when it already is. */
function terminatingNamespace(ctx: RegistryContext, ns: KubeObject): KubeObject | 'unchanged' {
  if (ns.metadata?.deletionTimestamp) return 'unchanged';
  const next = structuredClone(ns);
  next.metadata = { ...next.metadata, deletionTimestamp: rfc3339Seconds(ctx.now()), deletionGracePeriodSeconds: 0 };
  next.status = { ...(isRecord(next.status) ? next.status : {}), phase: 'Terminating' };
  return next;
}

/**
 * What a delete does to `obj`: 'delete' (remove now), 'unchanged' (already being deleted, nothing
 * shortened), or the object to write with its deletion mark.
 */
function markedForDeletion(ctx: RegistryContext, info: ResourceInfo, obj: KubeObject, opts: DeleteOptions): KubeObject | 'delete' | 'unchanged' {
  const meta = obj.metadata ?? {};
  const grace = gracePeriod(info, obj, opts);
  const finalizers = withPolicyFinalizers(meta.finalizers ?? [], policyOf(opts));
  if (finalizers.length === 0 && grace === 0) return 'delete';

  const existingGrace = meta.deletionGracePeriodSeconds;
  const alreadyDeleting = Boolean(meta.deletionTimestamp);
  const shortens = alreadyDeleting && existingGrace !== undefined && grace < existingGrace;
  const changesFinalizers = finalizers.join('\n') !== (meta.finalizers ?? []).join('\n');
  if (alreadyDeleting && !shortens && !changesFinalizers) return 'unchanged';

  const next = structuredClone(obj);
  const deadline = new Date(ctx.now().getTime() + grace * 1000);
  next.metadata = { ...next.metadata, finalizers };
  if (!alreadyDeleting || shortens) {
    next.metadata.deletionTimestamp = rfc3339Seconds(deadline);
    next.metadata.deletionGracePeriodSeconds = grace;
  }
  if (finalizers.length === 0) delete next.metadata.finalizers;
  return next;
}

function policyOf(opts: DeleteOptions): PropagationPolicy | undefined {
  if (opts.propagationPolicy) return opts.propagationPolicy;
  if (opts.orphanDependents === true) return 'Orphan';
  if (opts.orphanDependents === false) return 'Background';
  return undefined;
}

/**
 * The garbage collector's finalizers for the policy (it removes them when done): Orphan adds
 * `orphan`, Foreground adds `foregroundDeletion`, Background drops both; no policy keeps the list.
 */
function withPolicyFinalizers(finalizers: string[], policy: PropagationPolicy | undefined): string[] {
  if (!policy) return finalizers;
  const others = finalizers.filter((f) => f !== 'orphan' && f !== 'foregroundDeletion');
  if (policy === 'Orphan') return [...others, 'orphan'];
  if (policy === 'Foreground') return [...others, 'foregroundDeletion'];
  return others;
}

/** Grace period in seconds: non-zero only for pods that a node daemon has to stop. */
function gracePeriod(info: ResourceInfo, obj: KubeObject, opts: DeleteOptions): number {
  if (info.group !== '' || info.kind !== 'Pod') return 0;
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const phase = isRecord(obj.status) ? obj.status.phase : undefined;
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  const requested = opts.gracePeriodSeconds ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : DEFAULT_POD_GRACE_SECONDS);
  // Kubernetes turns a negative grace period into 1 second (0 means "now", which must be asked for).
  return requested < 0 ? 1 : requested;
}
