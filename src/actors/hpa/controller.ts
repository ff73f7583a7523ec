/**
 * The HorizontalPodAutoscaler controller (autoscaling/v2, Resource metrics cpu and memory).
 *
 * The controller observes; each HPA's machine (machine.ts) decides. `sync(key)` reads the HPA
 * and its target's /scale through the Registry, selects the target's pods (informer cache) by
 * the Scale's selector, takes their usage from the PodMetricsSource, and sends the HPA's actor
 * `hpa.observed`. The machine evaluates (evaluate.ts), and its guards choose whether to write
 * the new size and the status, through the effects provided here (Registry and Events). The
 * machine's own timer asks for the next evaluation every 15 s (Kubernetes'
 * --horizontal-pod-autoscaler-sync-period) on the injected clock; a new or changed spec is
 * evaluated at once (status writes do not re-trigger it). Recommendations for stabilization are
 * kept in each machine's context, as Kubernetes keeps them in memory: a new leader starts
 * without history.
 */
import pino, { type Logger } from 'pino';
import { createActor, fromPromise, type Actor } from 'xstate';
import { errorMessage } from '../../api/error-message.ts';
import { findResource, type ResourceInfo } from '../../api/kinds.ts';
import { objectKey } from '../../api/metadata.ts';
import { isRecord, type KubeObject } from '../../api/object.ts';
import { LabelSelector } from '../../api/selectors.ts';
import type { ControllerDeps, ControllerFactory } from '../controller-kit/controller.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import { isNotFound } from '../../registry/retry-on-conflict.ts';
import type { PodMetricsSource } from '../../metrics/types.ts';
import type { ActorHost } from '../host.ts';
import { stateValueToString } from '../inspection.ts';
import { roundOver } from '../controller-kit/machine-round.ts';
import { objectActors, startInOrder, stopAll, type OwnerControllerOptions } from '../controller-kit/object-actors.ts';
import { isActive } from '../controller-kit/pods.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';
import { systemClock, type ControllerClock } from '../job/clock.ts';
import { HpaEffects, HPAS, UnscalableTargetError } from './effects.ts';
import { hpaSpec, type HpaSpec, type ResourceName } from './hpa-spec.ts';
import { BUSY, hpaMachine, type HpaContext, type HpaEventRecord, type HpaFacts, type RescaleInput, type WriteStatusInput } from './machine.ts';
import { podSamples } from './pod-samples.ts';
import type { PodResourceSample } from './replica-calculator.ts';

export { SYNC_PERIOD_MS } from './machine.ts';

const PODS = findResource('', 'v1', 'pods') as ResourceInfo;

export interface HpaControllerOptions extends OwnerControllerOptions {
  metrics: PodMetricsSource;
  /** Time and the machines' timers (tests: xstate's SimulatedClock). */
  clock?: ControllerClock;
  syncPeriodMs?: number;
}

type HpaActor = Actor<typeof hpaMachine>;

export class HpaController {
  private readonly hpas: ObjectInformer;
  private readonly pods: ObjectInformer;
  private readonly actors: ActorHost<KubeObject, HpaActor>;
  private readonly queue: WorkQueue;
  private readonly effects: HpaEffects;
  private readonly clock: ControllerClock;
  private readonly log: Logger;

  constructor(private readonly opts: HpaControllerOptions) {
    this.clock = opts.clock ?? systemClock();
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.effects = new HpaEffects(opts.registry, opts.events);
    this.queue = new WorkQueue((key) => this.sync(key), { onError: (key, err) => this.log.warn({ err, key }, 'hpa sync failed; retrying') });
    this.hpas = objectInformer(opts.store, HPAS);
    this.pods = objectInformer(opts.store, PODS);
    const machine = this.provideEffects();
    this.actors = objectActors(HPAS, this.hpas, opts.bus, (hpa, inspect) =>
      createActor(machine, { input: { namespace: hpa.metadata?.namespace, name: hpa.metadata?.name ?? '', syncPeriodMs: opts.syncPeriodMs }, inspect, clock: this.clock }).start(),
    );
    // Registered after the actor host's, so an HPA's actor exists when its first sync runs.
    this.hpas.addHandlers({
      onAdd: (_h, key) => this.queue.add(key),
      // Only spec changes: the status this controller writes must not re-evaluate at once.
      onUpdate: (old, hpa, key) => {
        if (old.metadata?.generation !== hpa.metadata?.generation) this.queue.add(key);
      },
    });
  }

  start(): Promise<void> {
    return startInOrder([this.pods, this.hpas], this.queue);
  }

  stop(): void {
    stopAll(this.queue, [this.hpas, this.pods], this.actors);
  }

  /** True when no sync is queued or running (tests wait on it). */
  idle(): boolean {
    return this.queue.length === 0;
  }

  /** The state of an HPA's actor (`steady`, `scalingUp`, `stabilizing`, …), by store key. */
  stateOf(key: string): string | undefined {
    const actor = this.actors.get(key);
    return actor ? stateValueToString(actor.getSnapshot().value) : undefined;
  }

  /** Reads what the HPA's machine decides on and sends it; waits for the machine's round. */
  private async sync(key: string): Promise<void> {
    const cached = this.hpas.get(key);
    const actor = this.actors.get(key);
    if (!cached || !actor) return;
    const ns = cached.metadata?.namespace ?? '';
    let hpa: KubeObject;
    try {
      hpa = await this.opts.registry.get(HPAS, ns, cached.metadata?.name ?? '');
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const spec = hpaSpec(hpa);
    const now = this.clock.now();
    let target: HpaFacts['target'];
    try {
      target = { scale: await this.effects.getScale(this.effects.targetInfo(spec.target.apiVersion, spec.target.kind), ns, spec.target.name) };
    } catch (err) {
      if (!(err instanceof UnscalableTargetError) && !isNotFound(err)) throw err;
      target = { error: errorMessage(err) };
    }
    const samples = 'scale' in target ? this.samplesOf(ns, target.scale.status.selector, spec) : {};
    actor.send({ type: 'hpa.observed', facts: { hpa, now, target, samples } });
    const snapshot = await roundOver(actor, BUSY);
    if (snapshot.context.error !== undefined) throw snapshot.context.error;
  }

  /** The machine with this controller's effects: /scale and status writes, Events, the next sync. */
  private provideEffects() {
    return hpaMachine.provide({
      actors: {
        rescale: fromPromise<void, RescaleInput>(({ input }) => {
          const { target } = hpaSpec(input.hpa);
          return this.effects.updateScale(this.effects.targetInfo(target.apiVersion, target.kind), input.hpa.metadata?.namespace ?? '', input.scale, input.replicas);
        }),
        writeStatus: fromPromise<void, WriteStatusInput>(({ input }) => this.effects.writeStatus(input.hpa, input.status)),
      },
      actions: {
        recordEvent: ({ context }: { context: HpaContext }, e: HpaEventRecord) => {
          if (context.facts) this.effects.record(context.facts.hpa, e.type, e.reason, e.message);
        },
        requestSync: ({ context }: { context: HpaContext }) => this.queue.add(objectKey(HPAS, context.namespace, context.name)),
      },
    });
  }

  /** Samples of the target's pods for each resource the spec's metrics use. */
  private samplesOf(ns: string, selector: string | undefined, spec: HpaSpec): Partial<Record<ResourceName, PodResourceSample[]>> {
    const pods = this.targetPods(ns, selector);
    const samples: Partial<Record<ResourceName, PodResourceSample[]>> = {};
    for (const { resource } of spec.metrics) samples[resource] ??= podSamples(pods, resource, (pod) => this.opts.metrics.getPod(ns, pod.metadata?.name ?? ''));
    return samples;
  }

  /** The target's pods that count: in the namespace, matching the selector, not finished or terminating. */
  private targetPods(ns: string, selector: string | undefined): KubeObject[] {
    if (!selector) return [];
    const sel = LabelSelector.parse(selector);
    return this.pods.list().filter((p) => p.metadata?.namespace === ns && sel.matches(p.metadata?.labels) && isActive(p) && isRecord(p.spec));
  }
}

/** The HPA controller reading usage from `metrics` (the master's PodMetricsStore), on the system clock. */
export function hpaControllerFactory(metrics: PodMetricsSource): ControllerFactory {
  return (deps: ControllerDeps) =>
    new HpaController({ store: deps.store, registry: deps.registry, events: deps.events, bus: deps.bus, logger: deps.logger, metrics, clock: systemClock(deps.now), syncPeriodMs: deps.horizontalPodAutoscalerSyncPeriodMs });
}
