/**
 * How the watchdog stops a node's pods, through each runtime's own code (no second copy of how
 * a runtime finds its pods):
 * - process: `killRecordedContainers` (process.ts) on the runtime's state dir — every container
 *   recorded running whose process is still the recorded one, its whole process group SIGKILLed
 *   (what a new runtime does to a dead owner's leftovers). The owning daemon, alive or restarted,
 *   records the exits.
 * - docker: a `DockerRuntime` on the node's scope (its `io.kactus.node` label), `listPods`, and
 *   `stopRuntimePod` with grace 0 (the engine SIGKILLs at once), as the daemon's self-fence does.
 */
import { processRuntimeDir } from '../runtime/open.ts';
import { killRecordedContainers } from '../runtime/process.ts';
import { stopRuntimePod } from '../runtime/stop-pods.ts';
import type { FencedRuntime } from './files.ts';

export interface FenceTargetOptions {
  runtime: FencedRuntime;
  dataDir: string;
  scope: string;
  dockerSocket?: string;
}

/** Stops every pod of the node (grace 0); resolves to how many containers were running. */
export type StopAllPods = () => Promise<number>;

export function fenceTarget(opts: FenceTargetOptions): StopAllPods {
  if (opts.runtime === 'process') {
    return async () => (await killRecordedContainers(processRuntimeDir(opts.dataDir))).filter((r) => r.killed).length;
  }
  return async () => {
    // Loaded and connected only when needed: a watchdog spends its life waiting.
    const [{ default: Docker }, { DockerRuntime }] = await Promise.all([import('dockerode'), import('../runtime/docker.ts')]);
    const runtime = await DockerRuntime.connect({ node: opts.scope, docker: new Docker({ socketPath: opts.dockerSocket ?? '/var/run/docker.sock' }) });
    try {
      const pods = await runtime.listPods();
      const running = pods.reduce((n, p) => n + p.containers.filter((c) => c.state === 'running').length, 0);
      await Promise.all(pods.map((p) => stopRuntimePod(runtime, p, 0)));
      return running;
    } finally {
      await runtime.close();
    }
  };
}
