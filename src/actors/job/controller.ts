/**
 * The Job controller (Kubernetes' pkg/controller/job): runs a Job's pods to completion, through
 * the Job's machine (machine.ts), which takes every decision.
 *
 * Informer handlers only enqueue the Job's key (and note expectations). `sync(key)` turns what the
 * informers hold into facts — finished pods counted once (tracking.ts), active and ready pods,
 * whether the last round of creates and deletes has come back through the watch (expectations),
 * the pod failure back-off (backoff.ts) — and sends them to the Job's actor as `job.observed`.
 * The machine's effect actions only queue I/O (controller-kit/effect-queue.ts); the sync then runs
 * it in the order asked: create or delete pods, write the status, release counted pods'
 * finalizers, delete a Job whose TTL ran out. A failed effect fails the sync, which the work queue
 * retries; the machine's alarm (`requeue`, on the controller's clock) brings the next sync at the
 * active deadline, the end of a back-off or the TTL. Pods whose Job is gone are released from
 * their finalizer under an `orphan:` key.
 */
import { createActor, type Actor } from 'xstate';
import pino, { type Logger } from 'pino';
import { apiVersionOf } from '../../api/kinds.ts';
import { objectKey } from '../../api/metadata.ts';
import type { KubeObject } from '../../api/object.ts';
import type { ControllerDeps, ControllerFactory } from '../controller-kit/controller.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import type { ObjectRef } from '../../registry/event-recorder.ts';
import type { ActorHost } from '../host.ts';
import { actorState, objectActors, startInOrder, stopAll, type OwnerControllerOptions } from '../controller-kit/object-actors.ts';
import { EffectQueue } from '../controller-kit/effect-queue.ts';
import { DEFAULT_EXPECTATIONS_TTL_MS, Expectations } from '../controller-kit/expectations.ts';
import { controllerRefOf, isActive, isReady, rankForDeletion } from '../controller-kit/pods.ts';
import { slowStartBatch } from '../controller-kit/slow-start.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';
import { podCreationAllowedAt } from './backoff.ts';
import { systemClock, WakeUps, type ControllerClock } from './clock.ts';
import type { JobObserved } from './context.ts';
import { JobEffects, JOBS, PODS } from './effects.ts';
import { jobSpec } from './job-spec.ts';
import { jobMachine, type JobEventRecord, type JobMachine } from './machine.ts';
import { jobMachineInput } from './status.ts';
import { holdsTrackingFinalizer, podsToRelease, tallyFinishedPods } from './tracking.ts';

/** Work keys for pods to release from a Job that is gone. */
const ORPHAN = 'orphan:';

export interface JobControllerOptions extends OwnerControllerOptions {
  /** Time and timers, the machines' too (tests: xstate's SimulatedClock). Default: the system clock. */
  clock?: ControllerClock;
  expectationsTtlMs?: number;
}

type JobActor = Actor<JobMachine>;

/** What the latest sync of a Job saw: what its machine's effects act on. */
interface JobView {
  job: KubeObject;
  pods: KubeObject[];
  active: KubeObject[];
  releasable: KubeObject[];
}

export class JobController {
  private readonly jobs: ObjectInformer;
  private readonly pods: ObjectInformer;
  /** Pod keys by the uid of the Job that controls them. */
  private readonly podsByJob = new Map<string, Set<string>>();
  private readonly host: ActorHost<KubeObject, JobActor>;
  private readonly views = new Map<string, JobView>();
  private readonly pending = new EffectQueue();
  /** Syncs the machines asked for that are not queued yet. */
  private requeues = 0;
  private readonly expectations: Expectations;
  private readonly queue: WorkQueue;
  private readonly wakeUps: WakeUps;
  private readonly effects: JobEffects;
  private readonly clock: ControllerClock;
  private readonly log: Logger;

  constructor(opts: JobControllerOptions) {
    this.clock = opts.clock ?? systemClock();
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.effects = new JobEffects(opts.registry, opts.events, this.log);
    this.expectations = new Expectations(() => this.clock.now(), opts.expectationsTtlMs ?? DEFAULT_EXPECTATIONS_TTL_MS);
    this.queue = new WorkQueue((key) => this.sync(key), { onError: (key, err) => this.log.warn({ err, key }, 'job sync failed; retrying') });
    this.wakeUps = new WakeUps(this.clock, (key) => this.queue.add(key));
    this.jobs = objectInformer(opts.store, JOBS);
    // The actor host hears a new Job before the handler that syncs it: a sync always finds its actor.
    this.host = objectActors<JobActor>(JOBS, this.jobs, opts.bus, (j, inspect) => {
      const key = objectKey(JOBS, j.metadata?.namespace, j.metadata?.name ?? '');
      return createActor(this.machineFor(key, j), { input: jobMachineInput(j, this.clock.now()), inspect, clock: this.clock }).start();
    });
    this.jobs.addHandlers({
      onAdd: (_j, key) => this.queue.add(key),
      onUpdate: (_o, _n, key) => this.queue.add(key),
      onDelete: (job, key) => {
        this.expectations.forget(key);
        this.wakeUps.cancel(key);
        this.views.delete(key);
        this.pending.forget(key);
        for (const podKey of this.podsByJob.get(job.metadata?.uid ?? '') ?? []) this.queue.add(ORPHAN + podKey);
      },
    });
    this.pods = objectInformer(opts.store, PODS, {
      onAdd: (pod, key) => this.podChanged(pod, key, true),
      onUpdate: (old, pod, key) => {
        if (pod.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) this.deletionObserved(pod);
        this.podChanged(pod, key, false);
      },
      onDelete: (pod, key) => {
        this.unindex(pod, key);
        this.deletionObserved(pod);
        const jobKey = this.jobKeyOf(pod);
        if (jobKey) this.queue.add(jobKey);
      },
    });
  }

  start(): Promise<void> {
    return startInOrder([this.pods, this.jobs], this.queue);
  }

  stop(): void {
    this.wakeUps.cancelAll();
    stopAll(this.queue, [this.jobs, this.pods], this.host);
  }

  /** The Job machine's state (`active`, `complete`, ...), for tests and the UI. */
  stateOf(namespace: string, name: string): string | undefined {
    return actorState(this.host, JOBS, namespace, name);
  }

  /** True when no sync is queued, running or asked for (tests wait on it). */
  idle(): boolean {
    return this.queue.length === 0 && this.requeues === 0;
  }

  /**
   * The machine's alarm asks for a sync. Not from inside the machine's own step: the sync would
   * send the machine its observation while that step still runs, so it would be taken in only
   * after the sync stopped waiting for its effects.
   */
  private requeue(key: string): void {
    this.requeues++;
    queueMicrotask(() => {
      this.requeues--;
      this.queue.add(key);
    });
  }

  // ---- sync: observe, let the machine decide, run what it asked for ----

  private async sync(key: string): Promise<void> {
    if (key.startsWith(ORPHAN)) return this.releaseOrphan(key.slice(ORPHAN.length));
    const job = this.jobs.get(key);
    const actor = this.host.get(key);
    if (!job || !actor) return;
    const pods = this.podsOf(job);
    const spec = jobSpec(job);
    const tally = tallyFinishedPods(job, pods, spec.suspend);
    const active = pods.filter(isActive);
    const releasable = podsToRelease(pods, tally, spec.suspend);
    this.views.set(key, { job, pods, active, releasable });
    const observation: JobObserved = {
      type: 'job.observed',
      at: this.clock.now(),
      spec,
      deleting: Boolean(job.metadata?.deletionTimestamp),
      counted: { succeeded: tally.succeeded, failed: tally.failed },
      uncounted: tally.uncounted,
      active: active.length,
      ready: active.filter(isReady).length,
      expectationsSatisfied: this.expectations.satisfied(key),
      podBackoffUntil: podCreationAllowedAt(pods),
      releasable: releasable.length,
    };
    actor.send(observation);
    await this.pending.run(key);
  }

  /** The Job machine with its effects queued for `key`'s sync, acting on what that sync saw. */
  private machineFor(key: string, job: KubeObject): JobMachine {
    const ref: ObjectRef = { kind: 'Job', apiVersion: apiVersionOf(JOBS), namespace: job.metadata?.namespace, name: job.metadata?.name ?? '', uid: job.metadata?.uid };
    const later = (effect: (view: JobView) => Promise<boolean | void>) => {
      const view = this.views.get(key);
      if (view) this.pending.add(key, () => effect(view));
    };
    return jobMachine.provide({
      actions: {
        createPods: (_, { count }: { count: number }) => later((v) => this.createPods(key, v, count)),
        deletePods: (_, { count }: { count: number }) => later((v) => this.deletePods(key, v, count)),
        writeStatus: (_, { status }) => later((v) => this.effects.writeStatus(v.job, status)),
        releasePods: () => later(async (v) => void (await Promise.all(v.releasable.map((p) => this.effects.releasePod(p))))),
        deleteJob: () => later((v) => this.effects.deleteJob(v.job)),
        recordEvent: (_, rec: JobEventRecord) => this.effects.record(ref, rec),
        requeue: () => this.requeue(key),
      },
    });
  }

  /** Creates `count` pods in slow-start batches, expecting each back through the watch. */
  private async createPods(key: string, view: JobView, count: number): Promise<void> {
    this.expectations.expectCreations(key, count);
    // Should a creation never be seen, the expectation lapses: look again then.
    this.wakeUps.at(key, this.clock.now() + this.expectations.ttlMs);
    const { succeeded, error } = await slowStartBatch(count, 1, () => this.effects.createPod(view.job));
    for (let i = succeeded; i < count; i++) this.expectations.creationObserved(key);
    if (error !== undefined) throw error instanceof Error ? error : new Error(String(error));
  }

  /** Deletes `count` active pods, the ones Kubernetes would delete first. */
  private async deletePods(key: string, view: JobView, count: number): Promise<void> {
    const victims = rankForDeletion(view.active).slice(0, count);
    this.expectations.expectDeletions(key, victims.map((p) => p.metadata?.uid ?? ''));
    const results = await Promise.allSettled(victims.map((pod) => this.effects.deletePod(view.job, pod)));
    results.forEach((r, i) => {
      if (r.status === 'rejected' || !r.value) this.expectations.deletionObserved(key, victims[i]?.metadata?.uid ?? '');
    });
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
  }

  /** A pod still holding the tracking finalizer whose Job is gone: let it go. */
  private async releaseOrphan(podKey: string): Promise<void> {
    const pod = this.pods.get(podKey);
    if (!pod || !holdsTrackingFinalizer(pod)) return;
    const jobKey = this.jobKeyOf(pod);
    if (jobKey) this.queue.add(jobKey);
    else await this.effects.releasePod(pod);
  }

  // ---- pod events ----

  private podChanged(pod: KubeObject, key: string, added: boolean): void {
    const ref = controllerRefOf(pod);
    if (ref?.kind !== 'Job' || ref.apiVersion !== apiVersionOf(JOBS)) return;
    const uid = String(ref.uid ?? '');
    let set = this.podsByJob.get(uid);
    if (!set) this.podsByJob.set(uid, (set = new Set()));
    set.add(key);
    const jobKey = this.jobKeyOf(pod);
    if (!jobKey) {
      if (holdsTrackingFinalizer(pod)) this.queue.add(ORPHAN + key);
      return;
    }
    if (added) this.expectations.creationObserved(jobKey);
    this.queue.add(jobKey);
  }

  private unindex(pod: KubeObject, key: string): void {
    const uid = String(controllerRefOf(pod)?.uid ?? '');
    const set = this.podsByJob.get(uid);
    set?.delete(key);
    if (set?.size === 0) this.podsByJob.delete(uid);
  }

  private deletionObserved(pod: KubeObject): void {
    const jobKey = this.jobKeyOf(pod);
    if (jobKey) this.expectations.deletionObserved(jobKey, pod.metadata?.uid ?? '');
  }

  /** The key of the Job that controls `pod`, while that Job exists. */
  private jobKeyOf(pod: KubeObject): string | undefined {
    const ref = controllerRefOf(pod);
    if (ref?.kind !== 'Job' || typeof ref.name !== 'string') return undefined;
    const key = objectKey(JOBS, pod.metadata?.namespace, ref.name);
    return this.jobs.get(key)?.metadata?.uid === ref.uid ? key : undefined;
  }

  private podsOf(job: KubeObject): KubeObject[] {
    const keys = this.podsByJob.get(job.metadata?.uid ?? '') ?? new Set<string>();
    return [...keys].map((k) => this.pods.get(k)).filter((p): p is KubeObject => p !== undefined);
  }
}

/** The Job controller (batch/v1), on the system clock. */
export const jobControllerFactory: ControllerFactory = (deps: ControllerDeps) =>
  new JobController({ store: deps.store, registry: deps.registry, events: deps.events, bus: deps.bus, logger: deps.logger, clock: systemClock(deps.now) });
