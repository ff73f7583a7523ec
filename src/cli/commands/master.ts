/**
 * `kactus master`: API server, mesh gateway for node daemons, and (on the elected leader) the
 * scheduler and node controller, over any store (`embedded://DIR` or `etcd://h1:2379,...`).
 * Several masters share one etcd store; the leader holds the Lease
 * `kube-system/kactus-controller-manager` with holderIdentity = --name.
 *
 * With `--cluster-init` or `--server URL --token T` the master runs its own etcd member instead
 * of naming a store (src/master/etcd/): started before the store opens, stopped after it closes,
 * killed with the master. Three machines, three commands: an HA cluster (README "High availability").
 */
import { isIPv6 } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_POD_NETWORK } from '../../actors/nodeipam/config.ts';
import { ENCRYPTION_FLAG, ENCRYPTION_FLAG_HELP, describeEncryption, resolveEncryption, type ResolvedEncryption } from '../encryption-flag.ts';
import { storeChoice, withEtcdMemberFlags, type EtcdMemberFlags, type StoreChoice } from '../etcd-member-flags.ts';
import type { Serving } from '../serve.ts';
import type { LocalMember } from '../../master/etcd/local-member.ts';
import type { MasterJoinHandler } from '../../master/etcd/join-service.ts';
import { describeExit } from '../../master/etcd/member-process.ts';
import { auditLogOptions, withAuditFlags, type AuditFlags } from '../audit-flags.ts';
import { DEFAULT_NODE_MONITOR_GRACE_PERIOD_SECONDS, DEFAULT_POD_EVICTION_TIMEOUT_SECONDS } from '../../actors/node/fencing.ts';
import { commaList, duration, integer } from '../flags.ts';
import { DEFAULT_SERVICE_CLUSTER_IP_RANGE, DEFAULT_SERVICE_NODE_PORT_RANGE, serviceClusterIPRange, serviceNodePortRange } from '../service-range-flags.ts';

interface MasterOptions extends AuditFlags, EtcdMemberFlags {
  dataDir: string;
  port: number;
  host: string;
  name: string;
  nodeMonitorGracePeriod: number;
  podEvictionTimeout: number;
  horizontalPodAutoscalerSyncPeriod: number;
  eventStreamWorkers?: number;
  clusterCidr: string;
  nodeCidrMaskSize: number;
  meshListen?: string[];
  serviceClusterIpRange: string;
  serviceNodePortRange: string;
  encryptionProviderConfig?: string;
}

export function masterCommand(): Command {
  return withEtcdMemberFlags(withAuditFlags(new Command('master')))
    .description('Serve the Kubernetes API over a store shared with other masters')
    .requiredOption('--data-dir <dir>', 'where this master keeps its PKI and kubeconfig')
    .option('--store <uri>', 'embedded://DIR or etcd://host:port[,host:port...] (or --cluster-init / --server: a local etcd member)')
    .option('--port <port>', 'HTTPS port of the API server (0 = pick a free one)', integer, 6443)
    .option('--host <address>', 'address to listen on (default: --advertise-address with a local etcd member)', '127.0.0.1')
    .option('--name <name>', 'this master\'s identity', hostname())
    .option('--node-monitor-grace-period <seconds>', 'seconds without heartbeats before a node is NotReady (Kubernetes: 40)', integer, DEFAULT_NODE_MONITOR_GRACE_PERIOD_SECONDS)
    .option('--pod-eviction-timeout <seconds>', 'seconds after NotReady before its pods are marked Failed (Kubernetes: 300)', integer, DEFAULT_POD_EVICTION_TIMEOUT_SECONDS)
    .option('--horizontal-pod-autoscaler-sync-period <duration>', 'how often each HorizontalPodAutoscaler is evaluated (Kubernetes: 15s)', duration, 15_000)
    .option('--event-stream-workers <n>', 'threads that serve the event stream\'s WebSockets and own the API port (0 = the main thread; default: cores - 1, at least 1)', integer)
    .option('--cluster-cidr <cidr>', 'pod network of the cluster; each node gets a block of it', DEFAULT_POD_NETWORK.clusterCIDR)
    .option('--node-cidr-mask-size <bits>', 'prefix length of each node\'s pod CIDR', integer, DEFAULT_POD_NETWORK.nodeCIDRMaskSize)
    .option('--mesh-listen <multiaddrs>', 'where node daemons reach this master, comma-separated (default /ip4/127.0.0.1/tcp/0)', commaList)
    .option('--service-cluster-ip-range <cidr>', 'IPv4 CIDR Services get ClusterIPs from', serviceClusterIPRange, DEFAULT_SERVICE_CLUSTER_IP_RANGE)
    .option('--service-node-port-range <min-max>', 'ports NodePort and LoadBalancer Services get node ports from', serviceNodePortRange, DEFAULT_SERVICE_NODE_PORT_RANGE)
    .option(ENCRYPTION_FLAG, ENCRYPTION_FLAG_HELP)
    .action(async (opts: MasterOptions, cmd: Command) => {
      const choice = storeChoice(opts);
      // Loaded here, not at the top: client verbs must not pay for loading the API server.
      const { closeOnSignal, serve } = await import('../serve.ts');
      const log = (line: string): void => void process.stdout.write(line + '\n');
      const dataDir = resolve(opts.dataDir);
      const member = choice.kind === 'member' ? await startMember(opts, dataDir, choice, log) : undefined;
      try {
        const storeUri = member ? member.local.storeUri : (choice as { uri: string }).uri;
        const encryption = member ? member.encryption : await resolveEncryption(opts.encryptionProviderConfig, dataDir, storeUri);
        // With a local member the API and the mesh face the other machines, on the advertise address.
        const host = member && cmd.getOptionValueSource('host') === 'default' ? opts.advertiseAddress : opts.host;
        const serving = await serve(
          {
            dataDir,
            storeUri,
            host,
            port: opts.port,
            name: opts.name,
            nodeMonitorGracePeriodSeconds: opts.nodeMonitorGracePeriod,
            podEvictionTimeoutSeconds: opts.podEvictionTimeout,
            horizontalPodAutoscalerSyncPeriodMs: opts.horizontalPodAutoscalerSyncPeriod,
            ...(opts.eventStreamWorkers !== undefined ? { eventStreamWorkers: opts.eventStreamWorkers } : {}),
            podNetwork: { clusterCIDR: opts.clusterCidr, nodeCIDRMaskSize: opts.nodeCidrMaskSize },
            ...(opts.meshListen ? { meshListen: opts.meshListen } : {}),
            ...(member ? { meshListenDefault: [`/${isIPv6(opts.advertiseAddress) ? 'ip6' : 'ip4'}/${opts.advertiseAddress}/tcp/0`] } : {}),
            serviceClusterIPRange: opts.serviceClusterIpRange,
            serviceNodePortRange: opts.serviceNodePortRange,
            encryption: encryption.config,
            audit: auditLogOptions(opts),
            ...(member ? { masterJoin: member.joinHandler } : {}),
          },
          log,
        );
        log(describeEncryption(encryption));
        if (member) await member.announce(serving, opts.clusterInit === true);
        log(`kactus: master ${opts.name} serving; join nodes with: kactus token create`);
        log(`kactus: ready; run: export KUBECONFIG=${serving.kubeconfigPath}`);
        // etcd crashing again and again under a running master: the master cannot serve without its member (k3s exits too).
        void member?.local.ended.then(({ reason }) => {
          if (reason !== 'crashing') return;
          log('kactus: no etcd member; stopping');
          void serving.close().finally(() => process.exit(1));
        });
        await closeOnSignal(serving, log);
      } finally {
        await member?.stop(log);
      }
    });
}

/** This machine's etcd member, the join handler over its membership, and what to print once serving. */
interface RunningMember {
  local: LocalMember;
  encryption: ResolvedEncryption;
  joinHandler: MasterJoinHandler;
  stopping: boolean;
  announce(serving: Serving, clusterInit: boolean): Promise<void>;
  stop(log: (line: string) => void): Promise<void>;
}

async function startMember(opts: MasterOptions, dataDir: string, choice: Extract<StoreChoice, { kind: 'member' }>, log: (line: string) => void): Promise<RunningMember> {
  const [{ startLocalMember }, { EtcdMembership }, { masterJoinHandler }, { readEncryptionConfig }] = await Promise.all([
    import('../../master/etcd/local-member.ts'),
    import('../../master/etcd/membership.ts'),
    import('../../master/etcd/join-service.ts'),
    import('../../registry/encryption/config-file.ts'),
  ]);
  const local = await startLocalMember({
    dataDir,
    name: opts.name,
    advertise: opts.advertiseAddress,
    clientPort: opts.etcdClientPort,
    peerPort: opts.etcdPeerPort,
    extraArgs: opts.etcdArg,
    ...(choice.join ? { join: choice.join } : {}),
    ...(opts.encryptionProviderConfig ? { encryptionFlag: opts.encryptionProviderConfig } : {}),
    log,
  });
  log(`kactus: etcd member ${opts.name} ${local.started} (pid ${local.process.pid ?? '?'}): peer ${local.peerURL}, client ${local.clientEndpoint}, data ${join(dataDir, 'etcd')}`);
  const membership = new EtcdMembership(local.clientEndpoint);
  const running: RunningMember = {
    local,
    encryption: {
      config: await readEncryptionConfig(local.encryptionConfigPath),
      path: local.encryptionConfigPath,
      created: local.started === 'initialized' && opts.encryptionProviderConfig === undefined,
    },
    joinHandler: masterJoinHandler({
      membership,
      dataDir,
      encryptionConfigPath: local.encryptionConfigPath,
      clusterToken: local.clusterToken,
      ownPeerURL: local.peerURL,
      log: (msg, fields) => void process.stderr.write(JSON.stringify({ level: 30, time: Date.now(), name: 'kactus', msg, ...fields }) + '\n'),
    }),
    stopping: false,
    async announce(serving, clusterInit) {
      const { ensureClusterInitToken } = await import('../../master/etcd/init-token.ts');
      const { masterJoinCommandFor } = await import('../../master/etcd/master-token.ts');
      // The first master's own token (made once, printed at every start while it is not revoked).
      const token = clusterInit ? await ensureClusterInitToken(serving.master.api.registry, dataDir, serving.master.api.caCertPem) : undefined;
      if (token) log(`kactus: join more masters with: ${masterJoinCommandFor(serving.url, token)}`);
      else log('kactus: join more masters with a token from: kactus token create --master');
    },
    async stop(out) {
      if (running.stopping) return;
      running.stopping = true;
      membership.close();
      const exit = await local.stop();
      out(`kactus: etcd member stopped (${describeExit(exit)})`);
    },
  };
  return running;
}
