/**
 * The two ways a pod's configuration can keep it from starting, as the node's effects report
 * them to the pod machine (effects.ts): both are retried, neither fails the pod.
 */

/**
 * A volume cannot be set up (a missing ConfigMap, Secret or claim, a hostPath of the wrong
 * type…): the pod stays Pending and the machine retries (FailedMount). `message` is the
 * kubelet's whole sentence, e.g. `MountVolume.SetUp failed for volume "cfg" : configmap "x" not found`.
 */
export class VolumeMountError extends Error {
  constructor(
    readonly volume: string,
    message: string,
  ) {
    super(message);
    this.name = 'VolumeMountError';
  }
}

/**
 * A container's configuration cannot be built (env from a missing ConfigMap or Secret, a
 * missing key, a subPath that cannot be prepared): the container waits in
 * `CreateContainerConfigError` and is retried. `message` is the kubelet's, e.g. `configmap "x" not found`.
 */
export class ContainerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}
