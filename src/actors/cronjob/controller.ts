/**
 * The CronJob controller (Kubernetes' cronjob_controllerv2): creates a Job for each scheduled
 * time, named `<cronjob>-<minutes since epoch>`, so a time is never run twice even across a
 * leader change (a second create finds the name taken).
 *
 * Handlers only enqueue the CronJob's key (a Job it owns changing enqueues its owner). `sync(key)`
 * reads the CronJob fresh from the Registry, lists its active Jobs, records the last success,
 * trims history to the limits, and, unless suspended, runs the most recent missed scheduled time
 * (within startingDeadlineSeconds) as concurrencyPolicy allows: Allow runs it beside others,
 * Forbid waits while a Job is active (the time then runs late if still within the deadline, as
 * in Kubernetes), Replace deletes the active Jobs first. It then wakes itself, on the injected
 * clock, at the next scheduled time.
 */
import pino, { type Logger } from 'pino';
import { objectKey } from '../../api/metadata.ts';
import { isRecord, type JsonObject, type KubeObject } from '../../api/object.ts';
import type { Registry } from '../../registry/registry.ts';
import type { ControllerDeps, ControllerFactory } from '../controller-kit/controller.ts';
import type { EventSink } from '../../registry/event-recorder.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import { isNotFound } from '../../registry/retry-on-conflict.ts';
import type { Store } from '../../store/types.ts';
import { systemClock, WakeUps, type ControllerClock } from '../job/clock.ts';
import { JOBS } from '../job/effects.ts';
import { finishedCondition, parseTime } from '../job/job-spec.ts';
import { toKubernetesTime } from '../../api/kubernetes-time.ts';
import { controllerRefOf } from '../controller-kit/pods.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';
import { CronJobEffects, CRONJOBS, jobRef } from './effects.ts';
import { jobsBeyondHistory } from './history.ts';
import { MAX_MISSED, scheduleTimes, UnparseableScheduleError } from './schedule.ts';

export interface CronJobControllerOptions {
  store: Store;
  registry: Registry;
  events: EventSink;
  logger?: Logger;
  /** Time and timers (tests: xstate's SimulatedClock). Default: the system clock. */
  clock?: ControllerClock;
}

interface CronJobSpec {
  schedule: string;
  timeZone?: string;
  concurrencyPolicy: 'Allow' | 'Forbid' | 'Replace';
  startingDeadlineSeconds?: number;
  suspend: boolean;
  successfulJobsHistoryLimit: number;
  failedJobsHistoryLimit: number;
}

function cronJobSpec(cj: KubeObject): CronJobSpec {
  const spec = isRecord(cj.spec) ? cj.spec : {};
  const policy = spec.concurrencyPolicy;
  return {
    schedule: typeof spec.schedule === 'string' ? spec.schedule : '',
    timeZone: typeof spec.timeZone === 'string' && spec.timeZone !== '' ? spec.timeZone : undefined,
    concurrencyPolicy: policy === 'Forbid' || policy === 'Replace' ? policy : 'Allow',
    startingDeadlineSeconds: typeof spec.startingDeadlineSeconds === 'number' ? spec.startingDeadlineSeconds : undefined,
    suspend: spec.suspend === true,
    successfulJobsHistoryLimit: typeof spec.successfulJobsHistoryLimit === 'number' ? spec.successfulJobsHistoryLimit : 3,
    failedJobsHistoryLimit: typeof spec.failedJobsHistoryLimit === 'number' ? spec.failedJobsHistoryLimit : 1,
  };
}

export class CronJobController {
  private readonly cronJobs: ObjectInformer;
  private readonly jobs: ObjectInformer;
  /** Job keys by the uid of the CronJob that controls them. */
  private readonly jobsByOwner = new Map<string, Set<string>>();
  private readonly queue: WorkQueue;
  private readonly wakeUps: WakeUps;
  private readonly effects: CronJobEffects;
  private readonly clock: ControllerClock;
  private readonly log: Logger;

  constructor(private readonly opts: CronJobControllerOptions) {
    this.clock = opts.clock ?? systemClock();
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.effects = new CronJobEffects(opts.registry, opts.events);
    this.queue = new WorkQueue((key) => this.sync(key), { onError: (key, err) => this.log.warn({ err, key }, 'cronjob sync failed; retrying') });
    this.wakeUps = new WakeUps(this.clock, (key) => this.queue.add(key));
    this.cronJobs = objectInformer(opts.store, CRONJOBS, {
      onAdd: (_c, key) => this.queue.add(key),
      onUpdate: (_o, _n, key) => this.queue.add(key),
      onDelete: (_c, key) => this.wakeUps.cancel(key),
    });
    this.jobs = objectInformer(opts.store, JOBS, {
      onAdd: (job, key) => this.jobChanged(job, key, true),
      onUpdate: (_o, job, key) => this.jobChanged(job, key, true),
      onDelete: (job, key) => this.jobChanged(job, key, false),
    });
  }

  async start(): Promise<void> {
    await this.jobs.start();
    await this.cronJobs.start();
    this.queue.start();
  }

  stop(): void {
    this.queue.stop();
    this.wakeUps.cancelAll();
    this.cronJobs.stop();
    this.jobs.stop();
  }

  /** True when no sync is queued or running (tests wait on it). */
  idle(): boolean {
    return this.queue.length === 0;
  }

  private async sync(key: string): Promise<void> {
    const cached = this.cronJobs.get(key);
    if (!cached) return;
    // Fresh: lastScheduleTime must be the one last written, not a lagging cache's.
    let cronJob: KubeObject;
    try {
      cronJob = await this.opts.registry.get(CRONJOBS, cached.metadata?.namespace, cached.metadata?.name ?? '');
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (cronJob.metadata?.deletionTimestamp) return;
    const spec = cronJobSpec(cronJob);
    const stored = isRecord(cronJob.status) ? cronJob.status : {};
    const now = this.clock.now();
    const owned = this.jobsOf(cronJob);
    let active = owned.filter((j) => !finishedCondition(j));

    let lastSuccessful = parseTime(stored.lastSuccessfulTime);
    for (const job of owned) {
      const done = finishedCondition(job)?.type === 'Complete' ? (parseTime(isRecord(job.status) ? job.status.completionTime : undefined) ?? finishedCondition(job)?.at) : undefined;
      if (done !== undefined && (lastSuccessful === undefined || done > lastSuccessful)) lastSuccessful = done;
    }
    await Promise.all(jobsBeyondHistory(owned, spec.successfulJobsHistoryLimit, spec.failedJobsHistoryLimit).map((j) => this.effects.deleteJob(cronJob, j)));

    let lastSchedule = parseTime(stored.lastScheduleTime);
    if (!spec.suspend) {
      const scheduled = await this.runDue(key, cronJob, spec, active, lastSchedule, now);
      if (scheduled) {
        active = scheduled.active;
        lastSchedule = scheduled.at;
      }
    }

    const status: JsonObject = {};
    if (active.length > 0) status.active = active.map(jobRef);
    if (lastSchedule !== undefined) status.lastScheduleTime = toKubernetesTime(lastSchedule);
    if (lastSuccessful !== undefined) status.lastSuccessfulTime = toKubernetesTime(lastSuccessful);
    await this.effects.writeStatus(cronJob, status);
  }

  /**
   * Runs the most recent due time, if concurrencyPolicy allows, and wakes at the next one.
   * Returns the active Jobs and the time run, or undefined when nothing ran.
   */
  private async runDue(key: string, cronJob: KubeObject, spec: CronJobSpec, active: KubeObject[], lastSchedule: number | undefined, now: number): Promise<{ active: KubeObject[]; at: number } | undefined> {
    let earliest = lastSchedule ?? parseTime(cronJob.metadata?.creationTimestamp) ?? now;
    if (spec.startingDeadlineSeconds !== undefined) earliest = Math.max(earliest, now - spec.startingDeadlineSeconds * 1000);
    let times;
    try {
      times = scheduleTimes(spec.schedule, spec.timeZone, earliest, now);
    } catch (err) {
      // Nothing to retry until the spec changes (an update enqueues it again).
      if (err instanceof UnparseableScheduleError) {
        void this.effects.record(cronJob, 'Warning', 'UnparseableSchedule', err.message);
        return undefined;
      }
      throw err;
    }
    this.wakeUps.at(key, times.next);
    if (times.mostRecent === undefined) return undefined;
    if (times.missed > MAX_MISSED) {
      void this.effects.record(cronJob, 'Warning', 'TooManyMissedTimes', `too many missed start times: ${times.missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
    }
    if (spec.concurrencyPolicy === 'Forbid' && active.length > 0) {
      void this.effects.record(cronJob, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return undefined;
    }
    let running = active;
    if (spec.concurrencyPolicy === 'Replace') {
      await Promise.all(active.map((j) => this.effects.deleteJob(cronJob, j)));
      running = [];
    }
    const job = await this.effects.createJob(cronJob, times.mostRecent);
    return { active: [...running.filter((j) => j.metadata?.uid !== job.metadata?.uid), job], at: times.mostRecent };
  }

  private jobChanged(job: KubeObject, key: string, present: boolean): void {
    const ref = controllerRefOf(job);
    if (ref?.kind !== 'CronJob' || typeof ref.name !== 'string') return;
    const uid = String(ref.uid ?? '');
    let set = this.jobsByOwner.get(uid);
    if (present) {
      if (!set) this.jobsByOwner.set(uid, (set = new Set()));
      set.add(key);
    } else {
      set?.delete(key);
      if (set?.size === 0) this.jobsByOwner.delete(uid);
    }
    this.queue.add(objectKey(CRONJOBS, job.metadata?.namespace, ref.name));
  }

  private jobsOf(cronJob: KubeObject): KubeObject[] {
    const keys = this.jobsByOwner.get(cronJob.metadata?.uid ?? '') ?? new Set<string>();
    return [...keys].map((k) => this.jobs.get(k)).filter((j): j is KubeObject => j !== undefined && !j.metadata?.deletionTimestamp);
  }
}

/** The CronJob controller (batch/v1), on the system clock. */
export const cronJobControllerFactory: ControllerFactory = (deps: ControllerDeps) =>
  new CronJobController({ store: deps.store, registry: deps.registry, events: deps.events, logger: deps.logger, clock: systemClock(deps.now) });
