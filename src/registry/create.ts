/**
 * create: the object-level POST. Order as Kubernetes: type meta and namespace checks, defaults,
 * metadata preparation (uid, timestamps, generateName), the namespace must exist and not be
 * terminating, mutating admission, validation (unknown fields per `fieldValidation`, then 422
 * Invalid), validating admission, and only then one store write (with its quota charge, when a
 * ResourceQuota applies). Nothing is stored when any step fails, or under dryRun.
 */
import { applyDefaults } from '../api/defaults.ts';
import type { ResourceInfo } from '../api/kinds.ts';
import { objectKey, prepareForCreate } from '../api/metadata.ts';
import type { KubeObject } from '../api/object.ts';
import { ApiError } from '../api/status.ts';
import { fromStoreError } from './store-errors.ts';
import { checkNamespace, withTypeMeta } from './body-checks.ts';
import { decodeObject, encodeObject } from './codec.ts';
import type { RegistryContext } from './context.ts';
import { validateForWrite } from './field-validation.ts';
import { assertNamespaceAcceptsContent } from './namespace-guard.ts';
import type { WriteOptions } from './types.ts';
import { commitWithSideWrites, type WriteHooks } from './write-hooks.ts';

export async function createObject(
  ctx: RegistryContext,
  info: ResourceInfo,
  namespace: string | undefined,
  body: KubeObject,
  opts: WriteOptions = {},
): Promise<KubeObject> {
  const typed = withTypeMeta(info, body);
  checkNamespace(info, typed, namespace);
  // Mutating admission names the object as the request did (its generateName when the server picks the name).
  const requestName = typed.metadata?.name || typed.metadata?.generateName || '';
  const prepared = prepareForCreate(info, applyDefaults(info, typed), ctx.now(), { namespace });
  const name = prepared.metadata?.name ?? '';
  if (info.namespaced) await assertNamespaceAcceptsContent(ctx, info, namespace ?? '', name);
  const attrs = { operation: 'CREATE', info, namespace, name: requestName, obj: prepared, dryRun: Boolean(opts.dryRun), user: opts.user, warn: opts.onWarning, annotateAudit: opts.onAuditAnnotation } as const;
  await ctx.admission?.admit(attrs);
  await validateForWrite(info, prepared, opts);
  await ctx.admission?.validate({ ...attrs, name });
  const hooks = ctx.writeHooks?.(info);
  if (hooks) return createWithHooks(ctx, info, objectKey(info, namespace, name), prepared, hooks, opts);
  if (opts.dryRun) return prepared;
  try {
    return decodeObject(await ctx.store.create(objectKey(info, namespace, name), encodeObject(prepared)));
  } catch (err) {
    throw fromStoreError(err, info, name);
  }
}

/** Bound on re-plans after a dynamic allocation lost a race (each loser picks another value). */
const MAX_HOOK_ATTEMPTS = 16;

/** The create as one transaction with the kind's side writes (allocations), re-planned when a pick lost a race. */
async function createWithHooks(ctx: RegistryContext, info: ResourceInfo, key: string, prepared: KubeObject, hooks: WriteHooks, opts: WriteOptions): Promise<KubeObject> {
  const name = prepared.metadata?.name ?? '';
  for (let attempt = 1; ; attempt++) {
    const candidate = structuredClone(prepared);
    const side = await hooks.beforeCreate(candidate, opts);
    if (opts.dryRun) {
      // Nothing is written, but a named value another object holds is still refused.
      side.settle(false);
      await side.explainFailure();
      return candidate;
    }
    let outcome;
    try {
      outcome = await commitWithSideWrites(ctx, key, 0, { type: 'put', value: encodeObject(candidate) }, side);
    } catch (err) {
      throw fromStoreError(err, info, name);
    }
    if (outcome.committed && outcome.kv) return decodeObject(outcome.kv);
    // A value the request named held by another object is the answer (422), before the name.
    await side.explainFailure();
    if (await ctx.store.get(key)) throw ApiError.alreadyExists(info, name);
    if (attempt >= MAX_HOOK_ATTEMPTS) throw ApiError.internal(new Error(`${info.kind} ${name}: allocation kept losing races; try again`));
  }
}
