/**
 * Spec rules every runtime shares: resolving volumeMounts against the pod's host volumes, and
 * the Kubernetes reason for an exited container.
 */
import { InvalidContainerSpecError } from '../../src/runtime/errors.ts';
import type { ContainerSpec, HostVolume } from '../../src/runtime/types.ts';

/** A volumeMount resolved to the host directory it binds. */
export interface ResolvedMount {
  hostPath: string;
  mountPath: string;
  readOnly: boolean;
}

/** Resolve each volumeMount to its host volume; a mount naming no volume, or a relative path, is invalid. */
export function resolveMounts(spec: ContainerSpec, volumes: HostVolume[]): ResolvedMount[] {
  const byName = new Map(volumes.map((v) => [v.name, v.hostPath]));
  return (spec.volumeMounts ?? []).map((mount, i) => {
    const hostPath = byName.get(mount.name);
    if (hostPath === undefined) throw new InvalidContainerSpecError(`volumeMounts[${i}].name`, `no volume named ${JSON.stringify(mount.name)}`);
    if (!mount.mountPath.startsWith('/')) throw new InvalidContainerSpecError(`volumeMounts[${i}].mountPath`, 'must be an absolute path');
    return { hostPath, mountPath: mount.mountPath, readOnly: mount.readOnly === true };
  });
}

/** Kubernetes' `state.terminated.reason` for an exit. */
export function exitReason(exitCode: number, oomKilled: boolean): string {
  if (oomKilled) return 'OOMKilled';
  return exitCode === 0 ? 'Completed' : 'Error';
}
