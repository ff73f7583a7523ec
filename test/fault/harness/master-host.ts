/**
 * A master host: one `kactus master` with its own etcd member (src/master/etcd/), as the README's
 * three HA commands run it — the first with `--cluster-init`, the others with `--server URL
 * --token T` read from the first's data dir. The member is the master's child: it dies with it
 * (`kill -9` of the master is also the loss of its etcd member, and the same command brings both
 * back from their data), and a SIGSTOP of the master leaves it running. Its client port is on
 * 127.0.0.1 inside the host: only its master talks to it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KACTUS_BIN, masterWithEtcdArgs } from '../../support/master-etcd.ts';
import { EtcdChild } from './etcd-child.ts';
import { HostProcess, type FaultTarget } from './host-process.ts';
import { API_PORT, ETCD_CLIENT_PORT, ETCD_PEER_PORT, MASTER_MESH_PORT, type FaultHost } from './hosts.ts';

export interface MasterHostOptions {
  /** Name prefix of the cluster (`<prefix>-m0` is the master's --name). */
  prefix: string;
  clusterCIDR: string;
  serviceCIDR: string;
  /**
   * The master this one joins through, once it serves (the previous one: etcd adds one member at
   * a time). Absent on the first, which runs `--cluster-init`.
   */
  joinThrough?: Promise<MasterHost>;
  /** The first master (it keeps the master join token in its data dir); with `joinThrough`. */
  first?: Promise<MasterHost>;
  /** Raft heartbeat and election timeout (ms); default kactus' own (50 and 500, src/master/etcd/member-process.ts). */
  etcdHeartbeatMs?: number;
  etcdElectionTimeoutMs?: number;
  /** Extra `kactus master` flags (grace periods…). */
  masterArgs?: readonly string[];
  startTimeoutMs?: number;
}

export interface MasterHost {
  host: FaultHost;
  /** Every program of the host, for faults: the master and its etcd member (the master's child). */
  processes: FaultTarget[];
  master: HostProcess;
  etcd: EtcdChild;
  /** `https://<ip>:6443`. */
  apiURL: string;
  /** The admin kubeconfig this master wrote (its URL is this master's). */
  kubeconfig: string;
  /** Its data dir (the first's holds `master-join-token`). */
  dataDir: string;
}

/** Starts the master host's `kactus master` (with its member); resolves when it is ready. */
export async function startMasterHost(host: FaultHost, opts: MasterHostOptions): Promise<MasterHost> {
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const dataDir = join(host.dir, 'master');
  const through = await opts.joinThrough;
  const first = await opts.first;
  const join_ = through && first ? { server: through.apiURL, token: (await readFile(join(first.dataDir, 'master-join-token'), 'utf8')).trim() } : { init: true };
  // prettier-ignore
  const args = masterWithEtcdArgs({
    ...join_,
    advertise: host.ip,
    dataDir,
    name: `${opts.prefix}-${host.name}`,
    port: API_PORT,
    clientPort: ETCD_CLIENT_PORT,
    peerPort: ETCD_PEER_PORT,
    // kactus' own raft timing unless the test asks for another (the product's defaults are what a fault run measures).
    etcdArgs: [
      ...(opts.etcdHeartbeatMs !== undefined ? [`heartbeat-interval=${opts.etcdHeartbeatMs}`] : []),
      ...(opts.etcdElectionTimeoutMs !== undefined ? [`election-timeout=${opts.etcdElectionTimeoutMs}`] : []),
      'experimental-watch-progress-notify-interval=500ms',
    ],
    extraArgs: [
      '--mesh-listen', `/ip4/${host.ip}/tcp/${MASTER_MESH_PORT}`,
      '--cluster-cidr', opts.clusterCIDR, '--service-cluster-ip-range', opts.serviceCIDR,
      ...(opts.masterArgs ?? []),
    ],
  });
  const master = new HostProcess({
    name: `master@${host.name}`,
    role: 'master',
    host: host.name,
    netns: host.netns,
    command: process.execPath,
    args: [KACTUS_BIN, ...args],
    logFile: join(host.dir, 'master.log'),
    ready: async (proc, ms) => void (await proc.waitFor(/kactus: ready/, ms)),
  });
  const etcd = new EtcdChild(master);
  host.processes.push(master, etcd);
  await master.start(timeoutMs);
  return { host, processes: [master, etcd], master, etcd, apiURL: `https://${host.ip}:${API_PORT}`, kubeconfig: join(dataDir, 'kubeconfig'), dataDir };
}
