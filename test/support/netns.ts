/**
 * Several hosts on one machine, for tests of what crosses a network: network namespaces that the
 * test makes and removes. A "switch" namespace holds a bridge; each host namespace has a veth
 * (`eth0`) into it with an address of a /24 picked per run; the test's own (root) namespace joins
 * the same switch through a veth of its own, so processes here (a master, kubectl) reach the hosts
 * and the hosts reach them. The switch lives in its own namespace, not the root one, because
 * Docker's FORWARD policy (DROP, with bridge netfilter on) would drop bridged traffic there.
 *
 * Everything is named `kt<id>…` and removed by `remove()`, also after a failed start, and (as a
 * last resort) synchronously when the test process exits without calling it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { claimAddressBlock, type AddressBlock } from './address-blocks.ts';

const exec = promisify(execFile);

export interface NetHost {
  /** Network namespace name (`ip netns exec NAME …`, `nsenter --net=/run/netns/NAME …`). */
  netns: string;
  /** Its address on the switch. */
  ip: string;
  /** Its veth's peer on the switch's bridge (in `switchNetns`): traffic towards the host leaves there. */
  switchPort: string;
}

export interface TestNetwork {
  /** The /16 this network holds (pod and service CIDRs for a cluster on these hosts come from it). */
  block: AddressBlock;
  /** The switch's /24, e.g. 10.123.200.0/24. */
  subnet: string;
  /** The root namespace's address on the switch (where a master here listens for the hosts). */
  rootIP: string;
  /** The namespace holding the bridge `br0` and the hosts' switch ports. */
  switchNetns: string;
  hosts: NetHost[];
  /** Run a command inside a host's namespace. */
  exec(host: NetHost, cmd: string, args: string[], timeoutMs?: number): Promise<{ stdout: string; stderr: string }>;
  remove(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  await exec('ip', args);
}

/**
 * Namespaces and root links of networks not yet removed: deleted synchronously if the test
 * process exits without `remove()` (a failed hook, an uncaught error), so none outlives it.
 */
const unremoved = new Map<string, { rootLink: string; namespaces: string[] }>();
let exitHookInstalled = false;
function removeOnExit(): void {
  for (const { rootLink, namespaces } of unremoved.values()) {
    for (const args of [['link', 'del', rootLink], ...namespaces.map((ns) => ['netns', 'del', ns])]) {
      try {
        execFileSync('ip', args, { stdio: 'ignore' });
      } catch {
        /* gone already */
      }
    }
  }
}

/** True when this process may make network namespaces (root with iproute2). */
export async function canMakeNetns(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await exec('ip', ['netns', 'list']);
    return true;
  } catch {
    return false;
  }
}

/** `count` hosts on one switch, in an address block no parallel test holds. */
export async function makeTestNetwork(count: number): Promise<TestNetwork> {
  const id = randomBytes(3).toString('hex');
  const block = claimAddressBlock();
  const prefix = block.hostSubnetPrefix;
  const sw = `kt${id}sw`;
  const rootLink = `kt${id}r`;
  const hosts: NetHost[] = Array.from({ length: count }, (_, i) => ({ netns: `kt${id}h${i}`, ip: `${prefix}.${11 + i}`, switchPort: `h${i}` }));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', removeOnExit);
  }
  unremoved.set(id, { rootLink, namespaces: [sw, ...hosts.map((h) => h.netns)] });
  const network: TestNetwork = {
    block,
    subnet: `${prefix}.0/24`,
    rootIP: `${prefix}.1`,
    switchNetns: sw,
    hosts,
    exec: (host, cmd, args, timeoutMs = 30_000) => exec('ip', ['netns', 'exec', host.netns, cmd, ...args], { timeout: timeoutMs }),
    async remove() {
      unremoved.delete(id);
      await exec('ip', ['link', 'del', rootLink]).catch(() => undefined);
      for (const ns of [sw, ...hosts.map((h) => h.netns)]) await exec('ip', ['netns', 'del', ns]).catch(() => undefined);
      block.release();
    },
  };
  try {
    await ip('netns', 'add', sw);
    await ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', sw, 'link', 'set', 'br0', 'up');
    await ip('link', 'add', rootLink, 'type', 'veth', 'peer', 'name', 'up0', 'netns', sw);
    await ip('-n', sw, 'link', 'set', 'up0', 'master', 'br0', 'up');
    await ip('addr', 'add', `${network.rootIP}/24`, 'dev', rootLink);
    await ip('link', 'set', rootLink, 'up');
    for (const host of hosts) {
      await ip('netns', 'add', host.netns);
      await ip('-n', host.netns, 'link', 'set', 'lo', 'up');
      await ip('-n', host.netns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', host.switchPort, 'netns', sw);
      await ip('-n', sw, 'link', 'set', host.switchPort, 'master', 'br0', 'up');
      await ip('-n', host.netns, 'addr', 'add', `${host.ip}/24`, 'dev', 'eth0');
      await ip('-n', host.netns, 'link', 'set', 'eth0', 'up');
    }
  } catch (err) {
    await network.remove();
    throw err;
  }
  return network;
}
