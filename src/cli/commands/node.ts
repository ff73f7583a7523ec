/**
 * `kactus node`: the node daemon. Joins a master with a token and runs the pods it is assigned
 * until SIGINT/SIGTERM. On a signal the daemon leaves its containers running, as the kubelet
 * does: the next daemon on the same data dir re-adopts them.
 */
import { hostname } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { duration } from '../flags.ts';
import { podNetworkFor, podNetworkMode, type PodNetworkMode } from '../pod-network-flag.ts';

interface NodeOptions {
  dataDir: string;
  join: string[];
  token: string;
  runtime: 'docker' | 'process' | 'hollow';
  name: string;
  nodeIp: string;
  listen?: string[];
  dockerSocket: string;
  podNetwork: PodNetworkMode;
  clusterDomain: string;
  volumeSyncPeriod: number;
  metricResolution: number;
}

const RUNTIMES = ['docker', 'process', 'hollow'] as const;

function runtimeName(value: string): NodeOptions['runtime'] {
  const found = RUNTIMES.find((r) => r === value);
  if (!found) throw new InvalidArgumentError(`"${value}" is not one of ${RUNTIMES.join(', ')}`);
  return found;
}

function multiaddrList(value: string): string[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new InvalidArgumentError('at least one master multiaddr is needed');
  return list;
}

export function nodeCommand(): Command {
  return new Command('node')
    .description('Run a node daemon: join a master and run the pods it assigns')
    .requiredOption('--data-dir <dir>', 'where the node keeps its identity and pod volumes')
    .requiredOption('--join <multiaddrs>', 'master multiaddr(s), comma-separated, each ending in /p2p/<peer id>', multiaddrList)
    .requiredOption('--token <token>', 'join token (kactus token create)')
    .option('--runtime <runtime>', 'container runtime: docker, process or hollow', runtimeName, 'docker')
    .option('--name <name>', 'node name', hostname().toLowerCase())
    .option('--node-ip <address>', 'this node\'s address: InternalIP, NodePorts, the overlay\'s endpoint', '127.0.0.1')
    .option('--listen <multiaddrs>', 'mesh listen address(es), comma-separated (default: the node IP, a free port)', multiaddrList)
    .option('--docker-socket <path>', 'Docker engine socket (docker runtime)', '/var/run/docker.sock')
    .option('--pod-network <mode>', 'auto (a pod bridge, overlay, proxy and DNS with the docker runtime as root), bridge, or none', podNetworkMode, 'auto')
    .option('--cluster-domain <domain>', 'cluster DNS domain', 'cluster.local')
    .option('--volume-sync-period <duration>', 'how often ConfigMap, Secret, downwardAPI and projected volumes follow their sources', duration, 1000)
    .option('--metric-resolution <duration>', 'how often pods\' CPU and memory usage is sampled for kubectl top and the HPA (metrics-server\'s flag)', duration, 15_000)
    .action(async (opts: NodeOptions) => {
      // Loaded here, not at the top: client verbs must not pay for loading libp2p and dockerode.
      const { startNodeDaemon } = await import('../../../node-daemon/daemon.ts');
      const log = (line: string): void => void process.stdout.write(line + '\n');
      const network = podNetworkFor(opts.podNetwork, opts.runtime, log);
      const daemon = await startNodeDaemon({
        dataDir: opts.dataDir,
        join: opts.join,
        token: opts.token,
        runtime: opts.runtime,
        name: opts.name,
        nodeIP: opts.nodeIp,
        listen: opts.listen ?? [`/ip4/${opts.nodeIp}/tcp/0`],
        dockerSocket: opts.dockerSocket,
        volumeSyncPeriodMs: opts.volumeSyncPeriod,
        metricResolutionMs: opts.metricResolution,
        ...(network ? { network: { clusterDomain: opts.clusterDomain } } : {}),
        // Pods that outlive this process (kill -9, SIGSTOP) are still stopped at the fence deadline.
        fenceWatchdog: true,
        log,
      });
      log(`kactus: node ${daemon.nodeName} joined; peer ${daemon.peerId}`);
      await new Promise<void>((resolve, reject) => {
        const onSignal = (signal: NodeJS.Signals): void => {
          process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
          // A second signal while shutting down exits at once.
          process.once('SIGINT', () => process.exit(130)).once('SIGTERM', () => process.exit(143));
          log(`kactus: ${signal} received, stopping node ${daemon.nodeName}`);
          daemon.close({ keepContainers: true }).then(() => {
            log('kactus: stopped');
            resolve();
          }, reject);
        };
        process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
      });
    });
}
