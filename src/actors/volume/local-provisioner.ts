/**
 * kactus' local provisioner (`kactus.io/local-path`), what rancher's local-path-provisioner is to
 * k3s: for a claim of its class whose first pod the scheduler placed (the claim's
 * `volume.kubernetes.io/selected-node`), a PersistentVolume `pvc-<claim uid>` whose
 * `spec.local.path` is `<the node's volumes dir>/pvc-<claim uid>`, with node affinity to that node,
 * the claim's request as capacity, the class's reclaim policy, pre-bound to the claim. The node
 * says where its volumes go in its Node annotation `kactus.io/local-volumes-dir`
 * (`<data dir>/volumes`); its daemon makes the directory when it sees the volume and then puts its
 * finalizer `kactus.io/local-volume` on it (node-daemon/storage): only then is the volume offered
 * to the claim (api/storage/matching.ts), so a claim is never bound before its directory exists.
 *
 * Deleting (a released volume with Delete): the binder's volume machine deletes the object; the
 * node removes the directory and then its finalizer, and the object goes.
 *
 * Events as an external provisioner records them: `Provisioning`, `ProvisioningSucceeded`, and
 * `ProvisioningFailed` (Warning) on the claim, from `kactus.io/local-path`.
 */
import { posix } from 'node:path';
import type { KubeObject } from '../../api/object.ts';
import { isRecord } from '../../api/object.ts';
import { claimAccessModes, claimClass, claimReference, requestedStorageQuantity } from '../../api/storage/helpers.ts';
import { ANN_DYNAMICALLY_PROVISIONED, ANN_LOCAL_VOLUMES_DIR, HOSTNAME_LABEL, LOCAL_PATH_PROVISIONER } from '../../api/storage/names.ts';
import { ApiError } from '../../api/status.ts';
import type { EventSource } from '../../registry/event-recorder.ts';
import type { Registry } from '../../registry/registry.ts';
import { PVCS, PVS, type StorageEffects } from './effects.ts';
import type { StorageEvent } from './messages.ts';

export const LOCAL_PROVISIONER_SOURCE: EventSource = { component: LOCAL_PATH_PROVISIONER };

/** Access modes a directory on one node can serve (rancher's local-path-provisioner: the same). */
const SUPPORTED_MODES = ['ReadWriteOnce', 'ReadWriteOncePod'];

/** The volume the local provisioner makes for `claim`. */
export const localVolumeName = (claim: KubeObject): string => `pvc-${claim.metadata?.uid ?? ''}`;

/** Why the local provisioner cannot make a volume for this claim on this node; undefined when it can. */
export function cannotProvision(claim: KubeObject, nodeName: string, node: KubeObject | undefined): string | undefined {
  if (!node) return `node ${JSON.stringify(nodeName)} not found`;
  const dir = node.metadata?.annotations?.[ANN_LOCAL_VOLUMES_DIR];
  if (!dir || !posix.isAbsolute(dir)) return `node ${JSON.stringify(nodeName)} does not say where its local volumes go (annotation ${ANN_LOCAL_VOLUMES_DIR})`;
  const modes = claimAccessModes(claim);
  if (modes.some((m) => !SUPPORTED_MODES.includes(m))) return 'NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes';
  if (requestedStorageQuantity(claim) === undefined) return 'claim Spec.Resources.Requests[storage] not found';
  return undefined;
}

/** The PersistentVolume for `claim` of `storageClass` on `node` (whose volumes dir is checked by `cannotProvision`). */
export function localVolumeFor(claim: KubeObject, storageClass: KubeObject, node: KubeObject): KubeObject {
  const name = localVolumeName(claim);
  const dir = node.metadata?.annotations?.[ANN_LOCAL_VOLUMES_DIR] ?? '';
  const hostname = node.metadata?.labels?.[HOSTNAME_LABEL] ?? node.metadata?.name ?? '';
  const spec = isRecord(claim.spec) ? claim.spec : {};
  const volume: KubeObject = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { [ANN_DYNAMICALLY_PROVISIONED]: LOCAL_PATH_PROVISIONER } },
    spec: {
      capacity: { storage: requestedStorageQuantity(claim) },
      accessModes: claimAccessModes(claim),
      persistentVolumeReclaimPolicy: typeof storageClass.reclaimPolicy === 'string' ? storageClass.reclaimPolicy : 'Delete',
      storageClassName: claimClass(claim),
      volumeMode: typeof spec.volumeMode === 'string' ? spec.volumeMode : 'Filesystem',
      claimRef: claimReference(claim),
      local: { path: posix.join(dir, name) },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values: [hostname] }] }] } },
    },
  };
  if (Array.isArray(storageClass.mountOptions)) (volume.spec as Record<string, unknown>).mountOptions = structuredClone(storageClass.mountOptions);
  return volume;
}

export interface LocalProvisionerDeps {
  registry: Registry;
  effects: StorageEffects;
  node(name: string): KubeObject | undefined;
  storageClass(name: string): KubeObject | undefined;
  volume(name: string): KubeObject | undefined;
}

/**
 * Makes the claim's volume on `nodeName` unless it exists (the provisioner's Provision, with its
 * Events). A refusal is a ProvisioningFailed Warning, not an error: the claim's next sync tries again.
 */
export async function provisionLocalVolume(deps: LocalProvisionerDeps, claim: KubeObject, nodeName: string): Promise<void> {
  const name = localVolumeName(claim);
  if (deps.volume(name)) return;
  const className = claimClass(claim);
  const storageClass = deps.storageClass(className);
  const node = deps.node(nodeName);
  const problem = storageClass ? cannotProvision(claim, nodeName, node) : `storageclass.storage.k8s.io ${JSON.stringify(className)} not found`;
  const event = (e: StorageEvent) => deps.effects.record(claim, PVCS, e, LOCAL_PROVISIONER_SOURCE);
  if (problem !== undefined || !storageClass || !node) {
    await event({ type: 'Warning', reason: 'ProvisioningFailed', message: `failed to provision volume with StorageClass ${JSON.stringify(className)}: ${problem ?? ''}` });
    return;
  }
  await event({ type: 'Normal', reason: 'Provisioning', message: `External provisioner is provisioning volume for claim "${claim.metadata?.namespace ?? ''}/${claim.metadata?.name ?? ''}"` });
  try {
    await deps.registry.create(PVS, undefined, localVolumeFor(claim, storageClass, node));
  } catch (err) {
    // Made by an earlier sync whose watch event has not arrived yet.
    if (err instanceof ApiError && err.reason === 'AlreadyExists') return;
    throw err;
  }
  await event({ type: 'Normal', reason: 'ProvisioningSucceeded', message: `Successfully provisioned volume ${name}` });
}
