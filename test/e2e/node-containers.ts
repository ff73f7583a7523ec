/**
 * The Docker containers one node daemon made, found the way the daemon itself labels them:
 * `io.kactus.node=<node name>-<8 chars of its peer id>`. A test names its nodes uniquely, so the
 * prefix `<node name>-` selects its containers and nobody else's. Daemons leave containers
 * running when killed (a restart re-adopts them), so every test removes its own at the end.
 */
import type Docker from 'dockerode';
import { removeContainersByLabel } from '../support/docker.ts';
import { removeNodeNetwork } from './node-network.ts';

const NODE_LABEL = 'io.kactus.node';

/** One container of a kactus pod, as its labels and the engine describe it. */
export interface PodContainer {
  id: string;
  /** The full `io.kactus.node` value (node name plus peer id tail). */
  scope: string;
  podName: string;
  /** `sandbox` or `container`. */
  role: string;
  /** The pod's container name; empty for the sandbox. */
  containerName: string;
  /** Docker's state: `running`, `exited`, `created`, ... */
  state: string;
}

/** Every container (running or not) of the node named `nodeName`, optionally only one pod's. */
export async function nodeContainers(docker: Docker, nodeName: string, podName?: string): Promise<PodContainer[]> {
  const all = await docker.listContainers({ all: true, filters: { label: [NODE_LABEL] } });
  return all
    .filter((c) => c.Labels[NODE_LABEL]?.startsWith(`${nodeName}-`))
    .map((c) => ({
      id: c.Id,
      scope: c.Labels[NODE_LABEL] ?? '',
      podName: c.Labels['io.kactus.pod-name'] ?? '',
      role: c.Labels['io.kactus.role'] ?? '',
      containerName: c.Labels['io.kactus.container-name'] ?? '',
      state: c.State,
    }))
    .filter((c) => podName === undefined || c.podName === podName);
}

/**
 * Force-removes every container of the node named `nodeName`, then what its pod network left in
 * this network namespace (bridge, nft table, DOCKER-USER rules: node-network.ts); returns how many
 * containers there were. Daemons killed by tests leave both behind.
 */
export async function removeNodeLeftovers(docker: Docker, nodeName: string): Promise<number> {
  const scopes = new Set((await nodeContainers(docker, nodeName)).map((c) => c.scope));
  let removed = 0;
  for (const scope of scopes) removed += await removeContainersByLabel(docker, `${NODE_LABEL}=${scope}`);
  await removeNodeNetwork(docker, nodeName);
  return removed;
}
