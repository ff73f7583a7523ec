/**
 * The Job controller (Kubernetes' pkg/controller/job): runs a Job's pods to completion.
 *
 * Informer handlers only enqueue the Job's key (and note expectations); `sync(key)` counts the
 * Job's finished pods once (tracking.ts), decides (decide.ts), creates or deletes pods when no
 * earlier round is still in flight (expectations), writes status, releases counted pods'
 * finalizers, tells the Job's machine what it saw, and sets wake-ups on the injected clock for
 * activeDeadlineSeconds and ttlSecondsAfterFinished. Failed pods are replaced only after the
 * pod failure back-off (backoff.ts). Failed syncs are retried with backoff by the work queue.
 * Pods whose Job is gone are released from their finalizer under an `orphan:` key.
 */
import { createActor, type Actor } from 'xstate';
import pino, { type Logger } from 'pino';
import { apiVersionOf } from '../../api/kinds.ts';
import { objectKey } from '../../api/metadata.ts';
import type { KubeObject } from '../../api/object.ts';
import type { ControllerDeps, ControllerFactory } from '../controller-kit/controller.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import type { ActorHost } from '../host.ts';
import { actorState, objectActors, startInOrder, stopAll, type OwnerControllerOptions } from '../controller-kit/object-actors.ts';
import { DEFAULT_EXPECTATIONS_TTL_MS, Expectations } from '../controller-kit/expectations.ts';
import { controllerRefOf, isActive, isReady, rankForDeletion } from '../controller-kit/pods.ts';
import { slowStartBatch } from '../controller-kit/slow-start.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';
import { podCreationAllowedAt } from './backoff.ts';
import { systemClock, WakeUps, type ControllerClock } from './clock.ts';
import { decideJob, type JobDecision } from './decide.ts';
import { JobEffects, JOBS, PODS } from './effects.ts';
import { finishedCondition, jobSpec, jobStatus, parseTime } from './job-spec.ts';
import type { JobMachine } from './machine.ts';
import { calculateJobStatus } from './status.ts';
import { effectiveCounts, holdsTrackingFinalizer, podsToRelease, tallyFinishedPods } from './tracking.ts';

/** Work keys for pods to release from a Job that is gone. */
const ORPHAN = 'orphan:';

export interface JobControllerOptions extends OwnerControllerOptions {
  /** Time and timers (tests: xstate's SimulatedClock). Default: the system clock. */
  clock?: ControllerClock;
  expectationsTtlMs?: number;
}

type JobActor = Actor<JobMachine>;

export class JobController {
  private readonly jobs: ObjectInformer;
  private readonly pods: ObjectInformer;
  /** Pod keys by the uid of the Job that controls them. */
  private readonly podsByJob = new Map<string, Set<string>>();
  private readonly host: ActorHost<KubeObject, JobActor>;
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
    this.jobs = objectInformer(opts.store, JOBS, {
      onAdd: (_j, key) => this.queue.add(key),
      onUpdate: (_o, _n, key) => this.queue.add(key),
      onDelete: (job, key) => {
        this.expectations.forget(key);
        this.wakeUps.cancel(key);
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
    this.host = objectActors<JobActor>(JOBS, this.jobs, opts.bus, (j, inspect) => {
      const ref = { kind: 'Job', apiVersion: apiVersionOf(JOBS), namespace: j.metadata?.namespace, name: j.metadata?.name ?? '', uid: j.metadata?.uid };
      const input = { finished: finishedCondition(j)?.type, suspended: jobSpec(j).suspend };
      return createActor(this.effects.machineFor(ref), { input, inspect }).start();
    });
  }

  start(): Promise<void> {
    return startInOrder([this.pods, this.jobs], this.queue);
  }

  stop(): void {
    this.wakeUps.cancelAll();
    stopAll(this.queue, [this.jobs, this.pods], this.host);
  }

  /** The Job machine's state (`running`, `complete`, ...), for tests and the UI. */
  stateOf(namespace: string, name: string): string | undefined {
    return actorState(this.host, JOBS, namespace, name);
  }

  /** True when no sync is queued or running (tests wait on it). */
  idle(): boolean {
    return this.queue.length === 0;
  }

  // ---- sync ----

  private async sync(key: string): Promise<void> {
    if (key.startsWith(ORPHAN)) return this.releaseOrphan(key.slice(ORPHAN.length));
    const job = this.jobs.get(key);
    if (!job) return;
    const pods = this.podsOf(job);
    const spec = jobSpec(job);
    const now = this.clock.now();
    const finished = finishedCondition(job);
    const deleting = Boolean(job.metadata?.deletionTimestamp);
    const tally = tallyFinishedPods(job, pods, spec.suspend);
    const active = pods.filter(isActive);
    let activeCount = active.length;

    let decision: JobDecision | undefined;
    let failure: unknown;
    if (!finished && !deleting) {
      decision = decideJob({ spec, ...effectiveCounts(tally), active: active.length, startTime: parseTime(jobStatus(job).startTime), now });
    }
    if (!deleting && (decision?.finish || finished || this.expectations.satisfied(key))) {
      const result = await this.manageJob(key, job, active, this.afterBackoff(key, pods, active.length, decision?.wantActive ?? 0, now));
      activeCount = result.active;
      failure = result.error;
    }

    const counts = { active: activeCount, ready: active.filter(isReady).length };
    const status = calculateJobStatus(job, tally, counts, decision, now);
    if (!(await this.effects.writeStatus(job, status))) return;
    await Promise.all(podsToRelease(pods, tally, spec.suspend).map((p) => this.effects.releasePod(p)));

    const effective = effectiveCounts(tally);
    const actor = this.host.get(key);
    if (actor?.getSnapshot().status === 'active') actor.send({ type: 'job.synced', active: counts.active, ...effective, suspended: spec.suspend, finish: decision?.finish });
    this.scheduleWakeUps(key, job, decision, finished?.at, now);
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error(String(failure));
  }

  /** `want`, unless it means creating pods while failed ones hold the Job in back-off: then wake when that ends. */
  private afterBackoff(key: string, pods: KubeObject[], active: number, want: number, now: number): number {
    if (want <= active) return want;
    const allowedAt = podCreationAllowedAt(pods);
    if (allowedAt === undefined || now >= allowedAt) return want;
    this.wakeUps.at(key, allowedAt);
    return active;
  }

  /** Creates or deletes pods so `want` are active (Kubernetes' manageJob); returns how many are active afterwards. */
  private async manageJob(key: string, job: KubeObject, active: KubeObject[], want: number): Promise<{ active: number; error?: unknown }> {
    const diff = active.length - want;
    if (diff < 0) {
      const count = -diff;
      this.expectations.expectCreations(key, count);
      this.wakeUps.at(key, this.clock.now() + this.expectations.ttlMs);
      const { succeeded, error } = await slowStartBatch(count, 1, () => this.effects.createPod(job));
      for (let i = succeeded; i < count; i++) this.expectations.creationObserved(key);
      // Created pods count as active at once, as Kubernetes reports them.
      return { active: active.length + succeeded, error };
    }
    if (diff > 0) {
      const victims = rankForDeletion(active).slice(0, diff);
      this.expectations.expectDeletions(key, victims.map((p) => p.metadata?.uid ?? ''));
      const results = await Promise.allSettled(victims.map((pod) => this.effects.deletePod(job, pod)));
      results.forEach((r, i) => {
        if (r.status === 'rejected' || !r.value) this.expectations.deletionObserved(key, victims[i]?.metadata?.uid ?? '');
      });
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      return { active: active.length - victims.length, error: failed?.reason };
    }
    return { active: active.length };
  }

  /** Wake at the active deadline; delete a finished Job whose TTL ran out, or wake when it will. */
  private scheduleWakeUps(key: string, job: KubeObject, decision: JobDecision | undefined, finishedAt: number | undefined, now: number): void {
    if (decision?.deadlineAt !== undefined) this.wakeUps.at(key, decision.deadlineAt);
    const endedAt = finishedAt ?? (decision?.finish ? now : undefined);
    const ttl = jobSpec(job).ttlSecondsAfterFinished;
    if (endedAt === undefined || ttl === undefined) return;
    const expiresAt = endedAt + ttl * 1000;
    if (now >= expiresAt && finishedAt !== undefined) void this.effects.deleteJob(job).catch((err: unknown) => this.log.warn({ err, key }, 'could not delete expired job'));
    else this.wakeUps.at(key, Math.max(expiresAt, now + 1));
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
