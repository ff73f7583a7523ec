/**
 * The node gateway: the master's end of the mesh protocols a joined node daemon opens
 * (`/kactus/actor/1.0.0`, `/kactus/heartbeat/1.0.0`; the vocabulary is src/net/messages.ts).
 * Every master runs one, leader or not, so a node may connect to any master.
 *
 * Down (master → node), per node's actor channel:
 * - `pod.assign {pod}` for every pod bound to the node when the channel opens and on every change
 *   of such a pod (also when it gets a deletionTimestamp: the node then terminates it gracefully);
 * - `pods.sync {uids}` after the opening assigns, when one of its pods leaves the store, and every
 *   `syncIntervalMs` (30 s): the node tears down pods not listed;
 * - `masters.known {masters}` after the opening sync and whenever `kube-public/kactus-mesh`
 *   changes: every master's mesh addresses, where the node fails over to (masters-known.ts).
 * Up (node → master), written through the Registry:
 * - `pod.status` → pods/status (CAS, retried on conflict; dropped when the uid or node differs,
 *   and refused, logged at debug and counted, when it would move the pod out of Succeeded or
 *   Failed: a node back from a partition resends what its pods were doing, but the master failed
 *   them meanwhile, and a terminal phase never changes back);
 * - `pod.terminated` → delete with grace 0 and a uid precondition;
 * - `event.recorded` → a core/v1 Event (aggregated, source kubelet on that node);
 * - `actor.transitions` → appended to the transition log (the event stream), awaited, so a node
 *   sending faster than the store takes them is slowed through its channel; only Pod records
 *   (the actors a node hosts) are taken, the rest dropped and logged;
 * - `node.heartbeat` → renew `kube-node-lease/<node>`; Node status written only when it changes;
 *   answered `node.heartbeat.ack {time, leaseRenewed, selfFenceAfterMs}` on the heartbeat channel
 *   (the node stops its pods itself when no renewal is acknowledged for that long: src/actors/node/fencing.ts);
 * - `volume.directory.created` / `volume.directory.released` → the node's finalizer on / off one of
 *   its local-path PersistentVolumes (local-volumes.ts);
 * - `token.request` → `token.issued` / `token.refused` (pod-tokens.ts: the injected
 *   `tokenIssuer`, for pods of that node only; 503 without an issuer), answered beside the
 *   node's ordered messages so a slow issuer holds up none of them;
 * - `certificate.request` → `certificate.issued` / `certificate.refused` (node-credentials.ts: a
 *   renewed client certificate for the node it was admitted as), likewise beside the others.
 * Watch (`/kactus/watch/1.0.0`, cluster-feed.ts): Services, EndpointSlices and Nodes for the node's
 * proxy, DNS and overlay; only the Secrets and ConfigMaps its pods use (the node graph).
 *
 * Admission: a peer may open these channels only while a Node carries its peer id (it joined with
 * a live token). When that Node is deleted, or another peer re-joins under its name, the peer's
 * connections are closed: it can open nothing more until it joins again.
 *
 * Messages from one node are handled in order, one at a time: a slow store slows that node's
 * stream (backpressure through yamux), never the others. Sends to one node are queued in order.
 *
 * A node's actor channel closing (not replaced by a new one, this master not closing) is noted on
 * the node's Lease (connection-hint.ts): the node controller reports it as the reason when the
 * node then goes unreachable; it shortens no grace.
 */
import type { PeerId } from '@libp2p/interface';
import pino, { type Logger } from 'pino';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { isRecord, type KubeObject } from '../api/object.ts';
import { ApiError } from '../api/status.ts';
import { validatePodPhaseTransition } from '../api/validation/pod-status.ts';
import type { Registry } from '../registry/registry.ts';
import { serveChannel, type Channel, type MessageHandler } from '../net/channel.ts';
import type { Envelope } from '../net/codec.ts';
import { FrameError } from '../net/errors.ts';
import type { MeshHost } from '../net/host.ts';
import { checkMessage, type ActorTransitions, type EventRecorded, type NodeHeartbeat, type PodStatusReport, type PodTerminated } from '../net/messages.ts';
import type { TransitionRecord } from '../api/transition.ts';
import { PROTOCOL_ACTOR, PROTOCOL_HEARTBEAT } from '../net/protocols.ts';
import type { NodeMetricsSample } from '../metrics/types.ts';
import type { Store } from '../store/types.ts';
import { serveClusterFeed } from './cluster-feed.ts';
import { applyVolumeDirectoryReport } from './local-volumes.ts';
import type { EventSink } from '../registry/event-recorder.ts';
import { NodeDirectory, type NodePeer } from './node-directory.ts';
import { renewNodeLease, writeNodeStatus } from './node-heartbeat.ts';
import { nodeNameOf, PodsByNode } from './pods-by-node.ts';
import { isNotFound, retryOnConflict } from '../registry/retry-on-conflict.ts';
import type { ServiceAccountTokenIssuer } from '../api/service-account-token.ts';
import { answerTokenRequest } from './pod-tokens.ts';
import { NodeGraph } from '../registry/authorization/node-graph.ts';
import { answerCertificateRequest, type NodeCertificateSigner } from './node-credentials.ts';
import { DEFAULT_NODE_MONITOR_GRACE_PERIOD_SECONDS, DEFAULT_POD_EVICTION_TIMEOUT_SECONDS, selfFenceAfterMs } from '../actors/node/fencing.ts';
import { MastersKnownFeed } from './masters-known.ts';
import { noteConnectionLost } from './connection-hint.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;
const NODES = findKind('v1', 'Node') as ResourceInfo;

/** Kubelet-like full resync of the pod list to each node. */
const DEFAULT_SYNC_INTERVAL_MS = 30_000;

export interface NodeGatewayOptions {
  store: Store;
  registry: Registry;
  mesh: MeshHost;
  events: EventSink;
  /** Where nodes' pod actor transitions go (the transition log's writer); dropped when absent. */
  transitions?: { append(records: readonly TransitionRecord[]): Promise<void> };
  /** Where nodes' resource usage goes (metrics.k8s.io, the HPA); dropped when absent. */
  metrics?: { recordNodeMetrics(sample: NodeMetricsSample): void };
  syncIntervalMs?: number;
  /** Mints ServiceAccount tokens for nodes' projected volumes; without one they are refused (503). */
  tokenIssuer?: ServiceAccountTokenIssuer;
  /** Signs nodes' renewed client certificates; without one renewals are refused (503). */
  certificates?: NodeCertificateSigner;
  /** Lifetime of the node certificates it signs (default one year). */
  certificateValiditySeconds?: number;
  /**
   * The node graph (pods → node, and what they use), shared with the Node authorizer; the gateway
   * makes and starts its own when not given. Started before the gateway's pod informer, so a
   * node hears of a pod's Secret no later than of the pod.
   */
  graph?: NodeGraph;
  /**
   * The node controller's graces (node-monitor-grace-period, pod-eviction-timeout), from which the
   * self-fence period told to nodes follows; default the kactus defaults (4 s, 3 s).
   */
  nodeLifecycle?: { notReadyGraceMs: number; podFailGraceMs: number };
  /** This master's name, in the connection-lost note on a node's Lease. */
  masterName?: string;
  now?: () => Date;
  logger?: Logger;
}

/** One node's open actor channel and its ordered send queue. */
interface NodeSession {
  channel: Channel;
  sending: Promise<void>;
}

export class NodeGateway {
  readonly mesh: MeshHost;
  private readonly directory: NodeDirectory;
  private readonly pods: PodsByNode;
  private readonly graph: NodeGraph;
  private readonly ownsGraph: boolean;
  private readonly sessions = new Map<string, NodeSession>();
  /** Node name resolved during admission, handed to onChannel (same stream handler, in order). */
  private readonly admittedAs = new Map<string, string>();
  private readonly heartbeatQueues = new Map<string, Promise<boolean>>();
  private readonly unhandle: (() => Promise<void>)[] = [];
  private syncTimer: NodeJS.Timeout | undefined;
  private refused = 0;
  private cutOffs = 0;
  private closing = false;
  private readonly masters: MastersKnownFeed;
  private readonly selfFenceAfterMs: number;
  private nodeDroppedTransitions = 0;
  private readonly now: () => Date;
  private readonly log: Logger;

  private constructor(private readonly opts: NodeGatewayOptions) {
    this.mesh = opts.mesh;
    this.now = opts.now ?? (() => new Date());
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.directory = new NodeDirectory(opts.store, opts.registry, (peerId, nodeName) => void this.cutOff(peerId, nodeName));
    this.ownsGraph = opts.graph === undefined;
    this.graph = opts.graph ?? new NodeGraph(opts.store);
    this.pods = new PodsByNode(opts.store, {
      onPod: (nodeName, pod) => this.send(nodeName, 'pod.assign', { pod }),
      onPodGone: (nodeName) => this.sendSync(nodeName),
    });
    this.masters = new MastersKnownFeed(opts.store, (masters) => {
      for (const nodeName of this.sessions.keys()) this.send(nodeName, 'masters.known', { masters });
    });
    const lifecycle = opts.nodeLifecycle ?? { notReadyGraceMs: DEFAULT_NODE_MONITOR_GRACE_PERIOD_SECONDS * 1000, podFailGraceMs: DEFAULT_POD_EVICTION_TIMEOUT_SECONDS * 1000 };
    this.selfFenceAfterMs = selfFenceAfterMs(lifecycle.notReadyGraceMs, lifecycle.podFailGraceMs);
  }

  /** Starts the informers, then serves the actor and heartbeat protocols. */
  static async start(opts: NodeGatewayOptions): Promise<NodeGateway> {
    const gateway = new NodeGateway(opts);
    // The graph first: its handlers then run before the pod informer's (pod.assign), see above.
    await gateway.graph.start();
    await Promise.all([gateway.directory.start(), gateway.pods.start(), gateway.masters.start()]);
    const isAdmitted = (peer: PeerId): Promise<boolean> => gateway.admit(peer);
    const onRejected = (peer: PeerId): void => gateway.log.warn({ peer: peer.toString() }, 'stream from a peer that was never admitted');
    gateway.unhandle.push(await serveChannel(opts.mesh, PROTOCOL_ACTOR, { isAdmitted, onRejected, onChannel: (ch) => gateway.openActor(ch) }));
    gateway.unhandle.push(await serveChannel(opts.mesh, PROTOCOL_HEARTBEAT, { isAdmitted, onRejected, onChannel: (ch) => gateway.openHeartbeat(ch) }));
    gateway.unhandle.push(
      await serveClusterFeed({
        store: opts.store,
        mesh: opts.mesh,
        isAdmitted,
        logger: gateway.log,
        graph: gateway.graph,
        nodeOf: (peer) => gateway.admittedAs.get(peer.toString()),
      }),
    );
    gateway.syncTimer = setInterval(() => {
      for (const nodeName of gateway.sessions.keys()) gateway.sendSync(nodeName);
    }, opts.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS);
    return gateway;
  }

  /** How to dial node `nodeName`'s daemon (for logs); undefined when it never joined. */
  nodePeer(nodeName: string): NodePeer | undefined {
    return this.directory.peer(nodeName);
  }

  /** Status reports refused because they would move a pod out of a terminal phase (since start). */
  get refusedStatusReports(): number {
    return this.refused;
  }

  /** Transitions the nodes reported dropping (their queues were full while away), since start. */
  get droppedTransitionsReported(): number {
    return this.nodeDroppedTransitions;
  }

  /** Nodes with an open actor channel to this master. */
  connectedNodes(): string[] {
    return [...this.sessions.keys()];
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.syncTimer) clearInterval(this.syncTimer);
    for (const un of this.unhandle.splice(0)) await un().catch(() => undefined);
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map((s) => s.channel.close().catch(() => undefined)));
    this.directory.stop();
    this.pods.stop();
    this.masters.stop();
    if (this.ownsGraph) this.graph.stop();
  }

  /** Peers cut off because their Node went or was taken by another peer (since start). */
  get cutOffPeers(): number {
    return this.cutOffs;
  }

  /** Peer `peerId` holds no Node any more: close its connections (every channel and stream it has). */
  private async cutOff(peerId: string, nodeName: string): Promise<void> {
    if (this.admittedAs.get(peerId) === nodeName) this.admittedAs.delete(peerId);
    const connections = this.mesh.getConnections().filter((c) => c.remotePeer.toString() === peerId);
    if (connections.length === 0) return;
    this.cutOffs += 1;
    this.log.info({ node: nodeName, peer: peerId }, 'peer no longer holds its node; closing its connections');
    await Promise.all(connections.map((c) => c.close().catch(() => c.abort(new Error('node removed')))));
  }

  private async admit(peer: PeerId): Promise<boolean> {
    const nodeName = await this.directory.nodeFor(peer.toString());
    if (nodeName === undefined) return false;
    this.admittedAs.set(peer.toString(), nodeName);
    return true;
  }

  private nodeNameFor(channel: Channel): string {
    const nodeName = this.admittedAs.get(channel.peer.toString());
    // admit() ran first for this very stream, so the name is there.
    if (nodeName === undefined) throw new Error(`no admitted node for peer ${channel.peer.toString()}`);
    return nodeName;
  }

  private openActor(channel: Channel): MessageHandler {
    const nodeName = this.nodeNameFor(channel);
    const previous = this.sessions.get(nodeName);
    if (previous) void previous.channel.close().catch(() => undefined);
    const session: NodeSession = { channel, sending: Promise.resolve() };
    this.sessions.set(nodeName, session);
    this.log.info({ node: nodeName }, 'node actor channel open');
    void channel.closed.then(() => {
      this.log.info({ node: nodeName }, 'node actor channel closed');
      if (this.sessions.get(nodeName) !== session) return;
      this.sessions.delete(nodeName);
      if (this.closing) return;
      void noteConnectionLost(this.opts.registry, nodeName, this.opts.masterName ?? '', this.now()).catch((err: unknown) =>
        this.log.debug({ err, node: nodeName }, 'connection-lost note not written'),
      );
    });
    for (const pod of this.pods.podsOn(nodeName)) this.send(nodeName, 'pod.assign', { pod });
    this.sendSync(nodeName);
    this.send(nodeName, 'masters.known', { masters: this.masters.current() });
    return (env) => this.onActorMessage(nodeName, env);
  }

  private openHeartbeat(channel: Channel): MessageHandler {
    const nodeName = this.nodeNameFor(channel);
    return async (env) => {
      if (env.type !== 'node.heartbeat') return this.ignore(nodeName, env);
      const hb = checkMessage('node.heartbeat', env.body);
      if (hb.nodeName !== nodeName) {
        this.log.warn({ node: nodeName, claimed: hb.nodeName }, 'heartbeat for another node ignored');
        return;
      }
      const leaseRenewed = await this.onHeartbeat(nodeName, hb);
      // Answered on the heartbeat channel, in order; a node that is gone just misses it.
      await channel.send('node.heartbeat.ack', { time: hb.time, leaseRenewed, selfFenceAfterMs: this.selfFenceAfterMs }).catch(() => undefined);
    };
  }

  private async onActorMessage(nodeName: string, env: Envelope): Promise<void> {
    try {
      switch (env.type) {
        case 'pod.status':
          return await this.writePodStatus(nodeName, checkMessage('pod.status', env.body));
        case 'pod.terminated':
          return await this.completeDeletion(nodeName, checkMessage('pod.terminated', env.body));
        case 'event.recorded':
          return await this.recordEvent(nodeName, checkMessage('event.recorded', env.body));
        case 'actor.transitions':
          return await this.appendTransitions(nodeName, checkMessage('actor.transitions', env.body));
        case 'token.request': {
          const req = checkMessage('token.request', env.body);
          void answerTokenRequest(nodeName, req, { podsOn: (n) => this.pods.podsOn(n), issuer: this.opts.tokenIssuer }).then((answer) => this.send(nodeName, answer.type, answer.body));
          return;
        }
        case 'certificate.request': {
          const req = checkMessage('certificate.request', env.body);
          void answerCertificateRequest(nodeName, req, this.opts.certificates, this.opts.certificateValiditySeconds).then((answer) => this.send(nodeName, answer.type, answer.body));
          return;
        }
        case 'volume.directory.created':
        case 'volume.directory.released': {
          const report = checkMessage(env.type, env.body);
          if (!(await applyVolumeDirectoryReport(this.opts.registry, nodeName, env.type === 'volume.directory.created', report))) {
            this.log.warn({ node: nodeName, volume: report.name }, 'a node reported a volume directory that is not its own; ignored');
          }
          return;
        }
        case 'node.metrics': {
          const sample = checkMessage('node.metrics', env.body);
          // A node reports for itself only.
          if (sample.node === nodeName) this.opts.metrics?.recordNodeMetrics(sample);
          return;
        }
        default:
          return this.ignore(nodeName, env);
      }
    } catch (err) {
      if (err instanceof FrameError) throw err; // ends this node's channel (see Channel)
      // A failed write is not the node's fault: log it; the node's next report or resync repairs it.
      this.log.warn({ err, node: nodeName, type: env.type }, 'node message not applied');
    }
  }

  private ignore(nodeName: string, env: Envelope): void {
    this.log.debug({ node: nodeName, type: env.type }, 'message ignored');
  }

  /**
   * The pod's status from the node, unless the pod was replaced or moved meanwhile, or the report
   * would take it out of a terminal phase (the API would refuse that write too, with a 422).
   */
  private async writePodStatus(nodeName: string, report: PodStatusReport): Promise<void> {
    try {
      await retryOnConflict(async () => {
        const pod = await this.opts.registry.get(PODS, report.namespace, report.name);
        if (pod.metadata?.uid !== report.uid || nodeNameOf(pod) !== nodeName) return;
        if (validatePodPhaseTransition(pod, { ...pod, status: report.status }).length > 0) {
          this.refused += 1;
          const stored = isRecord(pod.status) ? pod.status.phase : undefined;
          this.log.debug({ node: nodeName, pod: `${report.namespace}/${report.name}`, stored, reported: report.status.phase }, 'status report out of a terminal phase refused');
          return;
        }
        await this.opts.registry.updateStatus(PODS, report.namespace, report.name, { ...pod, status: report.status });
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** The node finished graceful termination: remove the pod (grace 0, only this uid). */
  private async completeDeletion(nodeName: string, pod: PodTerminated): Promise<void> {
    try {
      const current = await this.opts.registry.get(PODS, pod.namespace, pod.name);
      if (current.metadata?.uid !== pod.uid || nodeNameOf(current) !== nodeName) return;
      await this.opts.registry.delete(PODS, pod.namespace, pod.name, { gracePeriodSeconds: 0, preconditions: { uid: pod.uid } });
    } catch (err) {
      // Gone already, or a precondition failed because a new pod took the name: nothing to do.
      if (isNotFound(err) || (err instanceof ApiError && err.reason === 'Conflict')) return;
      throw err;
    }
  }

  private async recordEvent(nodeName: string, ev: EventRecorded): Promise<void> {
    const time = new Date(ev.time);
    await this.opts.events.record(ev.involvedObject, ev.type, ev.reason, ev.message, {
      source: { component: ev.source, host: nodeName },
      time: Number.isNaN(time.getTime()) ? this.now() : time,
    });
  }

  /** A node's pod actors' transitions, in order, into the log (awaited: backpressure on the node's channel). */
  private async appendTransitions(nodeName: string, body: ActorTransitions): Promise<void> {
    if (body.dropped) {
      this.nodeDroppedTransitions += body.dropped;
      this.log.warn({ node: nodeName, dropped: body.dropped }, 'node dropped transitions while its master was unreachable');
    }
    const pods = body.items.filter((r) => r.kind === 'Pod');
    if (pods.length < body.items.length) this.log.debug({ node: nodeName, ignored: body.items.length - pods.length }, 'transitions of kinds a node does not host ignored');
    await this.opts.transitions?.append(pods);
  }

  /**
   * Heartbeats of one node are applied in order; a failed one is logged (the next repairs it).
   * Resolves true once the node's Lease was renewed (what the node may count against self-fencing).
   */
  private onHeartbeat(nodeName: string, hb: NodeHeartbeat): Promise<boolean> {
    const previous = this.heartbeatQueues.get(nodeName) ?? Promise.resolve(true);
    const next = previous.then(async () => {
      let renewed = false;
      try {
        const now = this.now();
        const node = this.directory.node(nodeName) ?? (await this.opts.registry.get(NODES, undefined, nodeName));
        await renewNodeLease(this.opts.registry, node, now);
        renewed = true;
        await writeNodeStatus(this.opts.registry, nodeName, hb, now);
      } catch (err) {
        this.log.warn({ err, node: nodeName }, 'heartbeat not applied');
      }
      return renewed;
    });
    this.heartbeatQueues.set(nodeName, next);
    void next.then(() => {
      if (this.heartbeatQueues.get(nodeName) === next) this.heartbeatQueues.delete(nodeName);
    });
    return next;
  }

  private sendSync(nodeName: string): void {
    const uids = this.pods.podsOn(nodeName).map((p: KubeObject) => p.metadata?.uid ?? '');
    this.send(nodeName, 'pods.sync', { uids });
  }

  /** Queues a message to a connected node; dropped when it is not connected (resync covers it). */
  private send(nodeName: string, type: string, body: unknown): void {
    const session = this.sessions.get(nodeName);
    if (!session) return;
    session.sending = session.sending.then(() =>
      session.channel.send(type, body).catch((err: unknown) => this.log.debug({ err, node: nodeName, type }, 'send failed; the channel is closing')),
    );
  }
}

