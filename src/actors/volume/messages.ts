/** The binder's Event reasons and messages, in Kubernetes' words (pv_controller.go, events.go). */

export interface StorageEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

const normal = (reason: string, message: string): StorageEvent => ({ type: 'Normal', reason, message });
const warning = (reason: string, message: string): StorageEvent => ({ type: 'Warning', reason, message });
const quote = (s: string): string => JSON.stringify(s);

export const EVENTS = {
  waitForFirstConsumer: () => normal('WaitForFirstConsumer', 'waiting for first consumer to be created before binding'),
  waitForPodScheduled: (pods: readonly string[]) =>
    normal('WaitForPodScheduled', pods.length > 1 ? `waiting for pods ${pods.join(',')} to be scheduled` : `waiting for pod ${pods[0] ?? ''} to be scheduled`),
  noVolumeNoClass: () => normal('FailedBinding', 'no persistent volumes available for this claim and no storage class is set'),
  externalProvisioning: (provisioner: string) =>
    normal(
      'ExternalProvisioning',
      `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
    ),
  noNodeSelected: (className: string) =>
    warning('ProvisioningFailed', `failed to provision volume with StorageClass ${quote(className)}: configuration error, no node was specified`),
  classNotFound: (className: string) => warning('ProvisioningFailed', `storageclass.storage.k8s.io ${quote(className)} not found`),
  volumeMismatch: (volume: string, why: string) => warning('VolumeMismatch', `Cannot bind to requested volume ${quote(volume)}: ${why}`),
  volumeTaken: (volume: string) => warning('FailedBinding', `volume ${quote(volume)} already bound to a different claim.`),
  claimLostReference: () => warning('ClaimLost', 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!'),
  claimLostVolume: () => warning('ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!'),
  claimMisbound: () => warning('ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly'),
  noDeleter: (volume: string) =>
    warning('VolumeFailedDelete', `error getting deleter volume plugin for volume ${quote(volume)}: no deletable volume plugin matched`),
  noRecycler: () => warning('VolumeFailedRecycle', 'No recycler plugin found for the volume!'),
  unknownReclaimPolicy: () => warning('VolumeUnknownReclaimPolicy', 'Volume has unrecognized PersistentVolumeReclaimPolicy'),
} as const;
