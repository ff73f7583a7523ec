/**
 * A cluster for self-healing runs, from a user's seat: one `kactus master` (embedded store, the
 * default node-lifecycle flags) and N `kactus node` daemons on the process runtime. As root, each
 * node is a host of its own (a network namespace on a switch, test/support/netns.ts) so a test can
 * partition it by taking its link down; otherwise everything is on loopback (kill -9 only).
 *
 * What runs where is read from the kernel, not from the API: a process-runtime container is a
 * host process whose working directory is its sandbox under the node's data dir
 * (`<data dir>/process-runtime/sandboxes/<id>`, with the pod in `pod.json`), so `/proc/<pid>/cwd`
 * tells which node runs which pod, whatever the API says.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { canMakeNetns, makeTestNetwork, type NetHost, type TestNetwork } from '../support/netns.ts';
import { background, eventually, kactusBin, kubectlFor, ok, run, startKactusServer, type Background, type KactusServer, type Kubectl } from './harness.ts';

export interface HealNode {
  name: string;
  dataDir: string;
  /** Its network namespace (root only). */
  host?: NetHost;
  proc: Background;
}

export interface HealCluster {
  dir: string;
  master: KactusServer;
  kubectl: Kubectl;
  nodes: HealNode[];
  /** The hosts' network, when the nodes have namespaces of their own. */
  net?: TestNetwork;
  /** (Re)starts node `i` on its data dir (after a kill -9: its leftovers are killed as it opens). */
  startNode(i: number): Promise<HealNode>;
  /** Cuts node `i` off (its link down: no RST, no FIN — silence), or heals it. */
  partition(i: number, cut: boolean): Promise<void>;
  close(): Promise<void>;
}

/** Whether nodes can be hosts of their own (partitions possible). */
export const canPartition = await canMakeNetns();

/** Node daemons' names in a cluster: `<prefix>-0`, `<prefix>-1`… */
export async function startHealCluster(dir: string, prefix: string, count: number, masterArgs: string[] = []): Promise<HealCluster> {
  const net = canPartition ? await makeTestNetwork(count) : undefined;
  let master: KactusServer | undefined;
  const nodes: HealNode[] = [];
  const close = async (): Promise<void> => {
    // SIGTERM: the process runtime kills the pods' processes as the daemon closes.
    for (const n of nodes) await n.proc.kill('SIGTERM');
    await master?.proc.kill('SIGTERM');
    await net?.remove();
  };
  try {
    master = await startKactusServer([
      'master',
      '--data-dir', join(dir, 'master'),
      '--store', `embedded://${join(dir, 'master', 'store')}`,
      '--port', '0',
      '--name', `${prefix}-master`,
      ...(net ? ['--mesh-listen', `/ip4/${net.rootIP}/tcp/0`, '--cluster-cidr', net.block.clusterCIDR, '--service-cluster-ip-range', net.block.serviceCIDR] : []),
      ...masterArgs,
    ]);
    const kubectl = kubectlFor(master.kubeconfig, dir);
    const joinLine = ok(await run(process.execPath, [kactusBin, 'token', 'create', '--kubeconfig', master.kubeconfig])).trim().split('\n')[1]!;
    const joinAddr = /--join (\S+)/.exec(joinLine)![1]!;
    const token = /--token (\S+)/.exec(joinLine)![1]!;
    const startNode = async (i: number): Promise<HealNode> => {
      const name = `${prefix}-${i}`;
      const dataDir = join(dir, name);
      const host = net?.hosts[i];
      const ip = host?.ip ?? '127.0.0.1';
      const args = [kactusBin, 'node', '--data-dir', dataDir, '--join', joinAddr, '--token', token, '--name', name, '--runtime', 'process', '--node-ip', ip, '--listen', `/ip4/${ip}/tcp/0`];
      const proc = host ? background('nsenter', [`--net=/run/netns/${host.netns}`, process.execPath, ...args]) : background(process.execPath, args);
      await proc.waitFor(new RegExp(`kactus: node ${name} joined`), 30_000);
      const node: HealNode = { name, dataDir, proc, ...(host ? { host } : {}) };
      nodes[i] = node;
      return node;
    };
    for (let i = 0; i < count; i++) await startNode(i);
    const cluster: HealCluster = {
      dir,
      master,
      kubectl,
      nodes,
      ...(net ? { net } : {}),
      startNode,
      async partition(i, cut) {
        const host = nodes[i]?.host;
        if (!host || !net) throw new Error('partitions need the nodes in network namespaces (root)');
        await net.exec(host, 'ip', ['link', 'set', 'eth0', cut ? 'down' : 'up']);
      },
      close,
    };
    await nodesReady(cluster);
    return cluster;
  } catch (err) {
    await close();
    throw err;
  }
}

/** Every node of the cluster Ready (the master's view). */
export async function nodesReady(cluster: HealCluster, timeoutMs = 30_000): Promise<void> {
  await eventually(
    'every node Ready',
    async () => ok(await cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}'])),
    (s) => cluster.nodes.every((n) => s.includes(`${n.name}=True`)),
    timeoutMs,
  );
}

/** A pod as the API tells it. */
export interface PodRow {
  name: string;
  node: string;
  phase: string;
  reason: string;
  deleting: boolean;
}

/** Pods matching `selector`, read from the API. */
export async function podRows(kubectl: Kubectl, selector: string): Promise<PodRow[]> {
  const out = ok(await kubectl(['get', 'pods', '-l', selector, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.status.phase} {.status.reason}/ {.metadata.deletionTimestamp}{"\\n"}{end}']));
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [name = '', node = '', phase = '', reason = '', deletion = ''] = l.split(' ');
      return { name, node, phase, reason: reason.replace(/\/$/, ''), deleting: deletion !== '' };
    });
}

/** The pods whose processes run under each node's data dir, by node name (pod names, with repeats per process). */
export async function runningPods(nodes: readonly Pick<HealNode, 'name' | 'dataDir'>[]): Promise<Map<string, string[]>> {
  const byNode = new Map<string, string[]>(nodes.map((n) => [n.name, []]));
  for (const { node, pod } of await podProcesses(nodes)) byNode.get(node)!.push(pod);
  return byNode;
}

/** Every process of a pod on these nodes: its pid, node and pod name. */
export async function podProcesses(nodes: readonly Pick<HealNode, 'name' | 'dataDir'>[]): Promise<{ pid: number; node: string; pod: string }[]> {
  const found: { pid: number; node: string; pod: string }[] = [];
  const podOf = new Map<string, string | undefined>();
  for (const pid of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(pid)) continue;
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined);
    if (!cwd) continue;
    for (const node of nodes) {
      const sandboxes = join(node.dataDir, 'process-runtime', 'sandboxes') + '/';
      if (!cwd.startsWith(sandboxes)) continue;
      const sandbox = cwd.slice(sandboxes.length).split('/')[0]!;
      const key = `${node.name}/${sandbox}`;
      if (!podOf.has(key)) {
        const pod = await readFile(join(sandboxes, sandbox, 'pod.json'), 'utf8').then((t) => (JSON.parse(t) as { name?: string }).name, () => undefined);
        podOf.set(key, pod);
      }
      const pod = podOf.get(key);
      if (pod) found.push({ pid: Number(pid), node: node.name, pod });
    }
  }
  return found;
}

/**
 * Watches, every `periodMs`, which pods run on which node (the kernel's view), and records every
 * moment a pod name of `names` ran on two nodes at once.
 */
export function watchIdentities(nodes: () => readonly HealNode[], names: (pod: string) => boolean, periodMs = 100): { stop(): Promise<{ samples: number; doubles: string[] }> } {
  let stopped = false;
  let samples = 0;
  const doubles: string[] = [];
  const loop = (async () => {
    while (!stopped) {
      const running = await runningPods(nodes());
      samples += 1;
      const where = new Map<string, Set<string>>();
      for (const [node, pods] of running) for (const pod of pods.filter(names)) where.set(pod, (where.get(pod) ?? new Set()).add(node));
      for (const [pod, at] of where) if (at.size > 1) doubles.push(`${new Date().toISOString()} ${pod} on ${[...at].join(' and ')}`);
      await new Promise((r) => setTimeout(r, periodMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { samples, doubles };
    },
  };
}
