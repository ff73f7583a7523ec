/**
 * `kactus up`: the one-machine cluster. One process runs the embedded store, a master (API
 * server, scheduler, node controller, mesh gateway) and a node daemon that joins that master over
 * libp2p on loopback, exactly as a node on another machine would; `--nodes N` adds N simulated
 * (hollow) nodes. Restarting from the same data dir keeps all state and re-adopts running
 * containers.
 */
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import type { Registry } from '../../registry/registry.ts';
import { DOCKER_SOCKET, dockerAnswers } from '../docker-ping.ts';
import { DEFAULT_POD_NETWORK } from '../../actors/nodeipam/config.ts';
import { ENCRYPTION_FLAG, ENCRYPTION_FLAG_HELP, describeEncryption, resolveEncryption } from '../encryption-flag.ts';
import { auditLogOptions, withAuditFlags, type AuditFlags } from '../audit-flags.ts';
import { DEFAULT_NODE_MONITOR_GRACE_PERIOD_SECONDS, DEFAULT_POD_EVICTION_TIMEOUT_SECONDS } from '../../actors/node/fencing.ts';
import { commaList, duration, integer } from '../flags.ts';
import { podNetworkFor, podNetworkMode, type PodNetworkMode } from '../pod-network-flag.ts';
import { serveApiToPods } from '../in-cluster-api.ts';
import { DEFAULT_SERVICE_CLUSTER_IP_RANGE, DEFAULT_SERVICE_NODE_PORT_RANGE, serviceClusterIPRange, serviceNodePortRange } from '../service-range-flags.ts';

type RuntimeFlag = 'docker' | 'process' | 'hollow';

interface UpOptions extends AuditFlags {
  dataDir: string;
  port: number;
  host: string;
  nodes: number;
  runtime?: RuntimeFlag;
  nodeName: string;
  nodeMonitorGracePeriod: number;
  podEvictionTimeout: number;
  horizontalPodAutoscalerSyncPeriod: number;
  eventStreamWorkers?: number;
  clusterCidr: string;
  nodeCidrMaskSize: number;
  meshListen?: string[];
  podNetwork: PodNetworkMode;
  clusterDomain: string;
  serviceClusterIpRange: string;
  serviceNodePortRange: string;
  encryptionProviderConfig?: string;
  volumeSyncPeriod: number;
  metricResolution: number;
}

export function upCommand(): Command {
  return withAuditFlags(new Command('up'))
    .description('Run a one-machine cluster (embedded store, master and a node daemon) from a data dir')
    .option('--data-dir <dir>', 'where state, PKI and the kubeconfig live', join(homedir(), '.kactus'))
    .option('--port <port>', 'HTTPS port of the API server (0 = pick a free one)', integer, 6443)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--node-name <name>', 'name of the local node', hostname().toLowerCase())
    .option('--nodes <n>', 'simulated (hollow) nodes to add', integer, 0)
    .addOption(new Option('--runtime <runtime>', 'container runtime of the local node').choices(['docker', 'process', 'hollow']))
    .option('--node-monitor-grace-period <seconds>', 'seconds without heartbeats before a node is NotReady (Kubernetes: 40)', integer, DEFAULT_NODE_MONITOR_GRACE_PERIOD_SECONDS)
    .option('--pod-eviction-timeout <seconds>', 'seconds after NotReady before its pods are marked Failed (Kubernetes: 300)', integer, DEFAULT_POD_EVICTION_TIMEOUT_SECONDS)
    .option('--horizontal-pod-autoscaler-sync-period <duration>', 'how often each HorizontalPodAutoscaler is evaluated (Kubernetes: 15s)', duration, 15_000)
    .option('--event-stream-workers <n>', 'threads that serve the event stream\'s WebSockets and own the API port (0 = the main thread; default: cores - 1, at least 1)', integer)
    .option('--cluster-cidr <cidr>', 'pod network of the cluster; each node gets a block of it', DEFAULT_POD_NETWORK.clusterCIDR)
    .option('--node-cidr-mask-size <bits>', 'prefix length of each node\'s pod CIDR', integer, DEFAULT_POD_NETWORK.nodeCIDRMaskSize)
    .option('--mesh-listen <multiaddrs>', 'where node daemons reach this master, comma-separated (default /ip4/127.0.0.1/tcp/0)', commaList)
    .option('--pod-network <mode>', 'auto (a pod bridge, proxy and DNS with the docker runtime as root), bridge, or none', podNetworkMode, 'auto')
    .option('--cluster-domain <domain>', 'cluster DNS domain', 'cluster.local')
    .option('--volume-sync-period <duration>', 'how often ConfigMap, Secret, downwardAPI and projected volumes follow their sources', duration, 1000)
    .option('--metric-resolution <duration>', 'how often pods\' CPU and memory usage is sampled for kubectl top and the HPA (metrics-server\'s flag)', duration, 15_000)
    .option('--service-cluster-ip-range <cidr>', 'IPv4 CIDR Services get ClusterIPs from', serviceClusterIPRange, DEFAULT_SERVICE_CLUSTER_IP_RANGE)
    .option('--service-node-port-range <min-max>', 'ports NodePort and LoadBalancer Services get node ports from', serviceNodePortRange, DEFAULT_SERVICE_NODE_PORT_RANGE)
    .option(ENCRYPTION_FLAG, ENCRYPTION_FLAG_HELP)
    .action(async (opts: UpOptions) => {
      // Loaded here, not at the top: client verbs must not pay for loading the server side.
      const { closeOnSignal, serve } = await import('../serve.ts');
      const { startNodeDaemon } = await import('../../../node-daemon/daemon.ts');
      const log = (line: string): void => void process.stdout.write(line + '\n');
      const dataDir = resolve(opts.dataDir);
      const storeUri = `embedded://${join(dataDir, 'store')}`;
      const encryption = await resolveEncryption(opts.encryptionProviderConfig, dataDir, storeUri);
      const serving = await serve(
        {
          dataDir,
          storeUri,
          host: opts.host,
          port: opts.port,
          nodeMonitorGracePeriodSeconds: opts.nodeMonitorGracePeriod,
          podEvictionTimeoutSeconds: opts.podEvictionTimeout,
          horizontalPodAutoscalerSyncPeriodMs: opts.horizontalPodAutoscalerSyncPeriod,
          ...(opts.eventStreamWorkers !== undefined ? { eventStreamWorkers: opts.eventStreamWorkers } : {}),
          podNetwork: { clusterCIDR: opts.clusterCidr, nodeCIDRMaskSize: opts.nodeCidrMaskSize },
          ...(opts.meshListen ? { meshListen: opts.meshListen } : {}),
          serviceClusterIPRange: opts.serviceClusterIpRange,
          serviceNodePortRange: opts.serviceNodePortRange,
          clusterDomain: opts.clusterDomain,
          encryption: encryption.config,
          audit: auditLogOptions(opts),
        },
        log,
      );
      log(describeEncryption(encryption));
      try {
        const runtime = await chooseRuntime(opts.runtime, log);
        const network = podNetworkFor(opts.podNetwork, runtime, log);
        const { token } = await serving.master.createJoinToken(3600);
        // Pods reach the API through the kubernetes Service: serve it where they can (in-cluster-api.ts).
        const onPodNetworkUp = serveApiToPods(serving.master, opts.host, log);
        const node = await startNodeDaemon({
          dataDir: join(dataDir, 'node'),
          join: serving.master.meshAddrs,
          token,
          runtime,
          name: opts.nodeName,
          volumeSyncPeriodMs: opts.volumeSyncPeriod,
          metricResolutionMs: opts.metricResolution,
          ...(network ? { network: { clusterDomain: opts.clusterDomain, ...(onPodNetworkUp ? { onPodNetworkUp } : {}) } } : {}),
          log,
        });
        // Containers outlive the daemon, as with a kubelet: a restart re-adopts them.
        serving.onClose(() => node.close({ keepContainers: true }));
        log(`kactus: node ${node.nodeName} joined; runtime ${runtime}`);
        // "ready" means pods can run: the local node is Ready (its pod network made, when it has one).
        if (!(await nodeReady(serving.master.api.registry, node.nodeName, 60_000))) log(`kactus: warning: node ${node.nodeName} is not Ready yet`);
        if (opts.nodes > 0) {
          const { startHollowNodes } = await import('../../../node-daemon/hollow-nodes.ts');
          const hollow = await startHollowNodes(opts.nodes, { dataDir: join(dataDir, 'hollow'), join: serving.master.meshAddrs, token, log });
          serving.onClose(() => hollow.close());
          log(`kactus: ${opts.nodes} hollow node(s) joined`);
        }
      } catch (err) {
        await serving.close();
        throw err;
      }
      log(`kactus: ready; run: export KUBECONFIG=${serving.kubeconfigPath}`);
      await closeOnSignal(serving, log);
    });
}

/** Polls the Node's Ready condition until it is True (true) or the deadline passes (false). */
async function nodeReady(registry: Registry, nodeName: string, timeoutMs: number): Promise<boolean> {
  const nodes = findKind('v1', 'Node') as ResourceInfo;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const node = (await registry.get(nodes, undefined, nodeName).catch(() => undefined)) as { status?: { conditions?: { type: string; status: string }[] } } | undefined;
    if (node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** The flag, else docker when its socket answers a ping, else process; says which and why. */
async function chooseRuntime(flag: RuntimeFlag | undefined, log: (line: string) => void): Promise<RuntimeFlag> {
  if (flag) {
    log(`kactus: container runtime: ${flag} (from --runtime)`);
    return flag;
  }
  if (await dockerAnswers()) {
    log(`kactus: container runtime: docker (${DOCKER_SOCKET} answered /_ping)`);
    return 'docker';
  }
  log(`kactus: container runtime: process (${DOCKER_SOCKET} did not answer /_ping); containers run as host processes without isolation`);
  return 'process';
}
