/**
 * Addresses derived from a node's pod CIDR, the same way on every node, so a peer can compute
 * them without asking: the bridge gateway (first host address) and the VTEP (the network address,
 * as Flannel's vxlan backend puts it on flannel.1), and the VTEP's MAC (0a:58 + the VTEP's IPv4
 * bytes, as OVN-Kubernetes derives MACs from IPs) — so no node has to publish its MAC.
 */
import { numberToIPv4 as fromNumber, parseIPv4Cidr as parseCidr } from '../../src/api/ipv4.ts';

export interface PodCidrAddresses {
  podCIDR: string;
  /** The network address: this node's VTEP address on the overlay (a /32). */
  vtepIP: string;
  vtepMac: string;
  /** The bridge's address: pods' default gateway and the node's DNS address for its pods. */
  gatewayIP: string;
  prefixLength: number;
}

export function podCidrAddresses(podCIDR: string): PodCidrAddresses {
  const [network, bits] = parseCidr(podCIDR);
  if (bits > 30) throw new Error(`pod CIDR ${podCIDR} is too small for a bridge (at most /30)`);
  const vtepIP = fromNumber(network);
  return { podCIDR, vtepIP, vtepMac: macFor(vtepIP), gatewayIP: fromNumber(network + 1), prefixLength: bits };
}

/** `0a:58:` + the address' four bytes in hex (locally administered, unicast). */
export function macFor(ipv4: string): string {
  return ['0a', '58', ...ipv4.split('.').map((b) => Number(b).toString(16).padStart(2, '0'))].join(':');
}
