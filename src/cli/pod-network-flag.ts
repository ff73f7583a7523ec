/** `--pod-network auto|bridge|none` of `kactus up` and `kactus node` (no imports of the node daemon: client verbs load this). */
import { InvalidArgumentError } from 'commander';

export type PodNetworkMode = 'auto' | 'bridge' | 'none';

export function podNetworkMode(value: string): PodNetworkMode {
  if (value === 'auto' || value === 'bridge' || value === 'none') return value;
  throw new InvalidArgumentError(`"${value}" is not one of auto, bridge, none`);
}

/**
 * Whether the node gets the cluster's pod network. It needs real network namespaces (the docker
 * runtime) and root (bridges, routes, nftables, port 53); `auto` says why when it is off.
 */
export function podNetworkFor(mode: PodNetworkMode, runtime: string, log: (line: string) => void): boolean {
  if (mode === 'none') return false;
  const why = runtime !== 'docker' ? `the ${runtime} runtime has no network namespaces` : process.getuid?.() !== 0 ? 'it needs root' : undefined;
  if (why === undefined) return true;
  if (mode === 'bridge') throw new InvalidArgumentError(`--pod-network bridge: ${why}`);
  log(`kactus: pod network off (${why}): pods use the runtime's default network, without Services or cluster DNS`);
  return false;
}
