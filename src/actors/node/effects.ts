/**
 * The node machine's effects in the cluster: its named actions (`recordEvent`, `failPods`,
 * `deletePods`) and the two writes the node controller makes on reachability changes
 * (`markUnreachable`, `markReachable`), all through the Registry, never through HTTP.
 *
 * Machine actions are synchronous; each effect runs in the background and logs its failure.
 * Every effect is idempotent and level-based (it reads the current objects and changes only what
 * differs), so running one twice, or after a leader change, does no harm.
 */
import type { NodeCondition } from 'kubernetes-types/core/v1.js';
import pino, { type Logger } from 'pino';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import { isRecord, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';
import type { Registry } from '../../registry/registry.ts';
import type { EventSink, ObjectRef } from '../../registry/event-recorder.ts';
import { isNotFound, retryOnConflict } from '../../registry/retry-on-conflict.ts';
import { toKubernetesTime } from '../../api/kubernetes-time.ts';
import type { NodeEffectParams, NodeEventRecord } from './events.ts';
import { nodeMachine, type NodeMachine } from './machine.ts';

const NODES = findKind('v1', 'Node') as ResourceInfo;
const PODS = findKind('v1', 'Pod') as ResourceInfo;

/** The taint an unreachable node carries (Kubernetes' TaintNodeUnreachable). */
export const UNREACHABLE_TAINT_KEY = 'node.kubernetes.io/unreachable';
/** Source of the Events this controller records. */
const SOURCE = { component: 'node-controller' };

export interface NodeEffectsDeps {
  registry: Registry;
  events: EventSink;
  now?: () => Date;
  logger?: Logger;
}

const phaseOf = (pod: KubeObject): unknown => (isRecord(pod.status) ? pod.status.phase : undefined);
const isTerminal = (pod: KubeObject): boolean => phaseOf(pod) === 'Succeeded' || phaseOf(pod) === 'Failed';

export class NodeEffects {
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly deps: NodeEffectsDeps) {
    this.now = deps.now ?? (() => new Date());
    this.log = deps.logger ?? pino({ level: 'silent' });
  }

  /** The node machine for `node` with these effects supplied. */
  machineFor(node: ObjectRef): NodeMachine {
    return nodeMachine.provide({
      actions: {
        recordEvent: (_, params: NodeEffectParams['recordEvent']) => this.background('recordEvent', () => this.recordEvent(node, params)),
        failPods: (_, params: NodeEffectParams['failPods']) => this.background('failPods', () => this.failPods(params.nodeName)),
        deletePods: (_, params: NodeEffectParams['deletePods']) => this.background('deletePods', () => this.deletePods(params.nodeName)),
      },
    });
  }

  /** Records a machine Event against the Node. */
  async recordEvent(node: ObjectRef, rec: NodeEventRecord): Promise<void> {
    await this.deps.events.record(node, rec.type, rec.reason, rec.message, { source: SOURCE });
  }

  /** Every pod on the node that has not finished becomes Failed (reason NodeLost), with an Event each. */
  async failPods(nodeName: string): Promise<void> {
    for (const pod of await this.podsOn(nodeName)) {
      if (isTerminal(pod)) continue;
      const namespace = pod.metadata?.namespace ?? '';
      const name = pod.metadata?.name ?? '';
      const message = `Node ${nodeName} which was running pod ${name} is unresponsive`;
      try {
        const failed = await retryOnConflict(async () => {
          const current = await this.deps.registry.get(PODS, namespace, name);
          if (current.metadata?.uid !== pod.metadata?.uid || isTerminal(current)) return false;
          const status = isRecord(current.status) ? current.status : {};
          await this.deps.registry.updateStatus(PODS, namespace, name, { ...current, status: { ...status, phase: 'Failed', reason: 'NodeLost', message } });
          return true;
        });
        if (failed) await this.deps.events.record({ kind: 'Pod', apiVersion: 'v1', namespace, name, uid: pod.metadata?.uid }, 'Warning', 'NodeLost', message, { source: SOURCE });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /** The node left the cluster: its pods go at once (nobody is left to confirm a graceful stop). */
  async deletePods(nodeName: string): Promise<void> {
    for (const pod of await this.podsOn(nodeName)) {
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

  /** Heartbeats stopped: write the machine's conditions (Ready Unknown) and taint the node unreachable. */
  async markUnreachable(nodeName: string, conditions: NodeCondition[]): Promise<void> {
    await this.updateNode(nodeName, 'status', (node) => {
      const status = isRecord(node.status) ? node.status : {};
      const others = recordList(status, 'conditions').filter((c) => !conditions.some((w) => w.type === c.type));
      return { ...node, status: { ...status, conditions: [...conditions, ...others] } };
    });
    const timeAdded = toKubernetesTime(this.now().getTime());
    await this.updateNode(nodeName, 'main', (node) => {
      const taints = this.taintsOf(node);
      if (taints.some((t) => t.key === UNREACHABLE_TAINT_KEY)) return undefined;
      const added = [
        { key: UNREACHABLE_TAINT_KEY, effect: 'NoSchedule' },
        { key: UNREACHABLE_TAINT_KEY, effect: 'NoExecute', timeAdded },
      ];
      return { ...node, spec: { ...(isRecord(node.spec) ? node.spec : {}), taints: [...taints, ...added] } };
    });
  }

  /** Heartbeats are back: the unreachable taints go (the gateway writes Ready from the heartbeat). */
  async markReachable(nodeName: string): Promise<void> {
    await this.updateNode(nodeName, 'main', (node) => {
      const taints = this.taintsOf(node);
      const kept = taints.filter((t) => t.key !== UNREACHABLE_TAINT_KEY);
      if (kept.length === taints.length) return undefined;
      return { ...node, spec: { ...(isRecord(node.spec) ? node.spec : {}), taints: kept } };
    });
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

  private async podsOn(nodeName: string): Promise<KubeObject[]> {
    return (await this.deps.registry.list(PODS, undefined, { fieldSelector: `spec.nodeName=${nodeName}` })).items;
  }

  /** Runs an effect outside the (synchronous) machine action, logging its failure. */
  background(effect: string, run: () => Promise<void>): void {
    run().catch((err: unknown) => this.log.error({ err, effect }, 'node effect failed'));
  }
}
