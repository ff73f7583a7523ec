/**
 * Stopping a pod the runtime holds, from its listing (`listPods`): the one way both the daemon
 * (self-fencing, leftovers) and the fence watchdog (fence/) stop a node's pods.
 */
import { ContainerNotFoundError, SandboxNotFoundError } from '../../src/runtime/errors.ts';
import type { ContainerRuntime, RuntimePod } from '../../src/runtime/types.ts';

/** Stops (does not remove) a pod's containers, then its sandbox; what is already gone is not an error. */
export async function stopRuntimePod(runtime: ContainerRuntime, pod: RuntimePod, graceSeconds: number): Promise<void> {
  await Promise.all(
    pod.containers.map((c) =>
      runtime.stopContainer(c.id, graceSeconds).catch((err: unknown) => {
        if (!(err instanceof ContainerNotFoundError)) throw err;
      }),
    ),
  );
  if (pod.sandboxId !== undefined)
    await runtime.stopSandbox(pod.sandboxId).catch((err: unknown) => {
      if (!(err instanceof SandboxNotFoundError)) throw err;
    });
}
