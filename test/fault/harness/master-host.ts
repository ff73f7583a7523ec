/**
 * A master host: an etcd member (Debian `etcd-server`, one process) and a `kactus master` over
 * `etcd://` of every member, both listening on the host's address.
 *
 * `startMasterHost` is the one place that knows how a master host is made: when `kactus master`
 * runs its own etcd member, this function becomes one process with `--cluster-init` /
 * `--server URL --token T` and the rest of the harness (faults, nemesis, cluster) stays as is —
 * it only sees `MasterHost.processes`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { etcdBinary } from '../../support/etcd.ts';
import { kactusBin } from '../../e2e/harness.ts';
import { HostProcess } from './host-process.ts';
import { API_PORT, ETCD_CLIENT_PORT, ETCD_PEER_PORT, MASTER_MESH_PORT, waitUntil, type FaultHost } from './hosts.ts';

export interface MasterHostOptions {
  /** Every master host of the cluster, this one included, in order (the etcd initial cluster). */
  peers: readonly FaultHost[];
  /** Name prefix of the cluster (`<prefix>-m0` is the master's --name). */
  prefix: string;
  /** The EncryptionConfiguration every master shares. */
  encryptionConfig: string;
  /** etcd's `--initial-cluster-token`: unique per run. */
  etcdToken: string;
  clusterCIDR: string;
  serviceCIDR: string;
  /** Resolves once the first master serves: the others wait for it (one of them creates the cluster's identity). Absent on the first. */
  bootstrapped?: Promise<unknown>;
  /** Raft heartbeat (ms, default 100) and election timeout (ms, default 1000): etcd's defaults. */
  etcdHeartbeatMs?: number;
  etcdElectionTimeoutMs?: number;
  /** Extra `kactus master` flags (grace periods…). */
  masterArgs?: readonly string[];
  startTimeoutMs?: number;
}

export interface MasterHost {
  host: FaultHost;
  /** Every program of the host, for faults: here the etcd member and the master. */
  processes: HostProcess[];
  master: HostProcess;
  /** The etcd member, when it is a process of its own. */
  etcd?: HostProcess;
  /** `https://<ip>:6443`. */
  apiURL: string;
  /** The admin kubeconfig this master wrote (its URL is this master's). */
  kubeconfig: string;
  /** This host's etcd client URL. */
  etcdURL: string;
}

const url = (ip: string, port: number): string => `http://${ip}:${port}`;

/** Whether the etcd member at `clientURL` answers /health with a leader. */
export async function etcdMemberHealthy(clientURL: string): Promise<boolean> {
  try {
    const res = await fetch(`${clientURL}/health`, { signal: AbortSignal.timeout(1000) });
    const body: unknown = await res.json();
    return typeof body === 'object' && body !== null && 'health' in body && body.health === 'true';
  } catch {
    return false;
  }
}

/** The etcd member of a master host (not started). */
function etcdMember(host: FaultHost, opts: MasterHostOptions): HostProcess {
  const initialCluster = opts.peers.map((p) => `${p.name}=${url(p.ip, ETCD_PEER_PORT)}`).join(',');
  const client = url(host.ip, ETCD_CLIENT_PORT);
  const peer = url(host.ip, ETCD_PEER_PORT);
  // prettier-ignore
  const args = [
    '--name', host.name, '--data-dir', join(host.dir, 'etcd'),
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    // Ignored once the data dir has a WAL: a restart rejoins as the member it was.
    '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', opts.etcdToken,
    '--heartbeat-interval', String(opts.etcdHeartbeatMs ?? 100), '--election-timeout', String(opts.etcdElectionTimeoutMs ?? 1000),
    '--experimental-watch-progress-notify-interval', '500ms',
    '--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'warn',
  ];
  return new HostProcess({
    name: `etcd@${host.name}`,
    role: 'etcd',
    host: host.name,
    netns: host.netns,
    command: etcdBinary,
    args,
    logFile: join(host.dir, 'etcd.log'),
    // Healthy = this member sees a leader; a member restarted alone in a partition never is.
    ready: (proc, timeoutMs) =>
      waitUntil(
        async () => {
          if (!proc.running) throw new Error(`${proc.name} exited:\n${proc.text.slice(-3000)}`);
          return etcdMemberHealthy(client);
        },
        timeoutMs,
        () => `${proc.name} not healthy:\n${proc.text.slice(-3000)}`,
      ),
  });
}

/** `kactus master` of a master host (not started). */
function kactusMaster(host: FaultHost, opts: MasterHostOptions): HostProcess {
  // This host's member first: the client prefers it, as a master beside its own member would.
  const members = [host, ...opts.peers.filter((p) => p.name !== host.name)].map((p) => `${p.ip}:${ETCD_CLIENT_PORT}`);
  // prettier-ignore
  const args = [
    kactusBin, 'master',
    '--data-dir', join(host.dir, 'master'),
    '--store', `etcd://${members.join(',')}`,
    '--host', host.ip, '--port', String(API_PORT),
    '--mesh-listen', `/ip4/${host.ip}/tcp/${MASTER_MESH_PORT}`,
    '--name', `${opts.prefix}-${host.name}`,
    '--cluster-cidr', opts.clusterCIDR, '--service-cluster-ip-range', opts.serviceCIDR,
    '--encryption-provider-config', opts.encryptionConfig,
    ...(opts.masterArgs ?? []),
  ];
  return new HostProcess({
    name: `master@${host.name}`,
    role: 'master',
    host: host.name,
    netns: host.netns,
    command: process.execPath,
    args,
    logFile: join(host.dir, 'master.log'),
    ready: async (proc, timeoutMs) => void (await proc.waitFor(/kactus: ready/, timeoutMs)),
  });
}

/**
 * Starts the etcd member, then (once `bootstrapped` resolves) the master; resolves when the master
 * is ready. The members of a new cluster must start together: call this for every master host at
 * once, the first without `bootstrapped`, the others with the first's promise.
 */
export async function startMasterHost(host: FaultHost, opts: MasterHostOptions): Promise<MasterHost> {
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  await mkdir(join(host.dir, 'etcd'), { recursive: true, mode: 0o700 });
  const etcd = etcdMember(host, opts);
  const master = kactusMaster(host, opts);
  host.processes.push(etcd, master);
  await etcd.start(timeoutMs);
  await opts.bootstrapped;
  await master.start(timeoutMs);
  return {
    host,
    processes: [etcd, master],
    master,
    etcd,
    apiURL: `https://${host.ip}:${API_PORT}`,
    kubeconfig: join(host.dir, 'master', 'kubeconfig'),
    etcdURL: url(host.ip, ETCD_CLIENT_PORT),
  };
}
