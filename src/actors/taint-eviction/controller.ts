/**
 * Kubernetes' taint-eviction controller: pods bound to a node with NoExecute taints they do not
 * tolerate are deleted; pods that tolerate them for `tolerationSeconds` are deleted when that
 * runs out (machine.ts decides, one actor per such pod). Informers on Nodes (their NoExecute
 * taints) and Pods (an index node → pods, so a taint change touches only that node's pods);
 * pods on untainted nodes get no actor.
 *
 * The node lifecycle's own taints (`node.kubernetes.io/not-ready`, `…/unreachable`) are left to
 * the node machine, which fails a lost node's pods after its pod-fail grace (kactus' stand-in
 * for the 300 s tolerations Kubernetes' DefaultTolerationSeconds admission adds for them): every
 * other NoExecute taint is this controller's.
 */
import pino, { type Logger } from 'pino';
import { createActor, type Actor, type ActorOptions } from 'xstate';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import { isRecord, recordList, type KubeObject } from '../../api/object.ts';
import type { EventSink } from '../../registry/event-recorder.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import type { Registry } from '../../registry/registry.ts';
import { taintsOf, type Taint } from '../../scheduler/taints.ts';
import type { Store } from '../../store/types.ts';
import type { Controller, ControllerDeps } from '../controller-kit/controller.ts';
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE } from '../node/taints.ts';
import { taintEvictionMachineWith } from './effects.ts';
import type { taintEvictionMachine } from './machine.ts';

const NODES = findKind('v1', 'Node') as ResourceInfo;
const PODS = findKind('v1', 'Pod') as ResourceInfo;
const LIFECYCLE_TAINTS = new Set([TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE]);

type EvictionActor = Actor<typeof taintEvictionMachine>;

export interface TaintEvictionOptions {
  store: Store;
  registry: Registry;
  events: EventSink;
  now?: () => Date;
  logger?: Logger;
  /** The machines' clock (tests: xstate's SimulatedClock). */
  clock?: NonNullable<ActorOptions<typeof taintEvictionMachine>['clock']> & { now(): number };
}

/** The NoExecute taints this controller acts on. */
export function noExecuteTaints(node: KubeObject): Taint[] {
  return taintsOf(isRecord(node.spec) ? node.spec : undefined).filter((t) => t.effect === 'NoExecute' && !LIFECYCLE_TAINTS.has(t.key));
}

const nodeNameOf = (pod: KubeObject): string | undefined => (isRecord(pod.spec) && typeof pod.spec.nodeName === 'string' && pod.spec.nodeName !== '' ? pod.spec.nodeName : undefined);
const phaseOf = (pod: KubeObject): unknown => (isRecord(pod.status) ? pod.status.phase : undefined);
/** Bound, not finished, not already being deleted. */
const evictable = (pod: KubeObject): boolean => nodeNameOf(pod) !== undefined && !pod.metadata?.deletionTimestamp && phaseOf(pod) !== 'Succeeded' && phaseOf(pod) !== 'Failed';

export class TaintEvictionController implements Controller {
  private readonly nodes: ObjectInformer;
  private readonly pods: ObjectInformer;
  /** node name → its NoExecute taints (nodes with none are absent). */
  private readonly taints = new Map<string, Taint[]>();
  /** node name → keys of the pods bound there. */
  private readonly podsOn = new Map<string, Set<string>>();
  private readonly actors = new Map<string, EvictionActor>();
  private readonly machine: typeof taintEvictionMachine;
  private readonly log: Logger;

  constructor(private readonly opts: TaintEvictionOptions) {
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.machine = taintEvictionMachineWith({ registry: opts.registry, events: opts.events, now: opts.now, logger: this.log });
    this.nodes = objectInformer(opts.store, NODES, {
      onAdd: (node) => this.onNode(node),
      onUpdate: (_old, node) => this.onNode(node),
      onDelete: (node) => this.onNode(node, true),
    });
    this.pods = objectInformer(opts.store, PODS, {
      onAdd: (pod, key) => this.onPod(key, pod),
      onUpdate: (old, pod, key) => this.onPod(key, pod, old),
      onDelete: (pod, key) => this.onPodGone(key, nodeNameOf(pod)),
    });
  }

  async start(): Promise<void> {
    await this.nodes.start();
    await this.pods.start();
  }

  stop(): void {
    this.nodes.stop();
    this.pods.stop();
    for (const actor of this.actors.values()) actor.stop();
    this.actors.clear();
  }

  /** Pods with an eviction actor (tests). */
  get tracked(): number {
    return this.actors.size;
  }

  private onNode(node: KubeObject, deleted = false): void {
    const name = node.metadata?.name ?? '';
    const taints = deleted ? [] : noExecuteTaints(node);
    const before = this.taints.get(name) ?? [];
    if (JSON.stringify(before) === JSON.stringify(taints)) return;
    if (taints.length > 0) this.taints.set(name, taints);
    else this.taints.delete(name);
    for (const key of this.podsOn.get(name) ?? []) {
      const pod = this.pods.get(key);
      if (pod) this.observe(key, pod);
    }
  }

  private onPod(key: string, pod: KubeObject, old?: KubeObject): void {
    const nodeName = nodeNameOf(pod);
    const oldNode = old && nodeNameOf(old);
    if (oldNode && oldNode !== nodeName) this.podsOn.get(oldNode)?.delete(key);
    if (!evictable(pod)) return this.onPodGone(key, nodeName);
    let keys = this.podsOn.get(nodeName as string);
    if (!keys) this.podsOn.set(nodeName as string, (keys = new Set()));
    keys.add(key);
    this.observe(key, pod);
  }

  private onPodGone(key: string, nodeName: string | undefined): void {
    if (nodeName) this.podsOn.get(nodeName)?.delete(key);
    const actor = this.actors.get(key);
    if (!actor) return;
    actor.send({ type: 'pod.gone' });
    this.actors.delete(key);
  }

  /** Tells the pod's actor what its node's taints are now (a pod on an untainted node with no actor: nothing to do). */
  private observe(key: string, pod: KubeObject): void {
    const taints = this.taints.get(nodeNameOf(pod) ?? '') ?? [];
    let actor = this.actors.get(key);
    if (!actor) {
      if (taints.length === 0) return;
      actor = createActor(this.machine, {
        input: { namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
        ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      });
      const started = actor;
      started.subscribe({ complete: () => this.actors.get(key) === started && this.actors.delete(key) });
      this.actors.set(key, actor);
      actor.start();
    }
    const tolerations = recordList(isRecord(pod.spec) ? pod.spec : undefined, 'tolerations');
    actor.send({ type: 'taints.observed', at: this.opts.clock?.now() ?? Date.now(), taints, tolerations });
    // Nothing pending and nothing to watch for: no actor needed.
    if (taints.length === 0 && actor.getSnapshot().value === 'idle') {
      actor.stop();
      this.actors.delete(key);
    }
  }
}

export const taintEvictionControllerFactory = (deps: ControllerDeps): Controller =>
  new TaintEvictionController({ store: deps.store, registry: deps.registry, events: deps.events, now: deps.now, logger: deps.logger });
