/**
 * `kactus master`: API server, mesh gateway for node daemons, and (on the elected leader) the
 * scheduler and node controller, over any store (`embedded://DIR` or `etcd://h1:2379,...`).
 * Several masters share one etcd store; the leader holds the Lease
 * `kube-system/kactus-controller-manager` with holderIdentity = --name.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_POD_NETWORK } from '../../actors/nodeipam/config.ts';
import { ENCRYPTION_FLAG, ENCRYPTION_FLAG_HELP, describeEncryption, resolveEncryption } from '../encryption-flag.ts';
import { auditLogOptions, withAuditFlags, type AuditFlags } from '../audit-flags.ts';
import { DEFAULT_NODE_MONITOR_GRACE_PERIOD_SECONDS, DEFAULT_POD_EVICTION_TIMEOUT_SECONDS } from '../../actors/node/fencing.ts';
import { commaList, duration, integer } from '../flags.ts';
import { DEFAULT_SERVICE_CLUSTER_IP_RANGE, DEFAULT_SERVICE_NODE_PORT_RANGE, serviceClusterIPRange, serviceNodePortRange } from '../service-range-flags.ts';

interface MasterOptions extends AuditFlags {
  dataDir: string;
  port: number;
  host: string;
  store: string;
  name: string;
  nodeMonitorGracePeriod: number;
  podEvictionTimeout: number;
  horizontalPodAutoscalerSyncPeriod: number;
  clusterCidr: string;
  nodeCidrMaskSize: number;
  meshListen?: string[];
  serviceClusterIpRange: string;
  serviceNodePortRange: string;
  encryptionProviderConfig?: string;
}

export function masterCommand(): Command {
  return withAuditFlags(new Command('master'))
    .description('Serve the Kubernetes API over a store shared with other masters')
    .requiredOption('--data-dir <dir>', 'where this master keeps its PKI and kubeconfig')
    .requiredOption('--store <uri>', 'embedded://DIR or etcd://host:port[,host:port...]')
    .option('--port <port>', 'HTTPS port of the API server (0 = pick a free one)', integer, 6443)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--name <name>', 'this master\'s identity', hostname())
    .option('--node-monitor-grace-period <seconds>', 'seconds without heartbeats before a node is NotReady (Kubernetes: 40)', integer, DEFAULT_NODE_MONITOR_GRACE_PERIOD_SECONDS)
    .option('--pod-eviction-timeout <seconds>', 'seconds after NotReady before its pods are marked Failed (Kubernetes: 300)', integer, DEFAULT_POD_EVICTION_TIMEOUT_SECONDS)
    .option('--horizontal-pod-autoscaler-sync-period <duration>', 'how often each HorizontalPodAutoscaler is evaluated (Kubernetes: 15s)', duration, 15_000)
    .option('--cluster-cidr <cidr>', 'pod network of the cluster; each node gets a block of it', DEFAULT_POD_NETWORK.clusterCIDR)
    .option('--node-cidr-mask-size <bits>', 'prefix length of each node\'s pod CIDR', integer, DEFAULT_POD_NETWORK.nodeCIDRMaskSize)
    .option('--mesh-listen <multiaddrs>', 'where node daemons reach this master, comma-separated (default /ip4/127.0.0.1/tcp/0)', commaList)
    .option('--service-cluster-ip-range <cidr>', 'IPv4 CIDR Services get ClusterIPs from', serviceClusterIPRange, DEFAULT_SERVICE_CLUSTER_IP_RANGE)
    .option('--service-node-port-range <min-max>', 'ports NodePort and LoadBalancer Services get node ports from', serviceNodePortRange, DEFAULT_SERVICE_NODE_PORT_RANGE)
    .option(ENCRYPTION_FLAG, ENCRYPTION_FLAG_HELP)
    .action(async (opts: MasterOptions) => {
      // Loaded here, not at the top: client verbs must not pay for loading the API server.
      const { closeOnSignal, serve } = await import('../serve.ts');
      const log = (line: string): void => void process.stdout.write(line + '\n');
      const dataDir = resolve(opts.dataDir);
      const storeUri = opts.store;
      const encryption = await resolveEncryption(opts.encryptionProviderConfig, dataDir, storeUri);
      const serving = await serve(
        {
          dataDir,
          storeUri,
          host: opts.host,
          port: opts.port,
          name: opts.name,
          nodeMonitorGracePeriodSeconds: opts.nodeMonitorGracePeriod,
          podEvictionTimeoutSeconds: opts.podEvictionTimeout,
          horizontalPodAutoscalerSyncPeriodMs: opts.horizontalPodAutoscalerSyncPeriod,
          podNetwork: { clusterCIDR: opts.clusterCidr, nodeCIDRMaskSize: opts.nodeCidrMaskSize },
          ...(opts.meshListen ? { meshListen: opts.meshListen } : {}),
          serviceClusterIPRange: opts.serviceClusterIpRange,
          serviceNodePortRange: opts.serviceNodePortRange,
          encryption: encryption.config,
          audit: auditLogOptions(opts),
        },
        log,
      );
      log(describeEncryption(encryption));
      log(`kactus: master ${opts.name} serving; join nodes with: kactus token create`);
      log(`kactus: ready; run: export KUBECONFIG=${serving.kubeconfigPath}`);
      await closeOnSignal(serving, log);
    });
}
