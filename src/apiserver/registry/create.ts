/**
 * create: the object-level POST. Order as Kubernetes: type meta and namespace checks, defaults,
 * metadata preparation (uid, timestamps, generateName), the namespace must exist and not be
 * terminating, validation (unknown fields per `fieldValidation`, then 422 Invalid), and only then
 * one store write. Nothing is stored when any step fails, or under dryRun.
 */
import { applyDefaults } from '../../api/defaults.ts';
import type { ResourceInfo } from '../../api/kinds.ts';
import { objectKey, prepareForCreate } from '../../api/metadata.ts';
import type { KubeObject } from '../../api/object.ts';
import { fromStoreError } from '../../api/status.ts';
import { checkNamespace, withTypeMeta } from './body-checks.ts';
import { decodeObject, encodeObject } from './codec.ts';
import type { RegistryContext } from './context.ts';
import { validateForWrite } from './field-validation.ts';
import { assertNamespaceAcceptsContent } from './namespace-guard.ts';
import type { WriteOptions } from './types.ts';

export async function createObject(
  ctx: RegistryContext,
  info: ResourceInfo,
  namespace: string | undefined,
  body: KubeObject,
  opts: WriteOptions = {},
): Promise<KubeObject> {
  const typed = withTypeMeta(info, body);
  checkNamespace(info, typed, namespace);
  const prepared = prepareForCreate(info, applyDefaults(info, typed), ctx.now(), { namespace });
  const name = prepared.metadata?.name ?? '';
  if (info.namespaced) await assertNamespaceAcceptsContent(ctx, info, namespace ?? '', name);
  await validateForWrite(info, prepared, opts);
  if (opts.dryRun) return prepared;
  try {
    return decodeObject(await ctx.store.create(objectKey(info, namespace, name), encodeObject(prepared)));
  } catch (err) {
    throw fromStoreError(err, info, name);
  }
}
