/**
 * What every owning controller writes on what it creates: the controller ownerReference, and the
 * object built from the owner's `spec.template` (Kubernetes' GetPodFromTemplate).
 */
import { apiVersionOf, type ResourceInfo } from '../../api/kinds.ts';
import { isRecord, type JsonObject, type KubeObject } from '../../api/object.ts';

/** The ownerReference a controller puts on what it owns. */
export function controllerRefTo(info: ResourceInfo, owner: KubeObject): JsonObject {
  return {
    apiVersion: apiVersionOf(info),
    kind: info.kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The pod the owner's `spec.template` describes, named `<owner>-<random>` and owned by it. */
export function podFromTemplate(info: ResourceInfo, owner: KubeObject): KubeObject {
  const spec = isRecord(owner.spec) ? owner.spec : {};
  const template = isRecord(spec.template) ? spec.template : {};
  const meta = isRecord(template.metadata) ? template.metadata : {};
  const metadata: JsonObject = {
    generateName: `${owner.metadata?.name ?? ''}-`,
    namespace: owner.metadata?.namespace,
    ownerReferences: [controllerRefTo(info, owner)],
  };
  for (const field of ['labels', 'annotations', 'finalizers']) if (meta[field] !== undefined) metadata[field] = structuredClone(meta[field]);
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: structuredClone(isRecord(template.spec) ? template.spec : {}) };
}
