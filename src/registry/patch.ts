/**
 * patch: apply a JSON, merge, strategic-merge or apply (server-side apply) patch to the current
 * object and write the result through guaranteedUpdate, which re-applies the patch on a store
 * conflict (as Kubernetes retries patches) unless the patch itself pins a resourceVersion.
 * Server-side apply of an absent object creates it.
 */
import type { ResourceInfo } from '../api/kinds.ts';
import { definitionNameForKind } from '../api/generated/schemas.ts';
import type { KubeObject } from '../api/object.ts';
import { applyPatch, PatchError, type PatchType } from '../api/patch/index.ts';
import { ApiError } from '../api/status.ts';
import { checkName, checkNamespace, withTypeMeta } from './body-checks.ts';
import type { RegistryContext } from './context.ts';
import { createObject } from './create.ts';
import { readOptional } from './read.ts';
import type { WriteOptions } from './types.ts';
import { guaranteedUpdate, type UpdateTarget } from './update.ts';

export async function patchObject(
  ctx: RegistryContext,
  info: ResourceInfo,
  namespace: string | undefined,
  name: string,
  patchType: PatchType,
  patch: unknown,
  target: UpdateTarget,
  opts: WriteOptions,
): Promise<KubeObject> {
  const build = (current: KubeObject): KubeObject => {
    const patched = withTypeMeta(info, patchedObject(info, patchType, current, patch));
    checkNamespace(info, patched, namespace);
    checkName(patched, name);
    return patched;
  };
  if (patchType === 'application/apply-patch+yaml' && target === 'main' && !(await readOptional(ctx, info, namespace, name))) {
    return createObject(ctx, info, namespace, build({}), opts);
  }
  return guaranteedUpdate(ctx, info, namespace, name, { target, opts, build });
}

/** Applies the patch; patch failures become the Status Kubernetes answers with. */
export function patchedObject(info: ResourceInfo, patchType: PatchType, current: KubeObject, patch: unknown): KubeObject {
  const schemaName = definitionNameForKind(info.group, info.version, info.kind) ?? '';
  try {
    return applyPatch(patchType, current, patch, schemaName) as KubeObject;
  } catch (err) {
    if (err instanceof PatchError) {
      if (err.httpCode === 422) return invalidPatch(info, current, err.message);
      throw ApiError.badRequest(err.message);
    }
    throw err;
  }
}

function invalidPatch(info: ResourceInfo, current: KubeObject, message: string): never {
  throw new ApiError(422, 'Invalid', `${info.kind} ${JSON.stringify(current.metadata?.name ?? '')} is invalid: ${message}`, {
    name: current.metadata?.name,
    group: info.group || undefined,
    kind: info.kind,
  });
}
