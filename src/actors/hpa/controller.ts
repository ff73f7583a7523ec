/**
 * The HorizontalPodAutoscaler controller (autoscaling/v2, Resource metrics cpu and memory).
 *
 * Every HPA is evaluated every 15 s (Kubernetes' --horizontal-pod-autoscaler-sync-period) on the
 * injected clock, and at once when it is created or its spec changes (its own status writes do
 * not re-trigger it). `sync(key)` reads the HPA and its target's /scale through the Registry,
 * selects the target's pods (informer cache) by the Scale's selector, takes their usage from the
 * PodMetricsSource, evaluates (evaluate.ts), writes /scale when the size changes (Event
 * SuccessfulRescale), then the status, and tells the HPA's actor (machine.ts) the outcome.
 * Recommendations for stabilization are kept in memory per HPA, as Kubernetes does: a new
 * leader starts without history.
 */
import pino, { type Logger } from 'pino';
import { createActor, type Actor } from 'xstate';
import { findResource, type ResourceInfo } from '../../api/kinds.ts';
import { isRecord, type KubeObject } from '../../api/object.ts';
import { LabelSelector } from '../../api/selectors.ts';
import type { Scale } from '../../registry/types.ts';
import type { ControllerDeps, ControllerFactory } from '../controller-kit/controller.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import { isNotFound } from '../../registry/retry-on-conflict.ts';
import type { PodMetricsSource } from '../../metrics/types.ts';
import type { ActorHost } from '../host.ts';
import { objectActors, startInOrder, stopAll, type OwnerControllerOptions } from '../controller-kit/object-actors.ts';
import { isActive } from '../controller-kit/pods.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';
import { systemClock, WakeUps, type ControllerClock } from '../job/clock.ts';
import { evaluate, type Evaluation } from './evaluate.ts';
import { HpaEffects, HPAS, UnscalableTargetError } from './effects.ts';
import { hpaSpec } from './hpa-spec.ts';
import { hpaMachine } from './machine.ts';
import type { Recommendation } from './normalize.ts';
import { podSamples } from './pod-samples.ts';
import { hpaStatus } from './status.ts';
import { errorMessage } from '../../api/error-message.ts';

const PODS = findResource('', 'v1', 'pods') as ResourceInfo;

/** Kubernetes' --horizontal-pod-autoscaler-sync-period. */
export const SYNC_PERIOD_MS = 15_000;

export interface HpaControllerOptions extends OwnerControllerOptions {
  metrics: PodMetricsSource;
  /** Time and timers (tests: xstate's SimulatedClock). */
  clock?: ControllerClock;
  syncPeriodMs?: number;
}

export class HpaController {
  private readonly hpas: ObjectInformer;
  private readonly pods: ObjectInformer;
  private readonly actors: ActorHost<KubeObject, Actor<typeof hpaMachine>>;
  private readonly queue: WorkQueue;
  private readonly wakeUps: WakeUps;
  private readonly effects: HpaEffects;
  private readonly clock: ControllerClock;
  private readonly log: Logger;
  private readonly recommendations = new Map<string, Recommendation[]>();
  private readonly syncPeriodMs: number;

  constructor(private readonly opts: HpaControllerOptions) {
    this.clock = opts.clock ?? systemClock();
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.syncPeriodMs = opts.syncPeriodMs ?? SYNC_PERIOD_MS;
    this.effects = new HpaEffects(opts.registry, opts.events);
    this.queue = new WorkQueue((key) => this.sync(key), { onError: (key, err) => this.log.warn({ err, key }, 'hpa sync failed; retrying') });
    this.wakeUps = new WakeUps(this.clock, (key) => this.queue.add(key));
    this.hpas = objectInformer(opts.store, HPAS, {
      onAdd: (_h, key) => this.queue.add(key),
      // Only spec changes: the status this controller writes must not re-evaluate at once.
      onUpdate: (old, hpa, key) => {
        if (old.metadata?.generation !== hpa.metadata?.generation) this.queue.add(key);
      },
      onDelete: (_h, key) => {
        this.wakeUps.cancel(key);
        this.recommendations.delete(key);
      },
    });
    this.pods = objectInformer(opts.store, PODS);
    this.actors = objectActors(HPAS, this.hpas, opts.bus, (_h, inspect) => createActor(hpaMachine, { inspect }).start());
  }

  start(): Promise<void> {
    return startInOrder([this.pods, this.hpas], this.queue);
  }

  stop(): void {
    this.wakeUps.cancelAll();
    stopAll(this.queue, [this.hpas, this.pods], this.actors);
  }

  /** True when no sync is queued or running (tests wait on it). */
  idle(): boolean {
    return this.queue.length === 0;
  }

  /** The state of an HPA's actor (`steady`, `scalingUp`, …), by store key. */
  stateOf(key: string): string | undefined {
    const value = this.actors.get(key)?.getSnapshot().value;
    return typeof value === 'string' ? value : undefined;
  }

  private async sync(key: string): Promise<void> {
    const cached = this.hpas.get(key);
    if (!cached) return;
    const ns = cached.metadata?.namespace ?? '';
    let hpa: KubeObject;
    try {
      hpa = await this.opts.registry.get(HPAS, ns, cached.metadata?.name ?? '');
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (hpa.metadata?.deletionTimestamp) return;
    const now = this.clock.now();
    // The next periodic evaluation, whatever happens below (a failure retries sooner through the queue).
    this.wakeUps.at(key, now + this.syncPeriodMs);
    const spec = hpaSpec(hpa);

    let info: ResourceInfo;
    let scale: Scale;
    try {
      info = this.effects.targetInfo(spec.target.apiVersion, spec.target.kind);
      scale = await this.effects.getScale(info, ns, spec.target.name);
    } catch (err) {
      if (!(err instanceof UnscalableTargetError) && !isNotFound(err)) throw err;
      const message = `the HPA controller was unable to get the target's current scale: ${errorMessage(err)}`;
      this.effects.record(hpa, 'Warning', 'FailedGetScale', message);
      await this.effects.writeStatus(hpa, hpaStatus(hpa, { currentReplicas: 0, desiredReplicas: 0, metrics: [], conditions: { AbleToScale: { status: 'False', reason: 'FailedGetScale', message } }, now }));
      this.actors.get(key)?.send({ type: 'hpa.failed', reason: 'FailedGetScale', at: now });
      return;
    }

    const currentReplicas = scale.spec.replicas ?? 0;
    const pods = this.targetPods(ns, scale.status.selector);
    const evaluation = evaluate({
      spec,
      currentReplicas,
      samples: (target) => podSamples(pods, target.resource, (pod) => this.opts.metrics.getPod(ns, pod.metadata?.name ?? '')),
      recommendations: this.recommendations.get(key) ?? [],
      now,
    });
    this.recommendations.set(key, evaluation.recommendations);
    const rescaledAt = await this.rescale(hpa, info, ns, scale, evaluation, now);
    await this.effects.writeStatus(hpa, hpaStatus(hpa, { ...evaluation, rescaledAt, now }));

    const actor = this.actors.get(key);
    if (evaluation.failure) {
      this.effects.record(hpa, 'Warning', evaluation.failure.reason, evaluation.failure.message);
      actor?.send({ type: 'hpa.failed', reason: evaluation.failure.reason, at: now });
    } else {
      actor?.send({ type: 'hpa.evaluated', currentReplicas, desiredReplicas: evaluation.desiredReplicas, limited: evaluation.conditions.ScalingLimited?.status === 'True', at: now });
    }
  }

  /** Writes the new size when it changes; returns when it did. */
  private async rescale(hpa: KubeObject, info: ResourceInfo, ns: string, scale: Scale, evaluation: Evaluation, now: number): Promise<number | undefined> {
    if (evaluation.desiredReplicas === evaluation.currentReplicas || evaluation.rescaleReason === undefined) return undefined;
    try {
      await this.effects.updateScale(info, ns, scale, evaluation.desiredReplicas);
    } catch (err) {
      const message = `the HPA controller was unable to update the target scale: ${errorMessage(err)}`;
      this.effects.record(hpa, 'Warning', 'FailedRescale', `New size: ${evaluation.desiredReplicas}; reason: ${evaluation.rescaleReason}; error: ${errorMessage(err)}`);
      await this.effects.writeStatus(hpa, hpaStatus(hpa, { ...evaluation, conditions: { AbleToScale: { status: 'False', reason: 'FailedUpdateScale', message } }, now }));
      throw err;
    }
    this.effects.record(hpa, 'Normal', 'SuccessfulRescale', `New size: ${evaluation.desiredReplicas}; reason: ${evaluation.rescaleReason}`);
    evaluation.conditions.AbleToScale = { status: 'True', reason: 'SucceededRescale', message: `the HPA controller was able to update the target scale to ${evaluation.desiredReplicas}` };
    return now;
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
    new HpaController({ store: deps.store, registry: deps.registry, events: deps.events, bus: deps.bus, logger: deps.logger, metrics, clock: systemClock(deps.now) });
}
