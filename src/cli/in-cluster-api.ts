/**
 * How `kactus up`'s pods reach the API. The API listens on loopback by default (project rule: no
 * wildcard binds), which a pod's network namespace cannot reach, and the `default/kubernetes`
 * Service would lead its traffic to 127.0.0.1. So once the local node's pod bridge is up, the API
 * is served on the bridge's gateway too — the node's own address on a bridge kactus made, where
 * the node's DNS server already listens — and the master advertises that address for the Service.
 * An API given a non-loopback `--host` (a wildcard or an address) is already reachable from pods
 * through the host and keeps its own advertised address.
 */
import { isIP } from 'node:net';
import type { Master } from '../master/master.ts';
import { errorMessage } from '../api/error-message.ts';

/** True for an address only this machine's own network namespace can reach. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * The node daemon's `onPodNetworkUp` for `kactus up`: serve and advertise the API on the pod
 * bridge's gateway when `host` is loopback; nothing otherwise. Failures are logged (pods then
 * cannot reach the API; everything else works).
 */
export function serveApiToPods(master: Pick<Master, 'advertiseApiOn'>, host: string, log: (line: string) => void): ((gatewayIP: string) => void) | undefined {
  if (!isLoopbackHost(host)) return undefined;
  return (gatewayIP) => {
    master.advertiseApiOn(gatewayIP).then(
      () => log(`kactus: API server also listening on the pod network at ${gatewayIP} (the kubernetes Service's endpoint)`),
      (err: unknown) => log(`kactus: warning: pods cannot reach the API: serving it on ${gatewayIP} failed: ${errorMessage(err)}`),
    );
  };
}
