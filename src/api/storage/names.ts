/**
 * The annotations, finalizers and names persistent storage is coordinated through, as Kubernetes
 * spells them (k8s.io/component-helpers/storage/volume, pkg/volume/util), plus kactus' local
 * provisioner's own.
 */

/** On a claim: the binder finished binding it (`"yes"`); from then on the claim is bound or lost. */
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
/** On a claim or a volume: the binder (not a user) set `spec.volumeName` / `spec.claimRef`. */
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
/** On a volume: the provisioner that made it (who deletes it when it is released with Delete). */
export const ANN_DYNAMICALLY_PROVISIONED = 'pv.kubernetes.io/provisioned-by';
/** On a claim: the node the scheduler chose for its first pod (WaitForFirstConsumer provisioning). */
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
/** On a claim: the provisioner asked to provision it (the binder sets both). */
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
/** The class of a claim or volume before `storageClassName` existed; it still wins over the field. */
export const ANN_BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';
/** On a StorageClass: claims without a class get this one. */
export const ANN_DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
export const ANN_BETA_DEFAULT_CLASS = 'storageclass.beta.kubernetes.io/is-default-class';

/** A claim in use by a pod is not removed until no pod uses it. */
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
/** A volume bound to a claim is not removed until it is no longer bound. */
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

/** A class whose volumes are made by hand: nothing provisions its claims. */
export const NO_PROVISIONER = 'kubernetes.io/no-provisioner';

/** kactus' local provisioner (rancher's local-path-provisioner in kactus). */
export const LOCAL_PATH_PROVISIONER = 'kactus.io/local-path';
/** The default StorageClass every cluster starts with. */
export const LOCAL_PATH_CLASS = 'local-path';
/**
 * On a local-path volume: the node its affinity names holds the volume's directory and removes
 * it before the volume object goes. The node adds it (through its master) once the directory
 * exists and removes it once the directory is gone (or kept, with Retain).
 */
export const LOCAL_VOLUME_FINALIZER = 'kactus.io/local-volume';
/** On a Node: the directory under which its daemon makes local-path volumes (`<data dir>/volumes`). */
export const ANN_LOCAL_VOLUMES_DIR = 'kactus.io/local-volumes-dir';

/** The label node affinity of a local volume names its node with. */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';
