/**
 * Picking a runtime by name, as `kactus up` / `kactus node --runtime` do. `auto` (the default of
 * `kactus up`) uses Docker when the engine answers and falls back to the process runtime.
 */
import { join } from 'node:path';
import type Docker from 'dockerode';
import { DockerRuntime } from './docker.ts';
import { HollowRuntime } from './hollow.ts';
import { ProcessRuntime } from './process.ts';
import type { ContainerRuntime, RuntimeName } from '../../src/runtime/types.ts';

export interface OpenRuntimeOptions {
  runtime: RuntimeName | 'auto';
  /** The node's name (Docker labels). */
  node: string;
  /** The daemon's data dir; the process runtime keeps its state under `<dataDir>/process-runtime`. */
  dataDir: string;
  /** Engine client for `docker`/`auto`; default: /var/run/docker.sock. */
  docker?: Docker;
  onError?: (err: unknown) => void;
}

/** Where the process runtime of the daemon with data dir `dataDir` keeps its state. */
export function processRuntimeDir(dataDir: string): string {
  return join(dataDir, 'process-runtime');
}

export async function openRuntime(options: OpenRuntimeOptions): Promise<ContainerRuntime> {
  const { runtime, node, dataDir, onError } = options;
  const docker = () => DockerRuntime.connect({ node, ...(options.docker ? { docker: options.docker } : {}), ...(onError ? { onError } : {}) });
  const processRuntime = () => ProcessRuntime.open({ dataDir: processRuntimeDir(dataDir), ...(onError ? { onError } : {}) });
  switch (runtime) {
    case 'docker':
      return docker();
    case 'process':
      return processRuntime();
    case 'hollow':
      return new HollowRuntime(onError ? { onError } : {});
    case 'auto':
      try {
        return await docker();
      } catch {
        // No engine answering: the process runtime needs nothing but the host.
        return processRuntime();
      }
  }
}
