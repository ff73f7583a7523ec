/**
 * The node daemon (`kactus node`): joins a master over the mesh with a token, runs one pod actor
 * per pod the master assigns, reports pod statuses and Events, and heartbeats the node's status.
 *
 * Flow: mesh host (identity in the data dir) → runtime → logs, exec, attach and port-forward
 * servers (pod-streams.ts) → pods the runtime still holds from a
 * previous daemon (adopted when re-assigned, removed when the first `pods.sync` does not list
 * them) → join → actor + heartbeat + watch channels (MasterLink reconnects them) → heartbeat
 * timer, volume sync timer.
 *
 * The watch channel always carries ConfigMaps, Secrets, PersistentVolumeClaims,
 * PersistentVolumes, Services and Nodes (pods' volumes and env, the PVs' node affinity); with a
 * pod network, EndpointSlices too. ServiceAccount tokens for projected volumes are asked of the
 * master on the actor channel (volumes/token-client.ts).
 */
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { createActor } from 'xstate';
import { NodeMetricsReporter } from '../src/metrics/collector.ts';
import { ExecError, serveExec } from '../src/net/exec.ts';
import { LogsError, serveLogs } from '../src/net/logs.ts';
import { serveAttach } from '../src/net/attach.ts';
import { servePortForward } from '../src/net/portforward.ts';
import { HEARTBEAT_INTERVAL_MS } from '../src/net/protocols.ts';
import { checkMessage, type ExecRequest, type LogsRequest, type NodeHeartbeat } from '../src/net/messages.ts';
import { createMeshHost, type MeshHost } from '../src/net/host.ts';
import type { Envelope } from '../src/net/codec.ts';
import { ClusterCache } from './cluster-cache.ts';
import { PodConfigs } from './pod-configs.ts';
import { TokenClient } from './volumes/token-client.ts';
import { TokenManager } from './volumes/token-manager.ts';
import { VolumeManager } from './volumes/volume-manager.ts';
import type { WatchableResource } from '../src/net/messages.ts';
import { LocalVolumes, localVolumesDir } from './storage/local-volumes.ts';
import { checkMasterAddresses, MasterLink } from './master-link.ts';
import { dataplaneParts } from './network/dataplane.ts';
import { NodeNetwork } from './network/node-network.ts';
import { HOLLOW_CAPACITY, hostCapacity, nodeAddresses, nodeInfo, runtimeAnswers } from './node-info.ts';
import { Outbox } from './outbox.ts';
import { TransitionOutbox } from './transition-outbox.ts';
import { InspectionBus } from '../src/actors/inspection.ts';
import { PodWorkers } from './pod-workers.ts';
import { selfFenceMachine } from './self-fence.ts';
import { FenceWatchdog } from './fence/launcher.ts';
import { connectPodPort, openContainerAttach } from './pod-streams.ts';
import { openRuntime } from './runtime/open.ts';
import { ContainerNotFoundError, ContainerNotRunningError, ExecNotSupportedError } from '../src/runtime/errors.ts';
import type { ContainerRuntime, ExecProcess, RuntimeName } from '../src/runtime/types.ts';
import { errorMessage } from '../src/api/error-message.ts';
import { CertificateClient, NodeCredentialFiles, renewIfDue } from './credentials.ts';

/** Default period of the certificate renewal check. */
export const CERTIFICATE_CHECK_INTERVAL_MS = 60 * 60 * 1000;

const DOCKER_SOCKET = '/var/run/docker.sock';

/** The node's address when none is given: everything stays on loopback. */
export const NODE_IP = '127.0.0.1';

/** The node's pod network (Docker runtime only): pod bridge, overlay, service proxy and DNS. */
export interface NodeDaemonNetworkOptions {
  /** VXLAN to other nodes; default: on unless the node's address is loopback. */
  overlay?: boolean;
  /** Cluster DNS domain (default cluster.local). */
  clusterDomain?: string;
  /** Port of the node's DNS server on the pod bridge's gateway (default 53). */
  dnsPort?: number;
  /**
   * The pod network is up, its bridge's gateway (the node's own address on it) is `gatewayIP`:
   * `kactus up` serves the API there too, for pods.
   */
  onPodNetworkUp?(gatewayIP: string): void;
}

export interface NodeDaemonOptions {
  dataDir: string;
  /** Master multiaddrs (ending in /p2p/<peer id>); the first that answers is joined. */
  join: string[];
  token: string;
  /** A runtime instance (the daemon then does not close it) or which one to open. */
  runtime: ContainerRuntime | RuntimeName;
  /** Node name; default: the host name. */
  name?: string;
  /** The node's address (InternalIP, pods' hostIP, NodePorts, VXLAN); default 127.0.0.1. */
  nodeIP?: string;
  /** Docker engine socket for the docker runtime (default /var/run/docker.sock). */
  dockerSocket?: string;
  /** Give pods the cluster network (Docker runtime): without it, pods use Docker's default bridge. */
  network?: NodeDaemonNetworkOptions;
  /** Mesh listen addresses; default loopback with a picked port. `[]` listens nowhere (dial only). */
  listen?: string[];
  heartbeatIntervalMs?: number;
  /** Capacity to report; default: the host's (hollow: 4 CPUs, 16Gi, 110 pods). */
  capacity?: Record<string, string>;
  /** `containerRuntimeVersion` to report; default: asked of the engine (docker) or `<runtime>://unknown`. */
  runtimeVersion?: string;
  /** How often content volumes (ConfigMap, Secret, downwardAPI, projected) are synced with their sources (default 1000 ms). */
  volumeSyncPeriodMs?: number;
  /** How often every pod's usage is sampled for metrics.k8s.io and the HPA (metrics-server's `--metric-resolution`; default 15 s). */
  metricResolutionMs?: number;
  /** One line per noteworthy failure (reconnects, runtime errors). */
  log?: (line: string) => void;
  /** How often the node checks whether its client certificate is due for renewal (default hourly). */
  certificateCheckIntervalMs?: number;
  /**
   * Run a fence watchdog (fence/): a process of its own that stops this node's pods when no
   * renewal came in time even if this daemon is dead or frozen. Only with a runtime opened by name
   * (docker or process; hollow runs nothing). `kactus node` turns it on; `kactus up` (one node: no
   * other can run a duplicate) and in-process tests leave it off.
   */
  fenceWatchdog?: boolean;
}

/** Default period of the content volumes' sync (the kubelet's is about a minute; here a second). */
export const VOLUME_SYNC_PERIOD_MS = 1000;

/** What the node watches for its pods' volumes and env, whatever its network. */
const POD_SOURCES: readonly WatchableResource[] = ['configmaps', 'secrets', 'persistentvolumeclaims', 'persistentvolumes', 'services', 'nodes'];
/** Changes of these wake pods waiting on one (FailedMount, CreateContainerConfigError). */
const WAKING: ReadonlySet<WatchableResource> = new Set(['configmaps', 'secrets', 'persistentvolumeclaims', 'persistentvolumes', 'services']);

export interface NodeDaemon {
  readonly nodeName: string;
  readonly peerId: string;
  readonly mesh: MeshHost;
  readonly runtime: ContainerRuntime;
  /** The node's API credentials (`<data dir>/pki`: its key, the certificate the master signed, the CA). */
  readonly credentials: NodeCredentialFiles;
  /** Stop. `keepContainers` leaves pods running for the next daemon on this data dir to adopt. */
  close(opts?: { keepContainers?: boolean }): Promise<void>;
}

/**
 * What the runtime labels this daemon's containers with (`io.kactus.node`): the node name plus
 * the tail of the data dir's peer id. Two daemons with the same node name on one engine (a test
 * cluster beside a user's, both named after the host) never adopt or remove each other's
 * containers; the same data dir always finds its own again.
 */
export function runtimeScope(nodeName: string, peerId: string): string {
  return `${nodeName}-${peerId.slice(-8)}`;
}

async function openNamedRuntime(
  name: RuntimeName,
  node: string,
  dataDir: string,
  socketPath: string,
  onError: (err: unknown) => void,
): Promise<{ runtime: ContainerRuntime; version: string; docker?: Docker }> {
  if (name !== 'docker') return { runtime: await openRuntime({ runtime: name, node, dataDir, onError }), version: `${name}://unknown` };
  const docker = new Docker({ socketPath });
  const runtime = await openRuntime({ runtime: 'docker', node, dataDir, docker, onError });
  const version = await docker.version().then(
    (v) => `docker://${v.Version}`,
    () => 'docker://unknown',
  );
  return { runtime, version, docker };
}

export async function startNodeDaemon(opts: NodeDaemonOptions): Promise<NodeDaemon> {
  const dataDir = resolve(opts.dataDir);
  const nodeName = opts.name ?? hostname().toLowerCase();
  checkMasterAddresses(opts.join);
  const log = opts.log ?? (() => {});
  const onError = (err: unknown): void => log(`kactus: node ${nodeName}: ${errorMessage(err)}`);
  await mkdir(dataDir, { recursive: true });

  // The node's key for its API credentials: made once, kept in the data dir; the join asks the master to certify it.
  const credentials = await NodeCredentialFiles.open(dataDir, nodeName);
  const mesh = await createMeshHost({ dataDir, ...(opts.listen ? { listen: opts.listen } : {}) });
  const scope = runtimeScope(nodeName, mesh.peerId.toString());
  const owned = typeof opts.runtime === 'string' ? await openNamedRuntime(opts.runtime, scope, dataDir, opts.dockerSocket ?? DOCKER_SOCKET, onError).catch(async (err: unknown) => {
    await mesh.stop();
    throw err;
  }) : undefined;
  const runtime = owned?.runtime ?? (opts.runtime as ContainerRuntime);
  // Before any pod is adopted or started: the deadline a previous daemon left guards its leftovers.
  const watchdog =
    opts.fenceWatchdog && owned && (runtime.name === 'docker' || runtime.name === 'process')
      ? await FenceWatchdog.ensure({ dataDir, runtime: runtime.name, scope, ...(runtime.name === 'docker' ? { dockerSocket: opts.dockerSocket ?? DOCKER_SOCKET } : {}), log: (line) => log(`kactus: node ${nodeName}: ${line}`) }).catch(
          async (err: unknown) => {
            await owned.runtime.close();
            await mesh.stop();
            throw err;
          },
        )
      : undefined;
  /** A clean stop: the watchdog goes when nothing of the node runs any more, else it stays armed. */
  const releaseWatchdog = async (keepContainers: boolean): Promise<void> => {
    if (!watchdog) return;
    // The process runtime's containers never outlive it (its close kills them).
    if (runtime.name === 'process' || !keepContainers) await watchdog.retire();
    else await watchdog.detach();
  };
  const capacity = opts.capacity ?? (runtime.name === 'hollow' ? { ...HOLLOW_CAPACITY } : hostCapacity());
  const info = nodeInfo(opts.runtimeVersion ?? owned?.version ?? `${runtime.name}://unknown`);
  const nodeIP = opts.nodeIP ?? NODE_IP;
  const addresses = nodeAddresses(nodeName, nodeIP);
  const intervalMs = opts.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS;
  let clusterCIDR: string | undefined;
  // Hollow nodes (many in one process) skip Nodes: N of them would each hold all N.
  const sources = runtime.name === 'hollow' ? POD_SOURCES.filter((r) => r !== 'nodes') : POD_SOURCES;
  const cache = new ClusterCache(opts.network && owned?.docker ? [...sources, 'endpointslices'] : sources, onError);
  const network =
    opts.network && owned?.docker
      ? new NodeNetwork({
          nodeName,
          nodeIP,
          scope,
          docker: owned.docker,
          cache,
          clusterCIDR: () => clusterCIDR,
          overlay: opts.network.overlay ?? !isLoopback(nodeIP),
          ...dataplaneParts({ nodeName, scope, clusterDomain: opts.network.clusterDomain ?? 'cluster.local', dnsPort: opts.network.dnsPort ?? 53, log }),
          log,
          onReady: (bridge) => {
            void beat();
            opts.network?.onPodNetworkUp?.(bridge.gatewayIP);
          },
        })
      : undefined;

  const link: MasterLink = new MasterLink({
    host: mesh,
    masters: opts.join,
    joinRequest: () => ({ token: opts.token, nodeName, capacity, addresses: mesh.getMultiaddrs().map(String), localVolumesDir: localVolumesDir(dataDir), csr: credentials.csr }),
    onJoined: async (accepted) => {
      if (accepted.credentials) await credentials.save(accepted.credentials);
    },
    onActorMessage: (env) => onActorMessage(env),
    onConnected: () => {
      // Requests sent on a previous channel will get no answer.
      tokenClient.disconnected();
      certificateClient.disconnected();
      void renewCertificate();
      outbox.connected();
      transitions.connected();
      void beat();
    },
    onError,
    onLeaseRenewed: (sentAt, fenceAfterMs) => {
      const remainingMs = sentAt + fenceAfterMs - performance.now();
      fence.send({ type: 'lease.renewed', remainingMs, fenceAfterMs });
      watchdog?.renew(remainingMs, fenceAfterMs);
    },
    onMaster: (addr) => {
      if (addr !== lastMaster) log(`kactus: node ${nodeName}: connected to master ${addr}`);
      lastMaster = addr;
    },
    watch: { resources: [...cache.resources], onOpen: () => cache.relist(), onMessage: (env: Envelope) => cache.apply(env) },
  });
  let lastMaster: string | undefined;
  const tokenClient = new TokenClient((type, body) => link.sendActor(type, body));
  const certificateClient = new CertificateClient((type, body) => link.sendActor(type, body));
  let renewing = false;
  async function renewCertificate(): Promise<void> {
    if (renewing || !link.isConnected) return;
    renewing = true;
    try {
      if (await renewIfDue(credentials, certificateClient)) log(`kactus: node ${nodeName}: client certificate renewed`);
    } catch (err) {
      // The old certificate stays; the next check asks again.
      onError(err);
    } finally {
      renewing = false;
    }
  }
  const writeFiles = runtime.name !== 'hollow';
  const volumes = new VolumeManager({
    dataDir,
    node: () => ({ name: nodeName, labels: cache.get<{ metadata?: { labels?: Record<string, string> } }>('nodes', nodeName)?.metadata?.labels ?? { 'kubernetes.io/hostname': nodeName } }),
    objects: cache,
    allocatable: capacity,
    tokens: new TokenManager((req) => tokenClient.request(req)),
    writeContents: writeFiles,
  });
  const configs = new PodConfigs({ dataDir, hostIP: nodeIP, allocatable: capacity, objects: cache, volumes, writeFiles });
  const outbox = new Outbox((type, body) => link.sendActor(type, body), onError);
  // The pod actors' transitions (and their containers' and probes'), batched up to the master: the event stream.
  const transitions = new TransitionOutbox((body) => link.sendActor('actor.transitions', body));
  const bus = new InspectionBus();
  bus.subscribe((rec) => transitions.push(rec));
  // The directories of this node's local-path volumes (storage/local-volumes.ts).
  const localVolumes = new LocalVolumes({
    nodeName,
    dir: localVolumesDir(dataDir),
    cache,
    report: async (type, body) => {
      const sent = link.sendActor(type, body);
      if (!sent) throw new Error('not connected to a master');
      await sent;
    },
    log,
  });
  const workers = new PodWorkers({ runtime, dataDir, nodeName, hostIP: nodeIP, outbox, onError, bus, configs, ...(network ? { network } : {}) });
  // Self-fencing (self-fence.ts): no master counted this node alive for the masters' period → stop every pod here.
  const fence = createActor(
    selfFenceMachine.provide({
      actions: {
        fence: (_, { fenceAfterMs }) => {
          const message = `Node ${nodeName} lost every master for ${fenceAfterMs / 1000}s: it stopped its pods itself (self-fencing)`;
          log(`kactus: node ${nodeName}: no master renewed its lease for ${fenceAfterMs / 1000}s: stopping every pod (self-fencing)`);
          // Out of this action: the pod actors' own transitions must not run inside it.
          queueMicrotask(() => void workers.fence(message).catch(onError));
        },
        recovered: () => log(`kactus: node ${nodeName}: a master renews its lease again`),
      },
    }),
  ).start();
  cache.onChange((resource) => {
    if (WAKING.has(resource)) workers.sourcesChanged();
  });

  function onActorMessage(env: Envelope): void {
    // A malformed body throws FrameError: that channel ends and is reopened; the daemon lives on.
    if (tokenClient.handle(env)) return;
    if (certificateClient.handle(env)) return;
    if (env.type === 'pod.assign') workers.assign(checkMessage('pod.assign', env.body).pod);
    else if (env.type === 'pods.sync') void workers.sync(checkMessage('pods.sync', env.body).uids).catch(onError);
    else log(`kactus: node ${nodeName}: ignoring unknown message ${env.type}`);
  }

  let beating = false;
  async function beat(): Promise<void> {
    if (beating || !link.isConnected) return;
    beating = true;
    try {
      const runtimeReady = await runtimeAnswers(runtime, intervalMs);
      const networkNotReady = network?.notReadyReason();
      const ready = runtimeReady && networkNotReady === undefined;
      const message = !runtimeReady ? `container runtime ${runtime.name} is not answering` : networkNotReady;
      const body: NodeHeartbeat = {
        nodeName,
        ready,
        capacity,
        allocatable: capacity,
        nodeInfo: info,
        addresses,
        time: new Date().toISOString(),
        ...(message === undefined ? {} : { message }),
      };
      await link.sendHeartbeat(body);
    } catch {
      // A broken heartbeat channel: the link reconnects and the next beat goes out then.
    } finally {
      beating = false;
    }
  }

  const isAdmitted = (peer: { toString(): string }): boolean => link.masterPeers.has(peer.toString());
  const stopServingLogs = await serveLogs(mesh, { isAdmitted, open: (req) => openContainerLog(runtime, workers, req) });
  const stopServingExec = await serveExec(mesh, { isAdmitted, open: (req) => openContainerExec(runtime, workers, req) });
  const stopServingAttach = await serveAttach(mesh, { isAdmitted, open: (req) => openContainerAttach(runtime, workers, req) });
  const stopServingPortForward = await servePortForward(mesh, { isAdmitted, connect: (req) => connectPodPort(runtime, workers, req) });

  try {
    await workers.loadLeftovers();
    clusterCIDR = (await link.start()).clusterCIDR;
  } catch (err) {
    await stopServingPortForward();
    await stopServingAttach();
    await stopServingExec();
    await stopServingLogs();
    await link.close();
    fence.stop();
    await workers.close(true);
    await network?.close({ keepBridge: true });
    if (owned) await owned.runtime.close();
    await releaseWatchdog(true);
    await mesh.stop();
    throw err;
  }
  localVolumes.start();
  const timer = setInterval(() => void beat(), intervalMs);
  const certificateTimer = setInterval(() => void renewCertificate(), opts.certificateCheckIntervalMs ?? CERTIFICATE_CHECK_INTERVAL_MS);
  // Content volumes follow their sources (one sync at a time: a slow one is not stacked).
  let syncing = false;
  const volumeTimer = setInterval(() => {
    if (syncing) return;
    syncing = true;
    void workers.refreshVolumes().catch(onError).finally(() => (syncing = false));
  }, opts.volumeSyncPeriodMs ?? VOLUME_SYNC_PERIOD_MS);
  // Every pod's usage, every 15 s by default (as metrics-server scrapes), for metrics.k8s.io and the HPA.
  const reporter = new NodeMetricsReporter({ runtime, node: nodeName, send: (sample) => link.sendActor('node.metrics', sample), ...(opts.metricResolutionMs ? { intervalMs: opts.metricResolutionMs } : {}) });
  reporter.start();

  return {
    nodeName,
    peerId: mesh.peerId.toString(),
    mesh,
    runtime,
    credentials,
    async close(closeOpts = {}) {
      clearInterval(timer);
      clearInterval(certificateTimer);
      clearInterval(volumeTimer);
      await localVolumes.close();
      await reporter.stop();
      await stopServingPortForward();
      await stopServingAttach();
      await stopServingExec();
      await stopServingLogs();
      await link.close();
      fence.stop();
      await workers.close(closeOpts.keepContainers === true);
      await network?.close({ keepBridge: closeOpts.keepContainers === true });
      if (owned) await owned.runtime.close();
      await releaseWatchdog(closeOpts.keepContainers === true);
      await mesh.stop();
    },
  };
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.');
}

/** A container's log for the master: 404 when the pod or container is not on this node. */
async function openContainerLog(runtime: ContainerRuntime, workers: PodWorkers, req: LogsRequest): Promise<Readable> {
  const id = workers.logContainerId(req.uid, req.container, req.previous === true, req.containerID);
  if (!id) {
    const what = req.previous ? `previous terminated container "${req.container}"` : `container "${req.container}"`;
    throw new LogsError(404, `${what} in pod "${req.name}" not found on this node`);
  }
  try {
    return await runtime.logs(id, {
      follow: req.follow === true,
      tailLines: req.tailLines,
      timestamps: req.timestamps === true,
      sinceSeconds: req.sinceSeconds,
    });
  } catch (err) {
    if (err instanceof ContainerNotFoundError) throw new LogsError(404, `container "${req.container}" in pod "${req.name}" is gone`);
    throw err;
  }
}

/** Runs a command in a container for the master: 404 when it is not on this node, 400 when it cannot run one now. */
async function openContainerExec(runtime: ContainerRuntime, workers: PodWorkers, req: ExecRequest): Promise<ExecProcess> {
  const who = `container "${req.container}" in pod "${req.name}"`;
  const id = workers.containerId(req.uid, req.container, false);
  if (!id) throw new ExecError(404, `${who} not found on this node`);
  try {
    return await runtime.exec(id, { command: req.command, stdin: req.stdin, tty: req.tty });
  } catch (err) {
    if (err instanceof ContainerNotFoundError) throw new ExecError(404, `${who} is gone`);
    if (err instanceof ContainerNotRunningError) throw new ExecError(400, `${who} is not running`);
    if (err instanceof ExecNotSupportedError) throw new ExecError(400, err.message);
    throw err;
  }
}
