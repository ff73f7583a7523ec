/**
 * A `persistentVolumeClaim` volume → the claim (pod's namespace) → `spec.volumeName` → the
 * PersistentVolume → the host directory this node binds (`spec.local.path` or `spec.hostPath.path`),
 * with the kubelet's messages for each way it cannot be used yet (a claim not found, being
 * deleted or not bound; its PV missing or bound elsewhere; the PV's node affinity not this node).
 * Every one of them is a VolumeMountError: the pod waits and retries, never fails.
 */
import { optionalRecord, type JsonObject } from '../../src/api/object.ts';
import { VolumeMountError } from '../../src/actors/pod/config-errors.ts';
import { getObject, type ClusterObjects } from '../cluster-objects.ts';
import { persistentVolumeFitsNode, type NodeIdentity } from './node-affinity.ts';
import { HOST_PATH_TYPES, type HostPathType } from './pod-volumes.ts';

/** Where a claim's data lives on this node. */
export interface ClaimMount {
  /** The PersistentVolume's name (Kubernetes names mount errors of the volume after it). */
  pvName: string;
  path: string;
  /** `local` volumes must exist; a `hostPath` PV has a type check as a hostPath volume. */
  plugin: 'local' | 'hostPath';
  hostPathType: HostPathType;
}

function metaOf(obj: JsonObject): JsonObject {
  return optionalRecord(obj, 'metadata') ?? {};
}

/** Resolve claim `claimName` of pod volume `volume` for `node`; throws VolumeMountError. */
export function resolveClaim(objects: ClusterObjects | undefined, namespace: string, volume: string, claimName: string, node: NodeIdentity): ClaimMount {
  const fail = (why: string) =>
    new VolumeMountError(volume, `Unable to attach or mount volumes: unmounted volumes=[${volume}], unattached volumes=[${volume}]: error processing PVC ${namespace}/${claimName}: ${why}`);
  let claim: JsonObject;
  try {
    claim = getObject(objects, 'persistentvolumeclaims', namespace, claimName);
  } catch (err) {
    throw fail(`failed to fetch PVC from API server: ${(err as Error).message}`);
  }
  if (metaOf(claim).deletionTimestamp) throw fail(`can't start pod because PVC ${namespace}/${claimName} is being deleted`);
  const pvName = optionalRecord(claim, 'spec')?.volumeName;
  if (optionalRecord(claim, 'status')?.phase !== 'Bound' || typeof pvName !== 'string' || pvName === '') throw fail('PVC is not bound');
  let pv: JsonObject;
  try {
    pv = getObject(objects, 'persistentvolumes', undefined, pvName);
  } catch (err) {
    throw fail(`failed to fetch PV ${pvName} from API server: ${(err as Error).message}`);
  }
  const claimRef = optionalRecord(optionalRecord(pv, 'spec'), 'claimRef');
  const claimUid = metaOf(claim).uid;
  if (!claimRef) throw fail(`found PV object "${pvName}" but it has a nil pv.Spec.ClaimRef indicating it is not yet bound to the claim`);
  if (claimRef.uid !== claimUid) {
    throw fail(`found PV object "${pvName}" but its pv.Spec.ClaimRef.UID ("${String(claimRef.uid ?? '')}") does not point to claim.UID ("${String(claimUid ?? '')}")`);
  }
  if (!persistentVolumeFitsNode(pv, node)) throw new VolumeMountError(volume, `MountVolume.NodeAffinity check failed for volume "${pvName}" : no matching NodeSelectorTerms`);
  const spec = optionalRecord(pv, 'spec') ?? {};
  const local = optionalRecord(spec, 'local');
  const hostPath = optionalRecord(spec, 'hostPath');
  if (local && typeof local.path === 'string') return { pvName, path: local.path, plugin: 'local', hostPathType: '' };
  if (hostPath && typeof hostPath.path === 'string') {
    const type = HOST_PATH_TYPES.find((t) => t === (hostPath.type ?? '')) ?? '';
    return { pvName, path: hostPath.path, plugin: 'hostPath', hostPathType: type };
  }
  const plugin = Object.keys(spec).find((k) => !['accessModes', 'capacity', 'claimRef', 'persistentVolumeReclaimPolicy', 'storageClassName', 'volumeMode', 'nodeAffinity', 'mountOptions'].includes(k));
  throw new VolumeMountError(volume, `MountVolume.SetUp failed for volume "${pvName}" : no volume plugin matched name: kubernetes.io/${plugin ?? 'unknown'}`);
}
