/**
 * What the binder observes of a claim or a volume: small, pure facts the machines' guards decide
 * on, computed by the controller from its caches (`claimFacts`, `volumeFacts`). The objects
 * themselves stay with the controller, which acts on them when a machine asks.
 */
import type { KubeObject } from '../../api/object.ts';
import {
  claimClass,
  claimHasClass,
  claimRefOf,
  claimVolumeName,
  defaultClassOf,
  isDelayBindingClass,
  isVolumeBoundToClaim,
  provisionerOf,
  reclaimPolicyOf,
  selectedNodeOf,
} from '../../api/storage/helpers.ts';
import { findBestMatchForClaim, volumeSatisfiesClaim } from '../../api/storage/matching.ts';
import {
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_DYNAMICALLY_PROVISIONED,
  PV_PROTECTION_FINALIZER,
  PVC_PROTECTION_FINALIZER,
} from '../../api/storage/names.ts';
import { optionalRecord } from '../../api/object.ts';

/** What the volume a claim names in `spec.volumeName` is to it. */
export type NamedVolume =
  /** The claim names no volume. */
  | 'none'
  /** No such volume. */
  | 'absent'
  /** The volume has no claimRef. */
  | 'free'
  /** The volume's claimRef names this claim. */
  | 'ours'
  /** The volume's claimRef names another claim. */
  | 'other';

export interface ClaimFacts {
  /** `pv.kubernetes.io/bind-completed` is on the claim: it has been bound (and is bound or lost). */
  bindCompleted: boolean;
  /** `spec.volumeName` ('' when unset). */
  volumeName: string;
  named: NamedVolume;
  /** Why the free volume the claim names cannot be bound to it (checkVolumeSatisfyClaim). */
  mismatch?: string;
  /** The volume findBestMatchForClaim picked for a claim that names none. */
  match?: string;
  /** The claim has no class at all and a default class exists: that class. */
  defaultClass?: string;
  /** The class the claim asks for ('' none). */
  className: string;
  classFound: boolean;
  /** The class's provisioner ('' when there is no class). */
  provisioner: string;
  /** That provisioner runs here (kactus' local provisioner): the claim's volume is made by this controller. */
  provisionerHere: boolean;
  /** The class waits for the claim's first consumer (WaitForFirstConsumer). */
  delayBinding: boolean;
  /** `volume.kubernetes.io/selected-node`: where the scheduler put the claim's first pod. */
  selectedNode?: string;
  /** The claim's storage-provisioner annotations already name the provisioner. */
  provisionerAnnotated: boolean;
  /** The phase the store holds (`status.phase`): Events of a phase change are recorded once. */
  storedPhase: string;
  /** Pods that use the claim and wait to be scheduled (their names). */
  unscheduledPods: string[];
  /** Scheduled pods that use the claim (pvc-protection keeps it while there are any). */
  usedBy: number;
  deleting: boolean;
  /** `kubernetes.io/pvc-protection` is on the claim. */
  protected: boolean;
}

/** What the claim a volume's claimRef names is to the volume. */
export type VolumeClaim =
  /** No claimRef: the volume is free. */
  | 'none'
  /** A claimRef without uid: reserved for a claim by name (pre-bound by a user). */
  | 'reserved'
  /** The claim is gone (or replaced by another with the same name). */
  | 'missing'
  /** The claim exists and names no volume yet (binding in progress). */
  | 'binding'
  /** The claim names this volume. */
  | 'here'
  /** The claim names another volume. */
  | 'elsewhere';

export interface VolumeFacts {
  claim: VolumeClaim;
  /** `spec.persistentVolumeReclaimPolicy`. */
  reclaimPolicy: string;
  /** `pv.kubernetes.io/provisioned-by` ('' when the volume was made by hand). */
  provisionedBy: string;
  /** The provisioner's deleter runs here (kactus' local provisioner). */
  deleterHere: boolean;
  /** `pv.kubernetes.io/bound-by-controller`: the binder set the claimRef. */
  boundByController: boolean;
  /** The phase the store holds (`status.phase`). */
  storedPhase: string;
  deleting: boolean;
  /** `kubernetes.io/pv-protection` is on the volume. */
  protected: boolean;
}

const finalizersOf = (obj: KubeObject): string[] => obj.metadata?.finalizers ?? [];

/** What the binder's caches answer, for computing facts. */
export interface StorageView {
  volume(name: string): KubeObject | undefined;
  volumes(): KubeObject[];
  claim(namespace: string, name: string): KubeObject | undefined;
  classes(): KubeObject[];
  /** Pods of the claim's namespace whose volumes name the claim. */
  podsUsing(claim: KubeObject): KubeObject[];
  /** Provisioners whose volumes this controller makes and deletes. */
  localProvisioners: readonly string[];
}

/** A claim's facts from the binder's caches. */
export function claimFacts(claim: KubeObject, view: StorageView): ClaimFacts {
  const classes = view.classes();
  const podsUsing = view.podsUsing(claim);
  const localProvisioners = view.localProvisioners;
  const volumeName = claimVolumeName(claim);
  const className = claimClass(claim);
  const storageClass = className === '' ? undefined : classes.find((c) => c.metadata?.name === className);
  const delayBinding = isDelayBindingClass(storageClass);
  const provisioner = provisionerOf(storageClass);
  const annotations = claim.metadata?.annotations ?? {};
  const facts: ClaimFacts = {
    bindCompleted: ANN_BIND_COMPLETED in annotations,
    volumeName,
    named: 'none',
    className,
    classFound: storageClass !== undefined,
    provisioner,
    provisionerHere: provisioner !== '' && localProvisioners.includes(provisioner),
    delayBinding,
    provisionerAnnotated: provisioner !== '' && annotations['volume.kubernetes.io/storage-provisioner'] === provisioner && annotations['volume.beta.kubernetes.io/storage-provisioner'] === provisioner,
    storedPhase: String(optionalRecord(claim, 'status')?.phase ?? ''),
    unscheduledPods: podsUsing.filter((p) => !isScheduled(p) && !isTerminated(p)).map((p) => p.metadata?.name ?? ''),
    usedBy: podsUsing.filter(isScheduled).length,
    deleting: Boolean(claim.metadata?.deletionTimestamp),
    protected: finalizersOf(claim).includes(PVC_PROTECTION_FINALIZER),
  };
  const selectedNode = selectedNodeOf(claim);
  if (selectedNode !== undefined) facts.selectedNode = selectedNode;
  if (!claimHasClass(claim)) {
    const def = defaultClassOf(classes);
    if (def) facts.defaultClass = def.metadata?.name ?? '';
  }
  if (volumeName !== '') {
    const volume = view.volume(volumeName);
    if (!volume) facts.named = 'absent';
    else if (!claimRefOf(volume)) {
      facts.named = 'free';
      const why = volumeSatisfiesClaim(volume, claim);
      if (why !== undefined) facts.mismatch = why;
    } else facts.named = isVolumeBoundToClaim(volume, claim) ? 'ours' : 'other';
  } else if (!facts.bindCompleted) {
    const match = findBestMatchForClaim(claim, view.volumes(), { delayBinding });
    if (match) facts.match = match.metadata?.name ?? '';
  }
  return facts;
}

/** A volume's facts from the binder's caches. */
export function volumeFacts(volume: KubeObject, view: Pick<StorageView, 'claim' | 'localProvisioners'>): VolumeFacts {
  const localProvisioners = view.localProvisioners;
  const annotations = volume.metadata?.annotations ?? {};
  const provisionedBy = annotations[ANN_DYNAMICALLY_PROVISIONED] ?? '';
  const facts: VolumeFacts = {
    claim: 'none',
    reclaimPolicy: reclaimPolicyOf(volume),
    provisionedBy,
    deleterHere: provisionedBy !== '' && localProvisioners.includes(provisionedBy),
    boundByController: ANN_BOUND_BY_CONTROLLER in annotations,
    storedPhase: String(optionalRecord(volume, 'status')?.phase ?? ''),
    deleting: Boolean(volume.metadata?.deletionTimestamp),
    protected: finalizersOf(volume).includes(PV_PROTECTION_FINALIZER),
  };
  const ref = claimRefOf(volume);
  if (!ref) return facts;
  if (ref.uid === '') return { ...facts, claim: 'reserved' };
  const claim = view.claim(ref.namespace, ref.name);
  if (!claim || claim.metadata?.uid !== ref.uid) return { ...facts, claim: 'missing' };
  const name = claimVolumeName(claim);
  return { ...facts, claim: name === '' ? 'binding' : name === volume.metadata?.name ? 'here' : 'elsewhere' };
}

/** The pod is on a node (the kubelet may be using its volumes). */
export function isScheduled(pod: KubeObject): boolean {
  const node = optionalRecord(pod, 'spec')?.nodeName;
  return typeof node === 'string' && node !== '';
}

function isTerminated(pod: KubeObject): boolean {
  const phase = optionalRecord(pod, 'status')?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}
