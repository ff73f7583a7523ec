/**
 * The hosts of a fault cluster: each a network namespace of test/support/netns.ts with a name
 * (`m0`, `n1`), a role and a directory of its own, and the fixed ports its programs listen on
 * (fixed, so a program restarted after a kill -9 is where its peers last saw it).
 */
import type { NetHost } from '../../support/netns.ts';
import type { FaultTarget } from './host-process.ts';

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
export const API_PORT = 6443;
export const MASTER_MESH_PORT = 7000;
export const NODE_MESH_PORT = 7100;

export type HostKind = 'master' | 'node';

export interface FaultHost extends NetHost {
  /** `m0`, `m1`… for master hosts, `n0`, `n1`… for node hosts. */
  name: string;
  kind: HostKind;
  /** Directory of this host's data dirs and logs. */
  dir: string;
  /** The programs running on it (filled as they start). */
  processes: FaultTarget[];
}

/** Polls `check` until it holds; throws with `describe()` after the deadline. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
