/**
 * Address space for tests that make networks on this machine: each claim is a whole /16
 * (`10.N.0.0/16`, N in 100..254) that no other test process holds at the same time, so test
 * clusters running in parallel in one network namespace never share a pod CIDR, a service IP or a
 * bridge subnet (Docker refuses overlapping networks; two proxies would fight over one ClusterIP).
 *
 * A claim is a file created exclusively under the temp dir, holding the claiming PID; a claim whose
 * process is gone is taken over, and a process' claims are released when it exits.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DIR = join(tmpdir(), 'kactus-test-address-blocks');
const FIRST = 100;
const LAST = 254;
const held = new Set<string>();
let exitHook = false;

export interface AddressBlock {
  /** N in 10.N.0.0/16 */
  octet: number;
  /** 10.N.0.0/17: pods (each node a /24 of it). */
  clusterCIDR: string;
  /** 10.N.128.0/20: Service ClusterIPs. */
  serviceCIDR: string;
  /** 10.N.200.0/24: the switch of test hosts (network namespaces). */
  hostSubnetPrefix: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryClaim(path: string): boolean {
  try {
    const fd = openSync(path, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const owner = Number(readFileSync(path, 'utf8').trim());
  if (Number.isInteger(owner) && owner > 0 && alive(owner)) return false;
  try {
    unlinkSync(path); // a dead process' claim; if another process removed it first, race for it again
  } catch {
    /* gone already */
  }
  return tryClaim(path);
}

/** Claim a /16 for this test; throws when every block is held. */
export function claimAddressBlock(): AddressBlock {
  mkdirSync(DIR, { recursive: true });
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const p of held) {
        try {
          unlinkSync(p);
        } catch {
          /* already released */
        }
      }
    });
  }
  const start = FIRST + (process.pid % (LAST - FIRST + 1));
  for (let i = 0; i <= LAST - FIRST; i++) {
    const octet = FIRST + ((start - FIRST + i) % (LAST - FIRST + 1));
    const path = join(DIR, String(octet));
    if (!tryClaim(path)) continue;
    held.add(path);
    return {
      octet,
      clusterCIDR: `10.${octet}.0.0/17`,
      serviceCIDR: `10.${octet}.128.0/20`,
      hostSubnetPrefix: `10.${octet}.200`,
      release() {
        if (!held.delete(path)) return;
        try {
          unlinkSync(path);
        } catch {
          /* already released */
        }
      },
    };
  }
  throw new Error(`every test address block 10.${FIRST}-${LAST}.0.0/16 is held by a running process`);
}
