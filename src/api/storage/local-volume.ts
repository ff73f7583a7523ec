/**
 * What a local-path PersistentVolume says about its node and directory, for the master (which
 * checks a node's reports against it) and the node daemon (which makes and removes the directory).
 */
import type { KubeObject } from '../object.ts';
import { optionalRecord, recordList } from '../object.ts';
import { ANN_DYNAMICALLY_PROVISIONED, HOSTNAME_LABEL, LOCAL_PATH_PROVISIONER, LOCAL_VOLUME_FINALIZER } from './names.ts';

/** The node a local-path volume's affinity names (`kubernetes.io/hostname In [node]`), if it names exactly one. */
export function localVolumeNode(volume: KubeObject): string | undefined {
  const required = optionalRecord(optionalRecord(optionalRecord(volume, 'spec'), 'nodeAffinity'), 'required');
  const terms = recordList(required, 'nodeSelectorTerms');
  if (terms.length !== 1) return undefined;
  const exprs = recordList(terms[0], 'matchExpressions').filter((e) => e.key === HOSTNAME_LABEL && e.operator === 'In');
  const values = exprs.length === 1 && Array.isArray(exprs[0].values) ? exprs[0].values : [];
  return values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined;
}

/** True when `volume` is a volume kactus' local provisioner made on `nodeName`. */
export function isLocalVolumeOf(volume: KubeObject, nodeName: string): boolean {
  return volume.metadata?.annotations?.[ANN_DYNAMICALLY_PROVISIONED] === LOCAL_PATH_PROVISIONER && localVolumeNode(volume) === nodeName;
}

/** The directory a volume names on its node: `spec.local.path`, else `spec.hostPath.path`. */
export function volumePath(volume: KubeObject): string | undefined {
  const spec = optionalRecord(volume, 'spec');
  const path = optionalRecord(spec, 'local')?.path ?? optionalRecord(spec, 'hostPath')?.path;
  return typeof path === 'string' && path !== '' ? path : undefined;
}

/** The node's finalizer is on the volume: its directory exists and the node removes it before the volume goes. */
export function holdsLocalVolumeFinalizer(volume: KubeObject): boolean {
  return (volume.metadata?.finalizers ?? []).includes(LOCAL_VOLUME_FINALIZER);
}
