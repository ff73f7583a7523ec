/**
 * Updates as Kubernetes' GuaranteedUpdate: read the current object, build the candidate from it
 * (a PUT body, a patched copy, a scale change, a deletion mark), check it, and compare-and-swap
 * on the revision read. A store conflict re-runs the loop; a resourceVersion the candidate carries
 * that differs from the current one is the client's precondition and fails with 409 instead.
 *
 * What a write may change depends on its target (prepareForUpdate, src/api/metadata.ts): the
 * main resource of a kind with a status subresource keeps the stored status; the status
 * subresource changes status only.
 */
import { applyDefaults } from '../api/defaults.ts';
import type { ResourceInfo } from '../api/kinds.ts';
import { objectKey, prepareForUpdate } from '../api/metadata.ts';
import { jsonEqual, type KubeObject } from '../api/object.ts';
import { ApiError } from '../api/status.ts';
import { fromStoreError } from './store-errors.ts';
import { ConflictError } from '../store/errors.ts';
import { decodeObject, encodeObject, parseResourceVersion, withResourceVersion } from './codec.ts';
import type { RegistryContext } from './context.ts';
import { isStaleValue } from './encryption/encrypted-store.ts';
import { validateForWrite } from './field-validation.ts';
import { readCurrent } from './read.ts';
import type { WriteOptions } from './types.ts';
import { commitWithSideWrites, type WriteHooks } from './write-hooks.ts';

export type UpdateTarget = 'main' | 'status';

/** Bound on retries after store conflicts (each retry re-reads; contention this high is a bug). */
const MAX_CONFLICT_RETRIES = 32;

export interface GuaranteedUpdate {
  target: UpdateTarget;
  /** Builds the wanted object from the current one (may throw ApiError). */
  build(current: KubeObject): KubeObject | Promise<KubeObject>;
  opts: WriteOptions;
}

export async function guaranteedUpdate(
  ctx: RegistryContext,
  info: ResourceInfo,
  namespace: string | undefined,
  name: string,
  update: GuaranteedUpdate,
): Promise<KubeObject> {
  const key = objectKey(info, namespace, name);
  for (let attempt = 0; ; attempt++) {
    const { kv, object: current } = await readCurrent(ctx, info, namespace, name);
    const candidate = await update.build(structuredClone(current));
    const wantedRv = candidate.metadata?.resourceVersion;
    if (wantedRv !== undefined && wantedRv !== '' && parseResourceVersion(wantedRv) !== kv.modRevision) {
      throw ApiError.conflict(info, name);
    }
    const next = nextObject(info, current, candidate, update.target);
    // Mutating admission sees writes of the object itself, never of its status (as Kubernetes' plugins skip
    // subresources); validating plugins that handle every write (NodeRestriction) see status writes too.
    const status = update.target === 'status' ? { subresource: 'status' as const } : {};
    const attrs = { operation: 'UPDATE', info, namespace, name, obj: next, old: current, dryRun: Boolean(update.opts.dryRun), user: update.opts.user, warn: update.opts.onWarning, annotateAudit: update.opts.onAuditAnnotation, ...status } as const;
    if (update.target === 'main') await ctx.admission?.admit(attrs);
    await validateForWrite(info, next, update.opts, current);
    await ctx.admission?.validate(attrs);
    // A value sealed by an older key (or not at all) is written back even unchanged: that is how keys rotate.
    if (jsonEqual(next, current) && !isStaleValue(kv)) return current;
    const hooks = ctx.writeHooks?.(info);
    if (hooks) {
      const written = await updateWithHooks(ctx, info, key, kv.modRevision, current, next, hooks, update.opts);
      if (written !== 'retry') return written;
      if (attempt < MAX_CONFLICT_RETRIES) continue;
      throw ApiError.conflict(info, name);
    }
    try {
      if (shouldDeleteDuringUpdate(next)) {
        if (update.opts.dryRun) return next;
        const deleted = await ctx.store.delete(key, kv.modRevision);
        return withResourceVersion(next, deleted.modRevision);
      }
      if (update.opts.dryRun) return next;
      return decodeObject(await ctx.store.update(key, encodeObject(next), kv.modRevision));
    } catch (err) {
      if (err instanceof ConflictError && attempt < MAX_CONFLICT_RETRIES) continue;
      throw fromStoreError(err, info, name);
    }
  }
}

/**
 * The write as one transaction with the kind's side writes. 'retry' when the object moved
 * (re-read and rebuild) or a dynamic allocation lost a race (re-plan); a value the request
 * named and another object holds is a 422 from explainFailure.
 */
async function updateWithHooks(
  ctx: RegistryContext,
  info: ResourceInfo,
  key: string,
  modRevision: number,
  current: KubeObject,
  next: KubeObject,
  hooks: WriteHooks,
  opts: WriteOptions,
): Promise<KubeObject | 'retry'> {
  const deleting = shouldDeleteDuringUpdate(next);
  const side = deleting ? await hooks.beforeDelete(current) : await hooks.beforeUpdate(current, next, opts);
  if (opts.dryRun) {
    // Nothing is written, but a named value another object holds is still refused.
    side.settle(false);
    await side.explainFailure();
    return next;
  }
  let outcome;
  try {
    outcome = await commitWithSideWrites(ctx, key, modRevision, deleting ? { type: 'delete' } : { type: 'put', value: encodeObject(next) }, side);
  } catch (err) {
    throw fromStoreError(err, info, next.metadata?.name ?? '');
  }
  if (outcome.committed && outcome.kv) return deleting ? withResourceVersion(next, outcome.kv.modRevision) : decodeObject(outcome.kv);
  const now = await ctx.store.get(key);
  if (now?.modRevision === modRevision) await side.explainFailure();
  return 'retry';
}

/** The object to store: the candidate limited to what the target may change, defaulted and prepared. */
function nextObject(info: ResourceInfo, current: KubeObject, candidate: KubeObject, target: UpdateTarget): KubeObject {
  const next = prepareForUpdate(info, current, applyDefaults(info, candidate), target === 'status' ? { subresource: 'status' } : {});
  // The stored revision is the only resourceVersion a written object can carry.
  return withResourceVersion(next, Number(current.metadata?.resourceVersion));
}

/**
 * An object marked for deletion whose last finalizer is gone (and whose grace period, if any, is
 * over) leaves the store on that update, as Kubernetes' registry does.
 */
export function shouldDeleteDuringUpdate(obj: KubeObject): boolean {
  const meta = obj.metadata ?? {};
  return Boolean(meta.deletionTimestamp) && (meta.finalizers ?? []).length === 0 && (meta.deletionGracePeriodSeconds ?? 0) === 0;
}
