/**
 * The node controller (Kubernetes' node lifecycle controller): one node machine per Node object,
 * hosted by an ActorHost over a Node informer, run by the leader master only.
 *
 * Heartbeats reach it through the store, not the mesh: the master a node is connected to renews
 * the node's Lease `kube-node-lease/<node>`, and a Lease informer turns each renewal into a
 * `node.heartbeat` for the machine. So any master may host the node's channel while the leader
 * judges its health, and a new leader needs nothing but the store. A change of the daemon's own
 * report on the Node (Ready True/False, written by the gateway) becomes `node.statusReported`; a
 * connection-lost note a master put on the Lease (connection-note.ts) becomes `node.connectionLost`.
 *
 * This controller only turns informer facts into events. What happens is the machine's: its
 * states' entry actions write the Unknown conditions, put and take the `not-ready` and
 * `unreachable` taints, fail the pods of a lost node (each through its own pod actor) and delete
 * the pods of a deleted Node (effects.ts).
 */
import { createActor, type Actor, type ActorOptions } from 'xstate';
import pino, { type Logger } from 'pino';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import { objectKey } from '../../api/metadata.ts';
import { isRecord, recordList, type KubeObject } from '../../api/object.ts';
import type { Registry } from '../../registry/registry.ts';
import type { EventSink } from '../../registry/event-recorder.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import { NODE_LEASE_NAMESPACE } from '../../api/namespaces.ts';
import type { Store } from '../../store/types.ts';
import { ActorHost } from '../host.ts';
import { labelsOf } from '../controller-kit/object-actors.ts';
import { InspectionBus, stateValueToString } from '../inspection.ts';
import { connectionLostNote } from './connection-note.ts';
import { NodeEffects } from './effects.ts';
import type { ResourceList } from './events.ts';
import type { NodeMachine } from './machine.ts';

const NODES = findKind('v1', 'Node') as ResourceInfo;
const LEASES = findKind('coordination.k8s.io/v1', 'Lease') as ResourceInfo;

type NodeActor = Actor<NodeMachine>;

export interface NodeControllerOptions {
  store: Store;
  registry: Registry;
  events: EventSink;
  /** No heartbeat for this long: Ready Unknown (Kubernetes' node-monitor-grace-period, 40 s). */
  notReadyGraceMs: number;
  /** Unreachable this much longer: pods Failed (Kubernetes' pod-eviction-timeout, 5 min). */
  podFailGraceMs: number;
  bus?: InspectionBus;
  /** The machines' clock (tests: xstate's SimulatedClock); default the system clock. */
  clock?: NonNullable<ActorOptions<NodeMachine>['clock']> & { now(): number };
  now?: () => Date;
  logger?: Logger;
}

/** What the daemon last reported about itself, read off the Node (the gateway writes it). */
interface Reported {
  ready: boolean;
  capacity: ResourceList;
  allocatable: ResourceList;
}

function resourceList(v: unknown): ResourceList {
  return isRecord(v) ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};
}

export class NodeController {
  private readonly nodes: ObjectInformer;
  private readonly leases: ObjectInformer;
  private readonly host: ActorHost<KubeObject, NodeActor>;
  private readonly effects: NodeEffects;
  private readonly bus: InspectionBus;
  /** Each daemon's last reported readiness, for a heartbeat while the Node shows none (Ready Unknown). */
  private readonly readySent = new Map<string, boolean>();
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly opts: NodeControllerOptions) {
    this.now = opts.now ?? (() => new Date());
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.bus = opts.bus ?? new InspectionBus();
    this.effects = new NodeEffects({ registry: opts.registry, events: opts.events, bus: this.bus, now: this.now, logger: this.log });
    this.nodes = objectInformer(opts.store, NODES);
    this.leases = objectInformer(opts.store, LEASES, {
      onAdd: (lease) => this.onLeaseRenewed(lease, true),
      onUpdate: (old, lease) => {
        if (renewTimeOf(old) !== renewTimeOf(lease)) this.onLeaseRenewed(lease, false);
        else this.onConnectionNote(old, lease);
      },
    }, NODE_LEASE_NAMESPACE);
    this.host = new ActorHost<KubeObject, NodeActor>({
      kind: 'Node',
      informer: this.nodes,
      bus: this.bus,
      identity: (node) => ({ name: node.metadata?.name ?? '', uid: node.metadata?.uid ?? '', labels: labelsOf(node) }),
      spawn: (node, inspect) => this.spawn(node, inspect),
      update: (actor, node) => this.onNodeChanged(actor, node),
      remove: (actor) => {
        actor.send({ type: 'node.terminate', at: this.clockNow() });
        actor.stop();
      },
    });
  }

  /** Starts following Nodes, then their Leases. */
  async start(): Promise<void> {
    await this.nodes.start();
    await this.leases.start();
  }

  /** Stops every machine; nothing is written on the way out. */
  stop(): void {
    this.leases.stop();
    this.nodes.stop();
    this.host.stopAll();
  }

  /** Resolves once every effect the machines asked for so far has run (tests). */
  settled(): Promise<void> {
    return this.effects.settled();
  }

  /**
   * The machine's state for node `name` as a dotted path (`pending`,
   * `running.reachable.daemon.ready|heartbeats.arriving`, `running.unreachable.lost`), for tests and the UI.
   */
  stateOf(name: string): string | undefined {
    const actor = this.host.get(objectKey(NODES, undefined, name));
    return actor ? stateValueToString(actor.getSnapshot().value) : undefined;
  }

  private spawn(node: KubeObject, inspect: ReturnType<InspectionBus['inspectorFor']>): NodeActor {
    const name = node.metadata?.name ?? '';
    const ref = { kind: 'Node', apiVersion: 'v1', name, uid: node.metadata?.uid };
    const actor = createActor(this.effects.machineFor(ref), {
      input: { name, notReadyGraceMs: this.opts.notReadyGraceMs, podFailGraceMs: this.opts.podFailGraceMs, registeredAt: this.opts.clock?.now() ?? this.now().getTime() },
      // An explicit `clock: undefined` would replace xstate's default clock.
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      inspect,
    });
    actor.start();
    return actor;
  }

  /** A renewed Lease is a heartbeat. At start, only a Lease renewed within the grace counts. */
  private onLeaseRenewed(lease: KubeObject, initial: boolean): void {
    const name = lease.metadata?.name ?? '';
    const actor = this.host.get(objectKey(NODES, undefined, name));
    if (!actor) return;
    if (initial) {
      const renewed = Date.parse(renewTimeOf(lease) ?? '');
      if (!(renewed + this.opts.notReadyGraceMs > this.now().getTime())) return;
    }
    this.heartbeat(actor, name);
  }

  /** A master noted the node's connection closed (a new note, not a renewal): a hint for the machine. */
  private onConnectionNote(old: KubeObject, lease: KubeObject): void {
    const note = connectionLostNote(lease);
    if (!note || note.at === connectionLostNote(old)?.at) return;
    const actor = this.host.get(objectKey(NODES, undefined, lease.metadata?.name ?? ''));
    actor?.send({ type: 'node.connectionLost', at: this.clockNow(), master: note.master });
  }

  /** The daemon's report on the Node changed: the machine decides whether Ready changes. */
  private onNodeChanged(actor: NodeActor, node: KubeObject): void {
    const reported = reportedBy(node);
    if (!reported) return;
    this.readySent.set(node.metadata?.name ?? '', reported.ready);
    actor.send({ type: 'node.statusReported', at: this.clockNow(), ...reported });
  }

  private heartbeat(actor: NodeActor, name: string): void {
    const node = this.nodes.get(objectKey(NODES, undefined, name));
    const reported = (node && reportedBy(node)) ?? { ready: this.readySent.get(name) ?? true, capacity: {}, allocatable: {} };
    this.readySent.set(name, reported.ready);
    actor.send({ type: 'node.heartbeat', at: this.clockNow(), ...reported });
  }

  /** Now on the machines' clock: heartbeat times and graces must share one clock. */
  private clockNow(): number {
    return this.opts.clock?.now() ?? Date.now();
  }
}

function renewTimeOf(lease: KubeObject): string | undefined {
  const spec = isRecord(lease.spec) ? lease.spec : {};
  return typeof spec.renewTime === 'string' ? spec.renewTime : undefined;
}

/**
 * What the daemon reported, from the Node's status: readiness from a kubelet-written Ready
 * condition (True or False); undefined while Ready is Unknown (written by this controller).
 */
function reportedBy(node: KubeObject): Reported | undefined {
  const status = isRecord(node.status) ? node.status : {};
  const ready = recordList(status, 'conditions').find((c) => c.type === 'Ready');
  if (ready?.status !== 'True' && ready?.status !== 'False') return undefined;
  return { ready: ready.status === 'True', capacity: resourceList(status.capacity), allocatable: resourceList(status.allocatable) };
}
