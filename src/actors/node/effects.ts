/**
 * The node machine's effects in the cluster, through the Registry (never HTTP): its named
 * actions `recordEvent`, `writeConditions`, `taint`, `untaint`, `failPods` (each unfinished pod
 * told through its own actor: lost-pods.ts) and `deletePods`.
 *
 * Machine actions are synchronous; the effects of one node run in the background, one at a time
 * in the order the machine asked for them (a taint then its removal never land the other way
 * round), and a failure is logged. Every write is level-based (it reads the current Node and
 * changes only what differs), so running one twice, or after a leader change, does no harm.
 */
import type { NodeCondition } from 'kubernetes-types/core/v1.js';
import pino, { type Logger } from 'pino';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import { toKubernetesTime } from '../../api/kubernetes-time.ts';
import { isRecord, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';
import type { EventSink, ObjectRef } from '../../registry/event-recorder.ts';
import type { Registry } from '../../registry/registry.ts';
import { isNotFound, retryOnConflict } from '../../registry/retry-on-conflict.ts';
import type { InspectionBus } from '../inspection.ts';
import type { NodeEffectParams, NodeEventRecord, TaintEffect } from './events.ts';
import { LostPodActors } from './lost-pods.ts';
import { nodeMachine, type NodeMachine } from './machine.ts';
import { withoutTaint, withTaint } from './taints.ts';

const NODES = findKind('v1', 'Node') as ResourceInfo;
const PODS = findKind('v1', 'Pod') as ResourceInfo;

/** Source of the Events this controller records. */
const SOURCE = { component: 'node-controller' };

export interface NodeEffectsDeps {
  registry: Registry;
  events: EventSink;
  /** Where the lost pods' actors publish their transitions. */
  bus?: InspectionBus;
  now?: () => Date;
  logger?: Logger;
}

export class NodeEffects {
  private readonly now: () => Date;
  private readonly log: Logger;
  private readonly lostPods: LostPodActors;
  /** Each node's effects, chained in order. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly deps: NodeEffectsDeps) {
    this.now = deps.now ?? (() => new Date());
    this.log = deps.logger ?? pino({ level: 'silent' });
    this.lostPods = new LostPodActors({ registry: deps.registry, events: deps.events, bus: deps.bus, now: () => this.now().getTime(), logger: this.log });
  }

  /** The node machine for `node` with these effects supplied. */
  machineFor(node: ObjectRef): NodeMachine {
    const name = node.name;
    return nodeMachine.provide({
      actions: {
        recordEvent: (_, params: NodeEffectParams['recordEvent']) => this.enqueue(name, 'recordEvent', () => this.recordEvent(node, params)),
        writeConditions: (_, params: NodeEffectParams['writeConditions']) =>
          this.enqueue(name, 'writeConditions', () => this.writeConditions(params.nodeName, params.conditions)),
        taint: (_, params: NodeEffectParams['taint']) => this.enqueue(name, 'taint', () => this.taint(params.nodeName, params.key, params.effects)),
        untaint: (_, params: NodeEffectParams['untaint']) => this.enqueue(name, 'untaint', () => this.untaint(params.nodeName, params.key)),
        failPods: (_, params: NodeEffectParams['failPods']) => this.enqueue(name, 'failPods', () => this.lostPods.failPodsOf(params.nodeName)),
        deletePods: (_, params: NodeEffectParams['deletePods']) => this.enqueue(name, 'deletePods', () => this.deletePods(params.nodeName)),
      },
    });
  }

  /** Resolves once every effect asked for so far has run (tests; a clean stop). */
  async settled(): Promise<void> {
    while (this.queues.size > 0) await Promise.all(this.queues.values());
  }

  /** Records a machine Event against the Node. */
  async recordEvent(node: ObjectRef, rec: NodeEventRecord): Promise<void> {
    await this.deps.events.record(node, rec.type, rec.reason, rec.message, { source: SOURCE });
  }

  /** Writes the machine's conditions into the Node's status, keeping the others. */
  async writeConditions(nodeName: string, conditions: NodeCondition[]): Promise<void> {
    await this.updateNode(nodeName, 'status', (node) => {
      const status = isRecord(node.status) ? node.status : {};
      const others = recordList(status, 'conditions').filter((c) => !conditions.some((w) => w.type === c.type));
      return { ...node, status: { ...status, conditions: [...conditions, ...others] } };
    });
  }

  /** Puts taint `key` on the Node with `effects` (what is already there stays). */
  async taint(nodeName: string, key: string, effects: readonly TaintEffect[]): Promise<void> {
    const timeAdded = toKubernetesTime(this.now().getTime());
    await this.updateNode(nodeName, 'main', (node) => {
      const taints = withTaint(this.taintsOf(node), key, effects, timeAdded);
      return taints && { ...node, spec: { ...(isRecord(node.spec) ? node.spec : {}), taints } };
    });
  }

  /** Takes taint `key` off the Node. */
  async untaint(nodeName: string, key: string): Promise<void> {
    await this.updateNode(nodeName, 'main', (node) => {
      const taints = withoutTaint(this.taintsOf(node), key);
      return taints && { ...node, spec: { ...(isRecord(node.spec) ? node.spec : {}), taints } };
    });
  }

  /** The node left the cluster: its pods go at once (nobody is left to confirm a graceful stop). */
  async deletePods(nodeName: string): Promise<void> {
    const pods = (await this.deps.registry.list(PODS, undefined, { fieldSelector: `spec.nodeName=${nodeName}` })).items;
    for (const pod of pods) {
      try {
        await this.deps.registry.delete(PODS, pod.metadata?.namespace, pod.metadata?.name ?? '', {
          gracePeriodSeconds: 0,
          preconditions: { uid: pod.metadata?.uid },
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  private taintsOf(node: KubeObject): JsonObject[] {
    return recordList(isRecord(node.spec) ? node.spec : undefined, 'taints');
  }

  /** Read-modify-write of the Node (or its status); `change` returns undefined when nothing is to do. */
  private async updateNode(nodeName: string, target: 'main' | 'status', change: (node: KubeObject) => KubeObject | undefined): Promise<void> {
    try {
      await retryOnConflict(async () => {
        const next = change(await this.deps.registry.get(NODES, undefined, nodeName));
        if (!next) return;
        if (target === 'status') await this.deps.registry.updateStatus(NODES, undefined, nodeName, next);
        else await this.deps.registry.update(NODES, undefined, nodeName, next);
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Chains an effect after the node's earlier ones, logging its failure. */
  private enqueue(nodeName: string, effect: string, run: () => Promise<void>): void {
    const previous = this.queues.get(nodeName) ?? Promise.resolve();
    const next = previous.then(run).catch((err: unknown) => this.log.error({ err, effect, node: nodeName }, 'node effect failed'));
    this.queues.set(nodeName, next);
    void next.then(() => {
      if (this.queues.get(nodeName) === next) this.queues.delete(nodeName);
    });
  }
}
