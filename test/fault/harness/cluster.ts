/**
 * A whole cluster on one machine for fault runs: N master hosts (`kactus master` with its own etcd member, the README's HA commands)
 * and M node hosts (`kactus node`, process runtime), each a network namespace on a bridge this
 * makes (test/support/netns.ts), with the fault injectors, the fault log, `healAll` and the
 * nemesis bound to it. The test process reaches every host through its own veth on the switch;
 * the hosts have no route anywhere else, so no traffic leaves the namespaces made here.
 *
 * `close()` (also run when the start fails) stops every program by PID — the node daemons' pods
 * too —, lifts every nft block and qdisc, removes the namespaces, veths and the temp dir.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kactusBin, kubectlFor, run, type Kubectl } from '../../e2e/harness.ts';
import { canMakeNetns, makeTestNetwork, type TestNetwork } from '../../support/netns.ts';
import { etcdAvailable } from '../../support/etcd.ts';
import { apiClient, type ApiClient } from './api-client.ts';
import { FaultLog } from './fault-log.ts';
import { faultInjectors, type ActiveFault, type FaultContext, type FaultInjectors } from './faults.ts';
import type { FaultTarget } from './host-process.ts';
import { waitUntil, type FaultHost } from './hosts.ts';
import { startMasterHost, type MasterHost, type MasterHostOptions } from './master-host.ts';
import { runNemesis, type NemesisOptions, type NemesisReport } from './nemesis.ts';
import { NetworkFaults } from './network-faults.ts';
import { startNodeHost, type NodeHost } from './node-host.ts';

export interface FaultClusterOptions {
  /** Master hosts (default 3: an etcd cluster of 3). */
  masters?: number;
  /** Node hosts (default 2). */
  nodes?: number;
  /** Names: masters `<prefix>-m0`…, nodes `<prefix>-n0`… (default `fc` + 4 random characters). */
  prefix?: string;
  /** etcd's raft heartbeat and election timeout (ms; default kactus' own: 50 and 500). */
  etcdHeartbeatMs?: number;
  etcdElectionTimeoutMs?: number;
  /** Extra flags for every `kactus master` / `kactus node`. */
  masterArgs?: string[];
  nodeArgs?: string[];
  /** How long a restarted program may take to be ready (default 30 s). */
  restartTimeoutMs?: number;
  /** How long each program may take to start (default 90 s: five Node programs start on two cores). */
  startTimeoutMs?: number;
  /** Where progress and fault lines go (default console.log). */
  log?: (line: string) => void;
  /** Keep the temp dir (logs, data dirs) after close, e.g. to read the logs of a failed run (default: `KACTUS_FAULT_KEEP_DIR=1`). */
  keepDir?: boolean;
}

export interface FaultCluster {
  /** Temp dir: `<host>/` per host (data dirs, `etcd.log`, `master.log`, `node.log`). */
  dir: string;
  net: TestNetwork;
  /** Master hosts first (`m0`…), then node hosts (`n0`…). */
  hosts: FaultHost[];
  masters: MasterHost[];
  nodes: NodeHost[];
  /** One API client per master, in the order of `masters`. */
  api: ApiClient[];
  /** kubectl through master `i` (default 0). */
  kubectl(i?: number): Kubectl;
  /** Every program on every host. */
  processes(): FaultTarget[];
  faults: FaultInjectors;
  log: FaultLog;
  network: NetworkFaults;
  /** Faults in force. */
  active: ReadonlySet<ActiveFault>;
  /**
   * Heals every fault in force (network first, then SIGCONT, then restarts), lifts any leftover
   * block or qdisc, resumes paused and starts stopped programs, then waits until `healthy()`.
   */
  healAll(timeoutMs?: number): Promise<void>;
  /** Every etcd member has a leader, every master answers a store read, every node is Ready. */
  healthy(): Promise<{ ok: boolean; problems: string[] }>;
  /** Random faults for a while (see nemesis.ts); heals everything at the end. */
  nemesis(opts: NemesisOptions): Promise<NemesisReport>;
  close(): Promise<void>;
}

/** Whether this machine can run a fault cluster: root (network namespaces) and the etcd binary. */
export async function canRunFaultCluster(): Promise<boolean> {
  return etcdAvailable() && (await canMakeNetns());
}

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** Starts the hosts and their programs; resolves once every node is Ready. */
export async function startFaultCluster(options: FaultClusterOptions = {}): Promise<FaultCluster> {
  const masterCount = options.masters ?? 3;
  const nodeCount = options.nodes ?? 2;
  const prefix = options.prefix ?? `fc${randomBytes(2).toString('hex')}`;
  const say = options.log ?? ((line: string) => console.log(line));
  const startTimeoutMs = options.startTimeoutMs ?? 90_000;
  const dir = await mkdtemp(join(tmpdir(), 'kactus-fault-'));
  let net: TestNetwork | undefined;
  const hosts: FaultHost[] = [];
  const masters: MasterHost[] = [];
  const nodes: NodeHost[] = [];
  let network: NetworkFaults | undefined;
  const log = new FaultLog(say);

  const processes = (): FaultTarget[] => hosts.flatMap((h) => h.processes);
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      // Nodes first (their pods with them), then masters, then the etcd members under them.
      const order = (role: string) => processes().filter((p) => p.role === role);
      for (const role of ['node', 'master', 'etcd']) await Promise.all(order(role).map((p) => p.stop()));
      await network?.clear();
      await net?.remove();
      if (options.keepDir ?? process.env.KACTUS_FAULT_KEEP_DIR === '1') say(`fault cluster: logs and data kept in ${dir}`);
      else await rm(dir, { recursive: true, force: true });
    })());

  try {
    net = await makeTestNetwork(masterCount + nodeCount);
    const theNet = net;
    for (const [i, h] of theNet.hosts.entries()) {
      const name = i < masterCount ? `m${i}` : `n${i - masterCount}`;
      const host: FaultHost = { ...h, name, kind: i < masterCount ? 'master' : 'node', dir: join(dir, name), processes: [] };
      await mkdir(host.dir, { recursive: true });
      hosts.push(host);
    }
    network = new NetworkFaults(theNet);
    say(`fault cluster ${prefix}: ${hosts.map((h) => `${h.name}=${h.ip}`).join(' ')} (test process ${theNet.rootIP}), dir ${dir}`);

    const masterHosts = hosts.filter((h) => h.kind === 'master');
    const common: MasterHostOptions = {
      prefix,
      clusterCIDR: theNet.block.clusterCIDR,
      serviceCIDR: theNet.block.serviceCIDR,
      ...(options.etcdHeartbeatMs !== undefined ? { etcdHeartbeatMs: options.etcdHeartbeatMs } : {}),
      ...(options.etcdElectionTimeoutMs !== undefined ? { etcdElectionTimeoutMs: options.etcdElectionTimeoutMs } : {}),
      ...(options.masterArgs ? { masterArgs: options.masterArgs } : {}),
      startTimeoutMs,
    };
    // The README's three commands: the first master makes the cluster (`--cluster-init`), each
    // other joins through the one before it (etcd adds one member at a time).
    const starting: Promise<MasterHost>[] = [];
    for (const h of masterHosts) {
      const previous = starting.at(-1);
      starting.push(startMasterHost(h, { ...common, ...(previous ? { joinThrough: previous, first: starting[0]! } : {}) }));
    }
    const started = await Promise.allSettled(starting);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    masters.push(...started.map((s) => (s as PromiseFulfilledResult<MasterHost>).value));
    say(`fault cluster ${prefix}: ${masters.length} masters ready`);

    const { join: joinAddrs, token } = await joinLine(masters[0]!.kubeconfig, masterCount, startTimeoutMs);
    const nodeHosts = hosts.filter((h) => h.kind === 'node');
    const joined = await Promise.allSettled(
      nodeHosts.map((h) => startNodeHost(h, { prefix, join: joinAddrs, token, startTimeoutMs, ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}) })),
    );
    for (const s of joined) if (s.status === 'rejected') throw s.reason;
    nodes.push(...joined.map((s) => (s as PromiseFulfilledResult<NodeHost>).value));

    const api = await Promise.all(masters.map((m) => apiClient(m.kubeconfig)));
    const active = new Set<ActiveFault>();
    const ctx: FaultContext = { log, network, hosts, rootIP: theNet.rootIP, restartTimeoutMs: options.restartTimeoutMs ?? 30_000, active };
    const faults = faultInjectors(ctx);

    const healthy = async (): Promise<{ ok: boolean; problems: string[] }> => {
      const problems: string[] = [];
      for (const m of masters) if (m.master.running && !m.etcd.running) problems.push(`${m.etcd.name} is not running`);
      for (const [i, client] of api.entries()) {
        const r = await client.request('GET', '/api/v1/namespaces/kube-system', undefined, 3_000).catch((err: unknown) => ({ status: 0, body: firstLine(err) }));
        if (r.status !== 200) problems.push(`master@${masters[i]!.host.name}: GET namespace ${r.status} ${typeof r.body === 'string' ? r.body : ''}`);
      }
      const list = await api[0]!.request('GET', '/api/v1/nodes', undefined, 3_000).catch(() => undefined);
      const items = (list?.body as { items?: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] } | undefined)?.items ?? [];
      for (const n of nodes) {
        const node = items.find((i) => i.metadata.name === n.nodeName);
        const ready = node?.status?.conditions?.find((c) => c.type === 'Ready')?.status;
        if (ready !== 'True') problems.push(`node ${n.nodeName} Ready=${ready ?? 'unknown'}`);
      }
      return { ok: problems.length === 0, problems };
    };

    const healAll = async (timeoutMs = 60_000): Promise<void> => {
      const byKind = (kinds: string[]) => [...active].filter((f) => kinds.includes(f.record.kind));
      await Promise.all(byKind(['isolate', 'split', 'loss', 'latency']).map((f) => f.heal()));
      await network!.clear();
      await Promise.all(byKind(['pause']).map((f) => f.heal()));
      await Promise.all(byKind(['kill']).map((f) => f.heal()));
      await Promise.all([...active].map((f) => f.heal()));
      for (const p of processes()) if (p.isPaused) p.resume();
      const stopped = processes().filter((p) => !p.running);
      // Masters (each starts its etcd member) before the nodes that join them.
      for (const role of ['master', 'etcd', 'node']) {
        await Promise.all(
          stopped
            .filter((p) => p.role === role)
            .map(async (p) => {
              say(`heal-all: starting ${p.name} (not running)`);
              p.reapGroups();
              await p.start(timeoutMs);
            }),
        );
      }
      let last: string[] = [];
      await waitUntil(
        async () => {
          const h = await healthy();
          last = h.problems;
          return h.ok;
        },
        timeoutMs,
        () => `cluster not healthy after heal-all: ${last.join('; ')}`,
      );
    };

    const cluster: FaultCluster = {
      dir,
      net: theNet,
      hosts,
      masters,
      nodes,
      api,
      kubectl: (i = 0) => kubectlFor(masters[i]!.kubeconfig, dir),
      processes,
      faults,
      log,
      network,
      active,
      healAll,
      healthy,
      nemesis: (opts) => runNemesis(cluster, opts),
      close,
    };
    const netem = await network.netemSupport();
    const latency = await network.latencySupport();
    const without = `loss by nft, ${latency.available ? `latency by ${latency.by}` : `latency faults skipped (${latency.reason})`}`;
    say(`fault cluster ${prefix}: ${nodes.length} nodes joined; ${netem.available ? 'tc netem available' : `${netem.reason}: ${without}`}`);
    await waitUntil(
      async () => (await healthy()).ok,
      startTimeoutMs,
      () => 'cluster not healthy after start',
    );
    return cluster;
  } catch (err) {
    const tails = processes()
      .filter((p) => p.text)
      .map((p) => `--- ${p.name} ---\n${p.text.slice(-1500)}`)
      .join('\n');
    await close();
    throw new Error(`fault cluster did not start: ${firstLine(err)}\n${tails}`, { cause: err });
  }
}

/** `kactus token create` through a master, retried until the join line names every master. */
async function joinLine(kubeconfig: string, masters: number, timeoutMs: number): Promise<{ join: string; token: string }> {
  let found: { join: string; token: string } | undefined;
  let last = '';
  await waitUntil(
    async () => {
      const r = await run(process.execPath, [kactusBin, 'token', 'create', '--kubeconfig', kubeconfig]);
      last = r.stdout + r.stderr;
      const joinAddrs = /--join (\S+)/.exec(r.stdout)?.[1];
      const token = /--token (\S+)/.exec(r.stdout)?.[1];
      if (r.code !== 0 || !joinAddrs || !token || joinAddrs.split(',').length < masters) return false;
      found = { join: joinAddrs, token };
      return true;
    },
    timeoutMs,
    () => `no join line naming ${masters} masters: ${last}`,
  );
  return found!;
}
