/**
 * What the host must allow for the proxy's rules to carry traffic, outside the proxy's own
 * table: kernel forwarding switches and accept rules in iptables' DOCKER-USER chain.
 *
 * Why DOCKER-USER: Docker sets the FORWARD policy to DROP, and an nftables `accept` in our
 * table cannot overrule a drop in another table (every base chain on a hook gets its say).
 * DOCKER-USER is the chain Docker reserves for its users and jumps to first from FORWARD.
 * Our rules there carry a comment naming the proxy's table, so they are found and removed
 * (also a crashed predecessor's) without touching anyone else's.
 */
import { CommandError, runChecked, type CommandRunner } from '../commands.ts';
import { HostSetupError } from './errors.ts';

const CHAIN = 'DOCKER-USER';

/** The comment that marks this table's iptables rules. */
export const forwardRuleTag = (table: string) => `kactus-proxy:${table}`;

/** What `ensureForwardAccept` did that `removeForwardAccept` should undo. */
export interface ForwardAcceptState {
  /** DOCKER-USER did not exist and we made it (removed again on close if left empty). */
  createdChain: boolean;
}

/**
 * `net.ipv4.ip_forward=1`: pods' packets to ClusterIPs, other nodes and the outside are
 * routed by this host. `net.bridge.bridge-nf-call-iptables=1` (module br_netfilter): a reply
 * from a pod to another pod on the same bridge is bridged, not routed, and without this it
 * would skip netfilter — conntrack would never turn its source back from the endpoint's
 * address into the ClusterIP, and the client would drop a reply it never asked for.
 * Values already 1 are left alone (so an unprivileged daemon on a prepared host works).
 */
export async function enableKernelForwarding(run: CommandRunner): Promise<void> {
  await ensureSysctl(run, 'net.ipv4.ip_forward');
  if ((await run(['sysctl', '-n', 'net.bridge.bridge-nf-call-iptables'])).exitCode !== 0) {
    // The key appears once br_netfilter is loaded (built into some kernels, a module in others).
    const modprobe = await run(['modprobe', 'br_netfilter']).catch((err: Error) => ({ exitCode: -1, stdout: '', stderr: err.message }));
    if (modprobe.exitCode !== 0) {
      throw new HostSetupError(`bridge netfilter is unavailable (modprobe br_netfilter: ${modprobe.stderr.trim()}); pods on one bridge could not reach each other through services`);
    }
  }
  await ensureSysctl(run, 'net.bridge.bridge-nf-call-iptables');
}

async function ensureSysctl(run: CommandRunner, key: string): Promise<void> {
  try {
    if ((await runChecked(run, ['sysctl', '-n', key])).trim() === '1') return;
    await runChecked(run, ['sysctl', '-w', `${key}=1`]);
  } catch (err) {
    throw new HostSetupError(`cannot set ${key}=1: ${(err as Error).message}`, { cause: err });
  }
}

/** The accept rules for one cluster CIDR, as iptables argument lists after the chain name. */
function acceptRules(table: string, clusterCIDR: string): string[][] {
  const tag = ['-m', 'comment', '--comment', forwardRuleTag(table)];
  return [
    // Pods' traffic, and traffic to pods (ClusterIP and NodePort after DNAT).
    ['-s', clusterCIDR, ...tag, '-j', 'ACCEPT'],
    ['-d', clusterCIDR, ...tag, '-j', 'ACCEPT'],
    // Service traffic DNATed to an endpoint outside the pod network (a hostNetwork pod on
    // another node) is neither from nor to the cluster CIDR; the DNAT shows it is ours.
    ['-m', 'conntrack', '--ctstate', 'DNAT', ...tag, '-j', 'ACCEPT'],
    // And the replies (and ICMP errors) of whatever was let through.
    ['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', ...tag, '-j', 'ACCEPT'],
  ];
}

/**
 * Make sure DOCKER-USER exists, FORWARD jumps to it, and it accepts the cluster's traffic.
 * New rules go in before stale ones of ours (another CIDR, a previous run) are deleted, so
 * there is no moment without them. Idempotent.
 */
export async function ensureForwardAccept(run: CommandRunner, table: string, clusterCIDR: string): Promise<ForwardAcceptState> {
  const ipt = (args: string[]) => run(['iptables', '-w', ...args]);
  const checked = (args: string[]) => runChecked(run, ['iptables', '-w', ...args]);
  const tag = forwardRuleTag(table);
  try {
    let createdChain = false;
    if ((await ipt(['-S', CHAIN])).exitCode !== 0) {
      // Docker did not make it (not running here, or not yet): make it, so our rules have a
      // home and Docker adopts it when it starts.
      const made = await ipt(['-N', CHAIN]);
      if (made.exitCode !== 0 && (await ipt(['-S', CHAIN])).exitCode !== 0) throw new CommandError(['iptables', '-N', CHAIN], made.exitCode, made.stderr);
      createdChain = made.exitCode === 0;
    }
    const jumps = (await ipt(['-C', 'FORWARD', '-j', CHAIN])).exitCode === 0 || (await ipt(['-C', 'FORWARD', '-m', 'comment', '--comment', tag, '-j', CHAIN])).exitCode === 0;
    if (!jumps) await checked(['-I', 'FORWARD', '1', '-m', 'comment', '--comment', tag, '-j', CHAIN]);

    const wanted = acceptRules(table, clusterCIDR);
    for (const rule of wanted) {
      if ((await ipt(['-C', CHAIN, ...rule])).exitCode !== 0) await checked(['-I', CHAIN, '1', ...rule]);
    }
    const wantedKeys = new Set(wanted.map(ruleKey));
    for (const rule of await taggedRules(run, CHAIN, tag)) {
      if (!wantedKeys.has(ruleKey(rule))) await checked(['-D', CHAIN, ...rule]);
    }
    return { createdChain };
  } catch (err) {
    throw new HostSetupError(`cannot add accept rules to ${CHAIN}: ${(err as Error).message}`, { cause: err });
  }
}

/** Delete every rule tagged for `table` from DOCKER-USER and FORWARD; drop the chain if we made it and it is empty. */
export async function removeForwardAccept(run: CommandRunner, table: string, state?: ForwardAcceptState): Promise<void> {
  const tag = forwardRuleTag(table);
  for (const chain of [CHAIN, 'FORWARD']) {
    for (const rule of await taggedRules(run, chain, tag)) await runChecked(run, ['iptables', '-w', '-D', chain, ...rule]);
  }
  // Fails (and that is fine) if Docker or anyone else has since put rules in it or jumps to it.
  if (state?.createdChain) await run(['iptables', '-w', '-X', CHAIN]);
}

/** Rules of `chain` carrying `tag`, as argument lists (what follows `-A CHAIN` in `iptables -S`). */
export async function taggedRules(run: CommandRunner, chain: string, tag: string): Promise<string[][]> {
  const listed = await run(['iptables', '-w', '-S', chain]);
  if (listed.exitCode !== 0) return []; // no chain, no rules of ours
  return listed.stdout
    .split('\n')
    .map(splitRuleLine)
    .filter((words) => words[0] === '-A' && words[1] === chain && words.includes(tag))
    .map((words) => words.slice(2));
}

/** Split one `iptables -S` line into words ("quoted" comments are one word). */
export function splitRuleLine(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

/** Order-independent identity of a rule (iptables prints matches in its own order). */
const ruleKey = (words: string[]) => [...words].sort().join(' ');
