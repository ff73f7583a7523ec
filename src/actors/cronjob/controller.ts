/**
 * The CronJob controller (Kubernetes' cronjob_controllerv2): creates a Job for each scheduled
 * time, through the CronJob's machine (machine.ts), which takes every decision. Jobs are named
 * `<cronjob>-<minutes since epoch>`, so a time is never run twice even across a leader change
 * (a second create finds the name taken).
 *
 * Handlers only enqueue the CronJob's key (a Job it controls changing enqueues its owner; a Job
 * appearing also meets the expectation its create set). `sync(key)` turns the informers' view into
 * facts — its running and finished Jobs, whether the Job it last created came back through the
 * watch — and sends them to the CronJob's actor as `cronjob.observed`. The machine's effect
 * actions only queue I/O (controller-kit/effect-queue.ts); the sync runs it in order: delete Jobs
 * (history, Replace), create the due Job (which answers the machine with `cronjob.jobStarted`),
 * write the status. The machine's alarm (`requeue`, on the controller's clock) brings the next
 * sync at the next scheduled time.
 */
import { createActor, type Actor } from 'xstate';
import pino, { type Logger } from 'pino';
import { objectKey } from '../../api/metadata.ts';
import type { KubeObject } from '../../api/object.ts';
import type { ControllerDeps, ControllerFactory } from '../controller-kit/controller.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import type { ActorHost } from '../host.ts';
import { actorState, objectActors, startInOrder, stopAll, type OwnerControllerOptions } from '../controller-kit/object-actors.ts';
import { EffectQueue } from '../controller-kit/effect-queue.ts';
import { DEFAULT_EXPECTATIONS_TTL_MS, Expectations } from '../controller-kit/expectations.ts';
import { controllerRefOf } from '../controller-kit/pods.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';
import { systemClock, WakeUps, type ControllerClock } from '../job/clock.ts';
import { JOBS } from '../job/effects.ts';
import { parseTime } from '../job/job-spec.ts';
import type { CronJobObserved } from './context.ts';
import { cronJobSpec } from './cronjob-spec.ts';
import { CronJobEffects, CRONJOBS } from './effects.ts';
import { finishedJobOf, jobRefOf, type FinishedJob, type JobRef } from './jobs.ts';
import { cronJobMachine, type CronJobEventRecord, type CronJobMachine } from './machine.ts';
import { cronJobMachineInput } from './status.ts';

export interface CronJobControllerOptions extends OwnerControllerOptions {
  /** Time and timers, the machines' too (tests: xstate's SimulatedClock). Default: the system clock. */
  clock?: ControllerClock;
  expectationsTtlMs?: number;
}

type CronJobActor = Actor<CronJobMachine>;

export class CronJobController {
  private readonly cronJobs: ObjectInformer;
  private readonly jobs: ObjectInformer;
  /** Job keys by the uid of the CronJob that controls them. */
  private readonly jobsByOwner = new Map<string, Set<string>>();
  private readonly host: ActorHost<KubeObject, CronJobActor>;
  /** The CronJob as the latest sync saw it: what its machine's effects act on. */
  private readonly views = new Map<string, KubeObject>();
  private readonly pending = new EffectQueue();
  /** Syncs the machines asked for that are not queued yet. */
  private requeues = 0;
  private readonly expectations: Expectations;
  private readonly queue: WorkQueue;
  private readonly wakeUps: WakeUps;
  private readonly effects: CronJobEffects;
  private readonly clock: ControllerClock;
  private readonly log: Logger;

  constructor(opts: CronJobControllerOptions) {
    this.clock = opts.clock ?? systemClock();
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.effects = new CronJobEffects(opts.registry, opts.events);
    this.expectations = new Expectations(() => this.clock.now(), opts.expectationsTtlMs ?? DEFAULT_EXPECTATIONS_TTL_MS);
    this.queue = new WorkQueue((key) => this.sync(key), { onError: (key, err) => this.log.warn({ err, key }, 'cronjob sync failed; retrying') });
    this.wakeUps = new WakeUps(this.clock, (key) => this.queue.add(key));
    this.cronJobs = objectInformer(opts.store, CRONJOBS);
    // The actor host hears a new CronJob before the handler that syncs it: a sync always finds its actor.
    this.host = objectActors<CronJobActor>(CRONJOBS, this.cronJobs, opts.bus, (cj, inspect) => {
      const key = objectKey(CRONJOBS, cj.metadata?.namespace, cj.metadata?.name ?? '');
      return createActor(this.machineFor(key), { input: cronJobMachineInput(cj, this.clock.now()), inspect, clock: this.clock }).start();
    });
    this.cronJobs.addHandlers({
      onAdd: (_c, key) => this.queue.add(key),
      onUpdate: (_o, _n, key) => this.queue.add(key),
      onDelete: (_c, key) => {
        this.expectations.forget(key);
        this.wakeUps.cancel(key);
        this.views.delete(key);
        this.pending.forget(key);
      },
    });
    this.jobs = objectInformer(opts.store, JOBS, {
      onAdd: (job, key) => this.jobChanged(job, key, 'added'),
      onUpdate: (_o, job, key) => this.jobChanged(job, key, 'updated'),
      onDelete: (job, key) => this.jobChanged(job, key, 'deleted'),
    });
  }

  start(): Promise<void> {
    return startInOrder([this.jobs, this.cronJobs], this.queue);
  }

  stop(): void {
    this.wakeUps.cancelAll();
    stopAll(this.queue, [this.cronJobs, this.jobs], this.host);
  }

  /** The CronJob machine's state (`waiting`, `running`, `suspended`), for tests and the UI. */
  stateOf(namespace: string, name: string): string | undefined {
    return actorState(this.host, CRONJOBS, namespace, name);
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
    const cronJob = this.cronJobs.get(key);
    const actor = this.host.get(key);
    if (!cronJob || !actor) return;
    const active: JobRef[] = [];
    const finished: FinishedJob[] = [];
    for (const job of this.jobsOf(cronJob)) {
      const done = finishedJobOf(job);
      if (done) finished.push(done);
      else active.push(jobRefOf(job));
    }
    this.views.set(key, cronJob);
    const now = this.clock.now();
    const observation: CronJobObserved = {
      type: 'cronjob.observed',
      at: now,
      spec: cronJobSpec(cronJob),
      createdAt: parseTime(cronJob.metadata?.creationTimestamp) ?? now,
      deleting: Boolean(cronJob.metadata?.deletionTimestamp),
      active,
      finished,
      expectationsSatisfied: this.expectations.satisfied(key),
    };
    actor.send(observation);
    await this.pending.run(key);
  }

  /** The CronJob machine with its effects queued for `key`'s sync, acting on the CronJob that sync saw. */
  private machineFor(key: string): CronJobMachine {
    const later = (effect: (cronJob: KubeObject) => Promise<boolean | void>) => {
      const cronJob = this.views.get(key);
      if (cronJob) this.pending.add(key, () => effect(cronJob));
    };
    return cronJobMachine.provide({
      actions: {
        startJob: (_, { scheduledAt }: { scheduledAt: number }) => later((cj) => this.startJob(key, cj, scheduledAt)),
        deleteJobs: (_, { jobs }: { jobs: JobRef[] }) => later(async (cj) => void (await Promise.all(jobs.map((j) => this.effects.deleteJob(cj, j))))),
        writeStatus: (_, { status }) => later((cj) => this.effects.writeStatus(cj, status)),
        recordEvent: (_, rec: CronJobEventRecord) => {
          const cronJob = this.views.get(key);
          if (cronJob) this.effects.record(cronJob, rec.type, rec.reason, rec.message).catch((err: unknown) => this.log.debug({ err, key }, 'could not record cronjob event'));
        },
        requeue: () => this.requeue(key),
      },
    });
  }

  /** Creates the Job for `scheduledAt`, expecting it back through the watch, and tells the machine it runs. */
  private async startJob(key: string, cronJob: KubeObject, scheduledAt: number): Promise<void> {
    this.expectations.expectCreations(key, 1);
    // Should the Job never be seen, the expectation lapses: look again then.
    this.wakeUps.at(key, this.clock.now() + this.expectations.ttlMs);
    let result;
    try {
      result = await this.effects.createJob(cronJob, scheduledAt);
    } catch (err) {
      this.expectations.creationObserved(key);
      throw err;
    }
    // A Job made before (a restart, another leader) is in the cache already, or on its way.
    if (!result.created) this.expectations.creationObserved(key);
    this.host.get(key)?.send({ type: 'cronjob.jobStarted', job: jobRefOf(result.job), scheduledAt });
  }

  private jobChanged(job: KubeObject, key: string, change: 'added' | 'updated' | 'deleted'): void {
    const ref = controllerRefOf(job);
    if (ref?.kind !== 'CronJob' || typeof ref.name !== 'string') return;
    const uid = String(ref.uid ?? '');
    let set = this.jobsByOwner.get(uid);
    if (change !== 'deleted') {
      if (!set) this.jobsByOwner.set(uid, (set = new Set()));
      set.add(key);
    } else {
      set?.delete(key);
      if (set?.size === 0) this.jobsByOwner.delete(uid);
    }
    const owner = objectKey(CRONJOBS, job.metadata?.namespace, ref.name);
    if (change === 'added' && this.cronJobs.get(owner)?.metadata?.uid === ref.uid) this.expectations.creationObserved(owner);
    this.queue.add(owner);
  }

  private jobsOf(cronJob: KubeObject): KubeObject[] {
    const keys = this.jobsByOwner.get(cronJob.metadata?.uid ?? '') ?? new Set<string>();
    return [...keys].map((k) => this.jobs.get(k)).filter((j): j is KubeObject => j !== undefined && !j.metadata?.deletionTimestamp);
  }
}

/** The CronJob controller (batch/v1), on the system clock. */
export const cronJobControllerFactory: ControllerFactory = (deps: ControllerDeps) =>
  new CronJobController({ store: deps.store, registry: deps.registry, events: deps.events, bus: deps.bus, logger: deps.logger, clock: systemClock(deps.now) });
