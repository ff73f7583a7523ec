/**
 * A node host: one `kactus node` daemon on the process runtime (pods are host processes inside
 * the host's namespace; no Docker needed), joined with the line `kactus token create` printed.
 * The daemon's pods detach from it (as containers outlive a kubelet), so closing the host also
 * kills every process whose working directory is a sandbox under its data dir.
 */
import { join } from 'node:path';
import { kactusBin } from '../../e2e/harness.ts';
import { podProcesses } from '../../e2e/heal-cluster.ts';
import { HostProcess, type FaultTarget } from './host-process.ts';
import { NODE_MESH_PORT, type FaultHost } from './hosts.ts';

export interface NodeHostOptions {
  prefix: string;
  /** Master multiaddrs, comma-separated, as the join line names them. */
  join: string;
  token: string;
  /** Extra `kactus node` flags. */
  nodeArgs?: readonly string[];
  startTimeoutMs?: number;
}

export interface NodeHost {
  host: FaultHost;
  processes: FaultTarget[];
  daemon: HostProcess;
  /** The Node's name in the API. */
  nodeName: string;
  dataDir: string;
}

/** Kills the pod processes a node's daemon left (by PID, found by their sandbox working directory). */
export async function killPodProcesses(nodeName: string, dataDir: string): Promise<number> {
  const found = await podProcesses([{ name: nodeName, dataDir }]);
  for (const { pid } of found) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return found.length;
}

/** Starts the daemon and resolves once it has joined. */
export async function startNodeHost(host: FaultHost, opts: NodeHostOptions): Promise<NodeHost> {
  const nodeName = `${opts.prefix}-${host.name}`;
  const dataDir = join(host.dir, 'node');
  // prettier-ignore
  const args = [
    kactusBin, 'node', '--data-dir', dataDir, '--join', opts.join, '--token', opts.token, '--name', nodeName,
    '--runtime', 'process', '--node-ip', host.ip, '--listen', `/ip4/${host.ip}/tcp/${NODE_MESH_PORT}`,
    ...(opts.nodeArgs ?? []),
  ];
  const daemon = new HostProcess({
    name: `node@${host.name}`,
    role: 'node',
    host: host.name,
    netns: host.netns,
    command: process.execPath,
    args,
    logFile: join(host.dir, 'node.log'),
    ready: async (proc, timeoutMs) => void (await proc.waitFor(new RegExp(`kactus: node ${nodeName} joined`), timeoutMs)),
    cleanup: async () => void (await killPodProcesses(nodeName, dataDir)),
  });
  host.processes.push(daemon);
  await daemon.start(opts.startTimeoutMs ?? 60_000);
  return { host, processes: [daemon], daemon, nodeName, dataDir };
}
