/**
 * The pods of a lost node, failed through their own pod actors on the master (DESIGN.md §3: the
 * pod actor is the only writer of a pod's phase). The node controller's `failPods` effect lands
 * here: for each pod bound to the node that has not finished, the leader hosts the pod machine
 * (src/actors/pod/machine.ts), restored from the stored status (lost-pod-restore.ts), and sends
 * it `node.lost`. The machine's own transition decides Failed, reason NodeLost, with Kubernetes'
 * message ("Node N which was running pod P is unresponsive"), and its effects run here:
 *
 * - `reportStatus` → pods/status through the Registry: the machine's phase, reason and message
 *   over the stored status (the containers' last report stays: the master saw nothing newer);
 *   a write the API refuses (the pod finished meanwhile: 422 on status.phase) is dropped;
 * - `recordEvent` → a core/v1 Event on the pod (source node-controller);
 * - `removePod` (a pod already being deleted, which the lost node can no longer finish) → the
 *   pod is deleted with grace 0 and its uid as precondition, as the node would on finishing;
 * - everything else (sandbox, container starts and stops) is the node's and does nothing here.
 *
 * While the stored status is replayed, the machine's reports and Events are held back: they
 * happened on the node and were written then. Each actor's transitions go to the InspectionBus
 * (kind Pod), so the event stream shows `running → failed` on `node.lost`. The actor lives until
 * its writes settle; the next loss of the node hosts a new one, restored from the store again.
 */
import pino, { type Logger } from 'pino';
import { createActor } from 'xstate';
import type { PodStatus } from 'kubernetes-types/core/v1.js';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import { isRecord, type KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import { isTerminalPod } from '../../api/validation/pod-status.ts';
import type { EventSink, ObjectRef } from '../../registry/event-recorder.ts';
import type { Registry } from '../../registry/registry.ts';
import { isNotFound, retryOnConflict } from '../../registry/retry-on-conflict.ts';
import { InspectionBus } from '../inspection.ts';
import type { PodEventRecord } from '../pod/events.ts';
import { podMachine } from '../pod/machine.ts';
import { factsFromStoredPod, lostPodInput } from './lost-pod-restore.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;
/** Source of the Events the master's pod actors record. */
const SOURCE = { component: 'node-controller' };

export interface LostPodActorsDeps {
  registry: Registry;
  events: EventSink;
  bus?: InspectionBus;
  /** Epoch ms: the time the master stamps on `node.lost` (and on facts the status has no time for). */
  now?: () => number;
  logger?: Logger;
}

export class LostPodActors {
  /** Pods (by uid) whose actor is being failed right now: a second loss does not double it. */
  private readonly inFlight = new Set<string>();
  private readonly bus: InspectionBus;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(private readonly deps: LostPodActorsDeps) {
    this.bus = deps.bus ?? new InspectionBus();
    this.now = deps.now ?? Date.now;
    this.log = deps.logger ?? pino({ level: 'silent' });
  }

  /** Tells each unfinished pod bound to `nodeName`, through its own actor, that its node is lost. */
  async failPodsOf(nodeName: string): Promise<void> {
    const pods = (await this.deps.registry.list(PODS, undefined, { fieldSelector: `spec.nodeName=${nodeName}` })).items;
    // A finished pod has nothing left to lose; its machine could not be restored to its exact
    // finish from a status anyway (an Always pod never finishes by its containers).
    for (const pod of pods) if (!isTerminalPod(pod)) await this.failPod(pod);
  }

  /** One pod: restore its machine from the store, send `node.lost`, wait for its writes. */
  private async failPod(pod: KubeObject): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    if (this.inFlight.has(uid)) return;
    this.inFlight.add(uid);
    const ref: ObjectRef = { kind: 'Pod', apiVersion: 'v1', namespace: pod.metadata?.namespace, name: pod.metadata?.name ?? '', uid };
    const writes: Promise<void>[] = [];
    let replaying = true;
    // The machine reports after each of its steps (its containers stopping too); the master writes
    // only the verdict, once per change of it.
    let lastVerdict = '';
    const machine = podMachine.provide({
      actions: {
        reportStatus: (_, params: { status: PodStatus }) => {
          if (replaying) return;
          const verdict = JSON.stringify([params.status.phase, params.status.reason, params.status.message]);
          if (verdict === lastVerdict) return;
          lastVerdict = verdict;
          writes.push(this.writeStatus(ref, params.status));
        },
        recordEvent: (_, params: PodEventRecord) => {
          if (!replaying) writes.push(this.deps.events.record(ref, params.type, params.reason, params.message, { source: SOURCE }));
        },
        removePod: () => void writes.push(this.finishDeletion(ref)),
      },
    });
    const actor = createActor(machine, {
      input: lostPodInput(pod),
      inspect: this.bus.inspectorFor({ kind: 'Pod', namespace: ref.namespace, name: ref.name, uid, labels: pod.metadata?.labels }),
    });
    try {
      actor.start();
      for (const fact of factsFromStoredPod(pod, this.now())) actor.send(fact);
      replaying = false;
      actor.send({ type: 'node.lost', at: this.now() });
      await Promise.all(writes);
    } catch (err) {
      this.log.warn({ err, pod: `${ref.namespace}/${ref.name}` }, 'failing a pod of a lost node');
    } finally {
      actor.stop();
      this.inFlight.delete(uid);
    }
  }

  /** The machine's verdict (phase, reason, message) over the stored status of this very pod. */
  private async writeStatus(ref: ObjectRef, status: PodStatus): Promise<void> {
    try {
      await retryOnConflict(async () => {
        const current = await this.deps.registry.get(PODS, ref.namespace, ref.name);
        if (current.metadata?.uid !== ref.uid) return;
        const stored = isRecord(current.status) ? current.status : {};
        const verdict = { phase: status.phase, ...(status.reason ? { reason: status.reason } : {}), ...(status.message ? { message: status.message } : {}) };
        await this.deps.registry.updateStatus(PODS, ref.namespace, ref.name, { ...current, status: { ...stored, ...verdict } });
      });
    } catch (err) {
      if (isNotFound(err)) return;
      // The pod finished meanwhile (the API keeps terminal phases): its own report stands.
      if (err instanceof ApiError && err.reason === 'Invalid') {
        this.log.debug({ err, pod: `${ref.namespace}/${ref.name}` }, 'lost pod status refused');
        return;
      }
      throw err;
    }
  }

  /** The machine reached `terminated` (a delete the lost node cannot finish): the pod goes. */
  private async finishDeletion(ref: ObjectRef): Promise<void> {
    try {
      await this.deps.registry.delete(PODS, ref.namespace, ref.name, { gracePeriodSeconds: 0, preconditions: { uid: ref.uid } });
    } catch (err) {
      if (isNotFound(err) || (err instanceof ApiError && err.reason === 'Conflict')) return;
      throw err;
    }
  }
}
