/**
 * The node's pod bridge: a Docker bridge network whose subnet is the node's pod CIDR
 * (`node.spec.podCIDR`), so pods on different nodes never share addresses (Docker's default bridge
 * gives 172.17.0.x everywhere). Docker's masquerade is off: pod-to-pod traffic across nodes keeps
 * its source address (DESIGN.md §6); the service proxy masquerades only what leaves the cluster
 * CIDR. With an overlay, the MTU leaves room for VXLAN's 50 bytes.
 *
 * One network per node daemon (named after its runtime scope), kept across daemon restarts
 * (containers stay attached to it for re-adoption) and removed by `remove()`.
 */
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { podCidrAddresses, type PodCidrAddresses } from './addresses.ts';

export const NETWORK_LABEL = 'io.kactus.node';

export interface PodBridge extends PodCidrAddresses {
  /** Docker network name: what sandboxes are created on. */
  networkName: string;
  /** The Linux bridge device (≤ 15 characters). */
  bridgeName: string;
  mtu: number;
}

export class PodCidrChangedError extends Error {
  constructor(networkName: string, had: string, wanted: string) {
    super(`Docker network ${networkName} has subnet ${had} but this node's pod CIDR is ${wanted}, and containers are still attached to it; remove them (or the node's data dir) first`);
    this.name = 'PodCidrChangedError';
  }
}

/** Names for one daemon's network: the Docker name carries the scope, the device a short hash of it. */
export function bridgeNames(scope: string): { networkName: string; bridgeName: string } {
  const hash = createHash('sha256').update(scope).digest('hex').slice(0, 8);
  return { networkName: `kactus-${scope}`, bridgeName: `kbr-${hash}` };
}

/** The Docker create options (pure, for tests). */
export function bridgeNetworkOptions(scope: string, addrs: PodCidrAddresses, mtu: number): Docker.NetworkCreateOptions {
  const { networkName, bridgeName } = bridgeNames(scope);
  return {
    Name: networkName,
    Driver: 'bridge',
    CheckDuplicate: true,
    IPAM: { Driver: 'default', Config: [{ Subnet: addrs.podCIDR, Gateway: addrs.gatewayIP }] },
    Options: {
      'com.docker.network.bridge.name': bridgeName,
      'com.docker.network.bridge.enable_ip_masquerade': 'false',
      'com.docker.network.bridge.enable_icc': 'true',
      'com.docker.network.driver.mtu': String(mtu),
    },
    Labels: { [NETWORK_LABEL]: scope },
  };
}

interface NetworkInfo {
  Id: string;
  IPAM?: { Config?: { Subnet?: string }[] };
  Containers?: Record<string, unknown>;
  Options?: Record<string, string>;
}

/**
 * Make (or find) the node's pod bridge for `podCIDR`. An existing network with the same subnet is
 * kept (pods attached to it survive a daemon restart); one with another subnet is replaced when
 * nothing is attached, else PodCidrChangedError.
 */
export async function ensurePodBridge(docker: Docker, scope: string, podCIDR: string, mtu: number): Promise<PodBridge> {
  const addrs = podCidrAddresses(podCIDR);
  const { networkName, bridgeName } = bridgeNames(scope);
  const existing = await inspectNetwork(docker, networkName);
  if (existing) {
    const subnet = existing.IPAM?.Config?.[0]?.Subnet;
    const existingMtu = Number(existing.Options?.['com.docker.network.driver.mtu'] ?? 1500);
    if (subnet === podCIDR && existingMtu === mtu) return { ...addrs, networkName, bridgeName, mtu };
    if (Object.keys(existing.Containers ?? {}).length > 0) {
      if (subnet === podCIDR) return { ...addrs, networkName, bridgeName, mtu: existingMtu };
      throw new PodCidrChangedError(networkName, subnet ?? 'none', podCIDR);
    }
    await docker.getNetwork(existing.Id).remove();
  }
  await docker.createNetwork(bridgeNetworkOptions(scope, addrs, mtu));
  return { ...addrs, networkName, bridgeName, mtu };
}

/** Remove the node's pod bridge (containers must be gone); nothing when it does not exist. */
export async function removePodBridge(docker: Docker, scope: string): Promise<void> {
  const existing = await inspectNetwork(docker, bridgeNames(scope).networkName);
  if (!existing) return;
  await docker
    .getNetwork(existing.Id)
    .remove()
    .catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
}

async function inspectNetwork(docker: Docker, name: string): Promise<NetworkInfo | undefined> {
  try {
    return (await docker.getNetwork(name).inspect()) as NetworkInfo;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}
