/**
 * Typed runtime errors. Callers branch on the class (`instanceof`) or on `code`, never on the
 * message: the pod worker maps ImageNotPresent to ImagePullBackOff, ContainerStart to
 * `StartError`/`CreateContainerError`, NotFound to "container gone".
 */

export type RuntimeErrorCode =
  | 'ImageNotPresent'
  | 'ContainerNotFound'
  | 'SandboxNotFound'
  | 'InvalidContainerSpec'
  | 'ContainerStart'
  | 'ContainerNotRunning'
  | 'ExecNotSupported'
  | 'AttachNotSupported';

export abstract class RuntimeError extends Error {
  abstract readonly code: RuntimeErrorCode;
}

/** createContainer/createSandbox with an image the runtime does not hold (no registry to pull from). */
export class ImageNotPresentError extends RuntimeError {
  readonly code = 'ImageNotPresent' as const;
  constructor(readonly image: string) {
    super(`image not present: ${image}`);
    this.name = 'ImageNotPresentError';
  }
}

export class ContainerNotFoundError extends RuntimeError {
  readonly code = 'ContainerNotFound' as const;
  constructor(readonly containerId: string) {
    super(`container not found: ${containerId}`);
    this.name = 'ContainerNotFoundError';
  }
}

export class SandboxNotFoundError extends RuntimeError {
  readonly code = 'SandboxNotFound' as const;
  constructor(readonly sandboxId: string) {
    super(`sandbox not found: ${sandboxId}`);
    this.name = 'SandboxNotFoundError';
  }
}

/** A spec the runtime cannot honour, e.g. a volumeMount naming no volume. */
export class InvalidContainerSpecError extends RuntimeError {
  readonly code = 'InvalidContainerSpec' as const;
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`invalid container spec: ${field}: ${detail}`);
    this.name = 'InvalidContainerSpecError';
  }
}

/** The container exists but its command could not be started (not found, not executable). */
export class ContainerStartError extends RuntimeError {
  readonly code = 'ContainerStart' as const;
  constructor(
    readonly containerId: string,
    detail: string,
  ) {
    super(`container ${containerId} failed to start: ${detail}`);
    this.name = 'ContainerStartError';
  }
}

/** exec into a container that exists but is not running. */
export class ContainerNotRunningError extends RuntimeError {
  readonly code = 'ContainerNotRunning' as const;
  constructor(readonly containerId: string) {
    super(`container ${containerId} is not running`);
    this.name = 'ContainerNotRunningError';
  }
}

/** exec on a runtime that runs no real processes (hollow). */
export class ExecNotSupportedError extends RuntimeError {
  readonly code = 'ExecNotSupported' as const;
  constructor(runtime: string) {
    super(`the ${runtime} runtime cannot run commands in containers`);
    this.name = 'ExecNotSupportedError';
  }
}

/** attach on a runtime that runs no real processes (hollow). */
export class AttachNotSupportedError extends RuntimeError {
  readonly code = 'AttachNotSupported' as const;
  constructor(runtime: string) {
    super(`the ${runtime} runtime cannot attach to containers: nothing runs in them`);
    this.name = 'AttachNotSupportedError';
  }
}
