/**
 * A master process (`kactus master`, and the master half of `kactus up`): the API server, the
 * libp2p mesh host with the join protocol and the node gateway, and leader election. Every
 * master serves the API and the gateway; only the leader — holder of the Lease
 * `kube-system/kactus-controller-manager` — runs the scheduler and the node controller.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { NodeController } from '../actors/node/controller.ts';
import { DEFAULT_NODE_MONITOR_GRACE_PERIOD_SECONDS, DEFAULT_POD_EVICTION_TIMEOUT_SECONDS } from '../actors/node/fencing.ts';
import { machineCatalogue, machineDefinition } from '../actors/catalogue.ts';
import { InspectionBus } from '../actors/inspection.ts';
import { CidrSet } from '../actors/nodeipam/cidr-set.ts';
import { DEFAULT_POD_NETWORK, type PodNetworkConfig } from '../actors/nodeipam/config.ts';
import { startApiServer, type ApiServer, type EventStreamOptions, type MasterJoinSource } from '../apiserver/server.ts';
import { TransitionLogWriter, type TransitionLogOptions } from '../registry/transition-log/writer.ts';
import { HistorySweeper } from '../registry/transition-log/sweeper.ts';
import { serviceRanges } from '../registry/allocators/ranges.ts';
import { PodMetricsStore } from '../metrics/pod-metrics-store.ts';
import { createMeshHost, type MeshHost } from '../net/host.ts';
import { serveJoin } from '../net/join.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import type { Store } from '../store/types.ts';
import type { Controller, ControllerFactory } from '../actors/controller-kit/controller.ts';
import { fencedStore, type FenceStats } from '../store/fenced.ts';
import { CONTROLLERS } from './controllers.ts';
import { EventRecorder } from '../registry/event-recorder.ts';
import { NodeGateway } from './gateway.ts';
import { ClusterJoinAuthority, createJoinToken, type JoinTokenResult } from './join-authority.ts';
import { publishMeshAddresses } from './mesh-directory.ts';
import { meshLogSource } from './pod-logs.ts';
import { meshExecSource } from './pod-exec.ts';
import { meshAttachSource } from './pod-attach.ts';
import { meshPortForwardSource } from './pod-portforward.ts';
import { DEFAULT_MESH_LISTEN, saveMeshListen, savedMeshListen } from './mesh-listen.ts';
import { LeaderElector } from './leader-election.ts';
import { ApiEndpointLease, advertisedEndpoint } from './api-endpoints.ts';
import type { ServiceAccountTokenIssuer } from '../api/service-account-token.ts';
import { NodeGraph } from '../registry/authorization/node-graph.ts';
import { NodeAuthorizer } from '../registry/authorization/node.ts';
import { authorizerChain } from '../registry/authorization/types.ts';
import type { AuditSink } from '../apiserver/audit/log-writer.ts';
import { reconcileBootstrapPolicy, startRbac, type Rbac } from '../registry/authorization/rbac/index.ts';

/** The controller-manager Lease every master competes for (DESIGN.md §7). */
export const LEADER_LEASE = { namespace: 'kube-system', name: 'kactus-controller-manager' } as const;

export interface MasterOptions {
  store: Store;
  /** PKI, kubeconfig material and the mesh peer key (`DIR/mesh/peer-key`) live here. */
  dataDir: string;
  /** API server address (default 127.0.0.1). */
  host?: string;
  /** API server port; 0 picks one. */
  port: number;
  /** Holder identity in the leader Lease; default the host name. */
  name?: string;
  /** Mesh listen multiaddrs; default the saved ones, else `meshListenDefault`. */
  meshListen?: string[];
  /** Where the mesh listens when no `meshListen` is given and none is saved (default `/ip4/127.0.0.1/tcp/0`; `--advertise-address` makes it that address). */
  meshListenDefault?: string[];
  /** No heartbeat for this long: Node Ready Unknown (Kubernetes' node-monitor-grace-period: 40; kactus 4, src/actors/node/fencing.ts). */
  nodeMonitorGracePeriodSeconds?: number;
  /** Unreachable this much longer: its pods Failed (Kubernetes' pod-eviction-timeout: 300; kactus 3). */
  podEvictionTimeoutSeconds?: number;
  /** Leader Lease duration (default 1 s; Kubernetes: 15): how long a dead leader's silence lasts before another takes over. */
  leaseDurationSeconds?: number;
  /** Time between leader Lease tries and renewals (default 250 ms; client-go: 2 s). */
  leaseRetryPeriodMs?: number;
  /** How long a leader cut off from the store keeps leading (default 10 s); a deposed one stops at once. */
  leaseRenewDeadlineMs?: number;
  /** `--horizontal-pod-autoscaler-sync-period` (default 15 s, as Kubernetes'). */
  horizontalPodAutoscalerSyncPeriodMs?: number;
  /** The leader's controllers (default CONTROLLERS, controllers.ts); tests add probes. */
  controllers?: readonly (readonly [string, ControllerFactory])[];
  /** Pod network: the cluster CIDR cut into one block per node (default 10.244.0.0/16 in /24s). */
  podNetwork?: PodNetworkConfig;
  /** Period of the full `pods.sync` to each node (default 30 s). Tests shorten it. */
  podSyncIntervalMs?: number;
  /** `--service-cluster-ip-range`: the IPv4 CIDR Services get ClusterIPs from (default 10.96.0.0/12). */
  serviceClusterIPRange?: string;
  /** `--service-node-port-range`: NodePort and LoadBalancer Services' node ports (default 30000-32767). */
  serviceNodePortRange?: string;
  /** The transition log (the event stream's and the actors' history): bounds and the deleted objects' retention. */
  transitionLog?: Pick<TransitionLogOptions, 'perActor' | 'perObject' | 'maxPending'> & {
    /** How long an object's history outlives the object (default 10 min). */
    retentionMs?: number;
    /** Time between the leader's sweeps of deleted objects' histories (default 60 s). */
    sweepIntervalMs?: number;
  };
  /** Mints ServiceAccount tokens for pods' projected volumes (nodes ask through the gateway); default: the API server's issuer. */
  tokenIssuer?: ServiceAccountTokenIssuer;
  /** `/kactus/v1/events` tuning (buffer bound per client, ring, heartbeat). */
  eventStream?: EventStreamOptions;
  /**
   * Kubernetes' ServiceAccount admission (default true): pods run as `default` unless they name an
   * account, the account must exist, and they get the token volume `kube-api-access-*`.
   */
  serviceAccountAdmission?: boolean;
  /** The cluster DNS domain, for the serving certificate's `kubernetes.default.svc.<domain>` (default cluster.local). */
  clusterDomain?: string;
  /** The audit log (`--audit-log-path`): one event per API request; the caller opens and closes it. */
  audit?: AuditSink;
  /** Masters joining this one's etcd cluster (`kactus master --server`; src/master/etcd/join-service.ts). */
  masterJoin?: MasterJoinSource;
  logger?: Logger;
}

export interface Master {
  api: ApiServer;
  mesh: MeshHost;
  /** This master's mesh addresses, each ending in /p2p/<peer id>: what `--join` takes. */
  meshAddrs: string[];
  gateway: NodeGateway;
  /** Pods → nodes and what they use: the Node authorizer's graph, and the watch channel's scope. */
  nodeGraph: NodeGraph;
  /** The Node authorizer over `nodeGraph` (first in the API server's chain). */
  nodeAuthorizer: NodeAuthorizer;
  /** Appends this master's actors' transitions, its nodes' and the Events it records to the transition log. */
  transitionLog: TransitionLogWriter;
  isLeader(): boolean;
  /** The leader's writes through the fenced store: committed, fenced off (deposed), retried after a renewal. */
  leaderWrites: FenceStats;
  /** `kactus token create`: a bootstrap token and the join line naming this master's mesh addresses. */
  createJoinToken(ttlSeconds?: number): Promise<JoinTokenResult>;
  /**
   * Serve the API on `ip` too (same port) and advertise `ip` in this master's endpoint lease, so the
   * `default/kubernetes` Service leads there: `kactus up` calls it with its node's pod bridge
   * gateway, since pods cannot reach an API that listens on loopback only.
   */
  advertiseApiOn(ip: string): Promise<void>;
  /** Stops everything this master started (releasing the leader Lease); the store stays open. */
  close(): Promise<void>;
}

export async function startMaster(opts: MasterOptions): Promise<Master> {
  const name = opts.name ?? hostname();
  // Checked before anything starts: a bad --cluster-cidr is a start-up error, not a leader's log line.
  const podNetwork = opts.podNetwork ?? DEFAULT_POD_NETWORK;
  new CidrSet(podNetwork.clusterCIDR, podNetwork.nodeCIDRMaskSize);
  const log = opts.logger ?? pino({ level: 'silent' });
  const nodeLifecycle = {
    notReadyGraceMs: (opts.nodeMonitorGracePeriodSeconds ?? DEFAULT_NODE_MONITOR_GRACE_PERIOD_SECONDS) * 1000,
    podFailGraceMs: (opts.podEvictionTimeoutSeconds ?? DEFAULT_POD_EVICTION_TIMEOUT_SECONDS) * 1000,
  };
  // The mesh comes first: the API server reads pods' logs, runs their commands, attaches to them and forwards their ports over it.
  const meshDir = join(opts.dataDir, 'mesh');
  const mesh = await startMesh(meshDir, opts.meshListen, log, opts.meshListenDefault ?? DEFAULT_MESH_LISTEN);
  const gatewayRef: { current?: NodeGateway } = {};
  const nodePeer = (nodeName: string) => gatewayRef.current?.nodePeer(nodeName);
  const logs = meshLogSource(mesh, nodePeer);
  const exec = meshExecSource(mesh, nodePeer);
  const attach = meshAttachSource(mesh, nodePeer);
  const portForward = meshPortForwardSource(mesh, nodePeer);
  // Node daemons' usage samples, served as metrics.k8s.io (kubectl top) and read by the HPA.
  const metrics = new PodMetricsStore();
  // The node graph before the API server (its authorizer) and the gateway (the watch channel's scope).
  const nodeGraph = new NodeGraph(opts.store);
  const nodeAuthorizer = new NodeAuthorizer(nodeGraph);
  let api: ApiServer;
  let rbac: Rbac | undefined;
  try {
    await nodeGraph.start();
    // --authorization-mode=RBAC: its caches hold the stored policy before the first request is served.
    rbac = await startRbac(opts.store);
    const authorizer = authorizerChain(nodeAuthorizer, rbac.authorizer);
    const ranges = serviceRanges({ clusterIPRange: opts.serviceClusterIPRange, nodePortRange: opts.serviceNodePortRange });
    api = await startApiServer({
      machines: machineCatalogue,
      machineDefinition,
      store: opts.store,
      dataDir: opts.dataDir,
      host: opts.host,
      port: opts.port,
      logger: log,
      logs,
      exec,
      attach,
      portForward,
      metrics,
      serviceRanges: ranges,
      serviceAccountAdmission: opts.serviceAccountAdmission ?? true,
      // --authorization-mode=Node,RBAC; the escalation check asks the whole chain for bind/escalate, as Kubernetes.
      authorizer,
      rulesReview: rbac.rulesReview,
      admissionPlugins: [rbac.escalation(authorizer)],
      ...(opts.clusterDomain ? { clusterDomain: opts.clusterDomain } : {}),
      ...(opts.eventStream ? { eventStream: opts.eventStream } : {}),
      ...(opts.audit ? { audit: opts.audit } : {}),
      ...(opts.masterJoin ? { masterJoin: opts.masterJoin } : {}),
    });
  } catch (err) {
    nodeGraph.stop();
    rbac?.stop();
    await mesh.stop();
    throw err;
  }
  const { registry } = api;
  const rbacPolicy = rbac;
  // The transition log: every transition of this master's actors and of its nodes' pod actors, and every Event it records.
  const transitionLog = new TransitionLogWriter({ store: opts.store, ...opts.transitionLog, logger: log });
  const events = new EventRecorder({ registry, source: { component: 'kactus-master', host: name }, logger: log, onRecorded: (event) => void transitionLog.appendEvent(event) });
  const closers: (() => Promise<void> | void)[] = [() => mesh.stop(), () => nodeGraph.stop(), () => rbacPolicy.stop(), () => api.close(), () => transitionLog.close()];
  const close = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  try {
    // The bootstrap roles and bindings (kube-apiserver's rbac/bootstrap-roles post-start hook).
    const reconciled = await reconcileBootstrapPolicy(registry);
    if (reconciled.created.length || reconciled.updated.length) log.info(reconciled, 'bootstrap RBAC policy reconciled');
    closers.push(await serveJoin(mesh, new ClusterJoinAuthority({ registry, events, certificates: api.clientCertificates }), { clusterCIDR: podNetwork.clusterCIDR }));
    // This master's API address, for the leader's default/kubernetes Endpoints (kubernetes-service.ts).
    const apiEndpoint = await ApiEndpointLease.start({ store: opts.store, name, endpoint: advertisedEndpoint(opts.host ?? '127.0.0.1', api.port), logger: log });
    closers.push(() => apiEndpoint.close());
    const gateway = await NodeGateway.start({
      store: opts.store,
      registry,
      mesh,
      events,
      metrics,
      transitions: transitionLog,
      syncIntervalMs: opts.podSyncIntervalMs,
      nodeLifecycle,
      masterName: name,
      logger: log,
      tokenIssuer: opts.tokenIssuer ?? api.serviceAccountTokens,
      certificates: api.clientCertificates,
      graph: nodeGraph,
    });
    gatewayRef.current = gateway;
    closers.push(() => gateway.close());

    const bus = new InspectionBus();
    bus.subscribe((rec) => transitionLog.enqueue(rec));
    const elector = new LeaderElector({
      registry,
      ...LEADER_LEASE,
      identity: name,
      leaseDurationSeconds: opts.leaseDurationSeconds,
      retryPeriodMs: opts.leaseRetryPeriodMs,
      renewDeadlineMs: opts.leaseRenewDeadlineMs,
      onStartedLeading: () => startControllers(),
      onStoppedLeading: () => void stopControllers(),
      logger: log,
    });
    // Everything the leader's loops write goes through the fence: it commits only while this
    // master holds the Lease at the revision it last wrote (src/store/fenced.ts), so a leader
    // paused past its lease and resumed cannot act beside its successor.
    const leaderStore = fencedStore(opts.store, elector.fence());
    const leaderRegistry = registry.withStore(leaderStore);
    const leaderEvents = new EventRecorder({ registry: leaderRegistry, source: { component: 'kactus-master', host: name }, logger: log, onRecorded: (event) => void transitionLog.appendEvent(event) });
    let running: { scheduler: Scheduler; nodes: NodeController; workloads: { name: string; controller: Controller }[]; sweeper: HistorySweeper } | undefined;
    const startControllers = (): void => {
      // Deleted objects' histories go after the retention; one sweeper, the leader's.
      const sweeper = new HistorySweeper({ store: leaderStore, retentionMs: opts.transitionLog?.retentionMs, intervalMs: opts.transitionLog?.sweepIntervalMs, logger: log });
      sweeper.start();
      const scheduler = new Scheduler({ store: leaderStore, registry: leaderRegistry, events: leaderEvents, logger: log });
      const nodes = new NodeController({
        store: leaderStore,
        registry: leaderRegistry,
        events: leaderEvents,
        bus,
        ...nodeLifecycle,
        logger: log,
      });
      const deps = { store: leaderStore, registry: leaderRegistry, events: leaderEvents, bus, metrics, logger: log, now: () => new Date(), network: podNetwork, serviceRanges: registry.services.ranges, caCertPem: api.caCertPem, horizontalPodAutoscalerSyncPeriodMs: opts.horizontalPodAutoscalerSyncPeriodMs };
      const workloads = (opts.controllers ?? CONTROLLERS).map(([name, factory]) => ({ name, controller: factory(deps) }));
      running = { scheduler, nodes, workloads, sweeper };
      void Promise.all([scheduler.start(), nodes.start(), ...workloads.map((w) => w.controller.start())]).catch((err: unknown) =>
        log.error({ err }, 'controllers failed to start'),
      );
    };
    const stopControllers = async (): Promise<void> => {
      const r = running;
      running = undefined;
      for (const w of r?.workloads ?? []) await w.controller.stop();
      r?.nodes.stop();
      await r?.scheduler.stop();
      await r?.sweeper.stop();
    };
    elector.start();
    closers.push(async () => {
      await elector.stop();
      await stopControllers();
    });

    const meshAddrs = mesh.getMultiaddrs().map(String);
    await publishMeshAddresses(registry, name, meshAddrs);
    return {
      api,
      mesh,
      meshAddrs,
      gateway,
      nodeGraph,
      nodeAuthorizer,
      transitionLog,
      isLeader: () => elector.isLeader(),
      leaderWrites: leaderStore.stats,
      createJoinToken: (ttlSeconds) => createJoinToken({ registry, meshAddrs, ttlSeconds }),
      advertiseApiOn: async (ip) => {
        await api.listenAlso(ip);
        await apiEndpoint.update({ ip, port: api.port });
      },
      close: () => close(),
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The mesh host on the given addresses, else the saved ones (falling back to a new port if taken). */
async function startMesh(meshDir: string, listen: string[] | undefined, log: Logger, fallback: string[]): Promise<MeshHost> {
  if (listen) return createMeshHost({ dataDir: meshDir, listen });
  const saved = await savedMeshListen(meshDir);
  let mesh: MeshHost;
  try {
    mesh = await createMeshHost({ dataDir: meshDir, listen: saved ?? fallback });
  } catch (err) {
    if (!saved) throw err;
    log.warn({ err, saved }, 'saved mesh address unavailable; listening on a new port (nodes must re-join)');
    mesh = await createMeshHost({ dataDir: meshDir, listen: fallback });
  }
  await saveMeshListen(meshDir, mesh.getMultiaddrs().map(String));
  return mesh;
}
