/**
 * Which volume a claim binds to, as Kubernetes chooses (pv_helpers.go `FindMatchingVolume` and
 * the binder's `findBestMatchForClaim` in index.go):
 *
 * - a volume pre-bound to the claim (its claimRef names the claim) wins, whatever its size;
 * - else the smallest Available volume of the claim's class whose capacity fits the request,
 *   whose labels match the claim's selector, whose volume mode matches, not being deleted;
 * - volumes are searched by access-mode set, the sets with fewest modes first, each set holding
 *   every mode the claim asks for (so a RWO claim prefers a RWO volume to a RWO+ROX one);
 * - with a node (the scheduler's path) the volume's node affinity must admit the node, and a
 *   claim whose class waits for its first consumer is only matched there (the binder, without a
 *   node, leaves such claims to the scheduler).
 *
 * kactus adds one rule: a local-path volume is offered only once its node holds its directory
 * (`volumeReadyToBind`), so a claim never binds before its directory exists.
 */
import { nodeSelectorMatches } from '../node-selector.ts';
import type { KubeObject } from '../object.ts';
import { isRecord, optionalRecord } from '../object.ts';
import { LabelSelector, type LabelSelectorObject } from '../selectors.ts';
import {
  checkAccessModes,
  claimAccessModes,
  claimClass,
  claimRefOf,
  isVolumeBoundToClaim,
  requestedStorage,
  volumeAccessModes,
  volumeCapacity,
  volumeClass,
  volumeModeMismatch,
} from './helpers.ts';
import { ANN_DYNAMICALLY_PROVISIONED, LOCAL_PATH_PROVISIONER, LOCAL_VOLUME_FINALIZER } from './names.ts';

export interface MatchOptions {
  /** The scheduler's candidate node: node affinity and access modes are checked against it. */
  node?: KubeObject;
  /** The claim's class waits for its first consumer. */
  delayBinding: boolean;
  /** Volumes already chosen for other claims (by name). */
  excluded?: ReadonlySet<string>;
}

/** CheckNodeAffinity: the volume's required node affinity (if any) admits the node. */
export function volumeFitsNode(volume: KubeObject, node: KubeObject): boolean {
  const required = optionalRecord(optionalRecord(optionalRecord(volume, 'spec'), 'nodeAffinity'), 'required');
  return required === undefined || nodeSelectorMatches(required, node);
}

/**
 * kactus: a volume the local provisioner made is ready once its node holds the directory (the
 * node's finalizer is on it); any other volume is ready as it is.
 */
export function volumeReadyToBind(volume: KubeObject): boolean {
  if (volume.metadata?.annotations?.[ANN_DYNAMICALLY_PROVISIONED] !== LOCAL_PATH_PROVISIONER) return true;
  return (volume.metadata?.finalizers ?? []).includes(LOCAL_VOLUME_FINALIZER);
}

function claimSelector(claim: KubeObject): LabelSelector | undefined {
  const selector = optionalRecord(claim, 'spec')?.selector;
  if (!isRecord(selector)) return undefined;
  try {
    return LabelSelector.fromObject(selector as LabelSelectorObject);
  } catch {
    // An invalid selector matches nothing (Kubernetes returns an error and binds nothing).
    return LabelSelector.nothing();
  }
}

const phaseOf = (volume: KubeObject): unknown => optionalRecord(volume, 'status')?.phase;

/** FindMatchingVolume over one list of volumes. */
export function findMatchingVolume(claim: KubeObject, volumes: readonly KubeObject[], opts: MatchOptions): KubeObject | undefined {
  const requested = requestedStorage(claim);
  const requestedClass = claimClass(claim);
  const selector = claimSelector(claim);
  let smallest: KubeObject | undefined;
  for (const volume of volumes) {
    const name = volume.metadata?.name ?? '';
    if (opts.excluded?.has(name)) continue;
    if (claimRefOf(volume) && !isVolumeBoundToClaim(volume, claim)) continue;
    if (volumeCapacity(volume) < requested) continue;
    if (volumeModeMismatch(claim, volume)) continue;
    if (volume.metadata?.deletionTimestamp) continue;
    if (!volumeReadyToBind(volume)) continue;
    const fitsNode = opts.node === undefined || volumeFitsNode(volume, opts.node);
    if (isVolumeBoundToClaim(volume, claim)) return fitsNode ? volume : undefined;
    // The binder does not bind claims that wait for their first consumer: the scheduler does.
    if (opts.node === undefined && opts.delayBinding) continue;
    if (phaseOf(volume) !== 'Available') continue;
    if (selector && !selector.matches(volume.metadata?.labels)) continue;
    if (volumeClass(volume) !== requestedClass) continue;
    if (!fitsNode) continue;
    if (opts.node !== undefined && !checkAccessModes(claim, volume)) continue;
    if (!smallest || volumeCapacity(smallest) > volumeCapacity(volume)) smallest = volume;
  }
  return smallest;
}

/**
 * The binder's findBestMatchForClaim: FindMatchingVolume over the volumes grouped by their exact
 * access-mode set, the groups offering every requested mode tried fewest modes first.
 */
export function findBestMatchForClaim(claim: KubeObject, volumes: readonly KubeObject[], opts: MatchOptions): KubeObject | undefined {
  const groups = new Map<string, { size: number; volumes: KubeObject[] }>();
  for (const volume of volumes) {
    const modes = [...new Set(volumeAccessModes(volume))].sort();
    const key = modes.join(',');
    const group = groups.get(key) ?? { size: modes.length, volumes: [] };
    group.volumes.push(volume);
    groups.set(key, group);
  }
  const wanted = claimAccessModes(claim);
  const candidates = [...groups.entries()]
    .filter(([key]) => wanted.every((m) => key.split(',').includes(m)))
    .sort(([ka, a], [kb, b]) => a.size - b.size || ka.localeCompare(kb));
  for (const [, group] of candidates) {
    const found = findMatchingVolume(claim, group.volumes, opts);
    if (found) return found;
  }
  return undefined;
}

/**
 * checkVolumeSatisfyClaim: why a volume the claim names by `spec.volumeName` cannot be bound to
 * it (Kubernetes' words), or undefined when it can.
 */
export function volumeSatisfiesClaim(volume: KubeObject, claim: KubeObject): string | undefined {
  if (volume.metadata?.deletionTimestamp) return `the volume is marked for deletion ${JSON.stringify(volume.metadata?.name ?? '')}`;
  if (volumeCapacity(volume) < requestedStorage(claim)) return 'requested PV is too small';
  if (volumeClass(volume) !== claimClass(claim)) return 'storageClassName does not match';
  if (volumeModeMismatch(claim, volume)) return 'incompatible volumeMode';
  if (!checkAccessModes(claim, volume)) return 'incompatible accessMode';
  return undefined;
}
