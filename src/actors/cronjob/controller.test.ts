import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/object.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { JOBS } from '../job/effects.ts';
import { fixture, NS, POD_TEMPLATE, type Fixture } from '../job/test-support.ts';
import { CronJobController } from './controller.ts';
import { CRONJOBS, SCHEDULED_TIMESTAMP_ANNOTATION } from './effects.ts';

let f: Fixture;
let controller: CronJobController;

/** 2024-06-01T00:00:30Z: half a minute before the first every-minute time. */
const START = Date.parse('2024-06-01T00:00:30Z');
const MINUTE = 60_000;

beforeEach(async () => {
  f = await fixture();
  f.clock.set(START);
  controller = new CronJobController({ store: f.store, registry: f.registry, events: f.events, clock: f.clock });
  await controller.start();
});
afterEach(async () => {
  controller.stop();
  await f.close();
});

async function createCronJob(name: string, spec: Record<string, unknown> = {}): Promise<void> {
  await f.registry.create(CRONJOBS, NS, {
    metadata: { name },
    spec: { schedule: '* * * * *', jobTemplate: { metadata: { labels: { app: name } }, spec: { template: POD_TEMPLATE } }, ...spec },
  });
  await settle();
}

async function settle(): Promise<void> {
  await waitFor('controller idle', () => controller.idle());
}

/** Moves the clock to `minutes` past 00:00 (plus one second) and lets the controller act. */
async function at(minutes: number): Promise<void> {
  f.clock.set(Date.parse('2024-06-01T00:00:00Z') + minutes * MINUTE + 1000);
  await settle();
}

async function jobs(): Promise<KubeObject[]> {
  return (await f.registry.list(JOBS, NS)).items.filter((j) => !j.metadata?.deletionTimestamp).sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

async function finish(name: string, type: 'Complete' | 'Failed'): Promise<void> {
  const job = await f.registry.get(JOBS, NS, name);
  const time = new Date(f.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const status: Record<string, unknown> = { conditions: [{ type, status: 'True', lastTransitionTime: time, lastProbeTime: time }] };
  if (type === 'Complete') status.completionTime = time;
  await f.registry.updateStatus(JOBS, NS, name, { ...job, status });
  await settle();
}

const minuteName = (cron: string, minutes: number): string => `${cron}-${(Date.parse('2024-06-01T00:00:00Z') + minutes * MINUTE) / MINUTE}`;

describe('CronJob controller', () => {
  it('runs each scheduled time once and records lastScheduleTime and active', async () => {
    await createCronJob('tick');
    expect(await jobs()).toHaveLength(0);
    expect(controller.stateOf(NS, 'tick')).toBe('waiting');
    await at(1);
    const [job] = await jobs();
    expect(job?.metadata?.name).toBe(minuteName('tick', 1));
    expect(controller.stateOf(NS, 'tick')).toBe('running');
    expect(job?.metadata?.annotations?.[SCHEDULED_TIMESTAMP_ANNOTATION]).toBe('2024-06-01T00:01:00Z');
    expect(job?.metadata?.labels).toMatchObject({ app: 'tick' });
    expect(job?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'tick', controller: true });
    const status = await waitFor('status', async () => {
      const s = (await f.registry.get(CRONJOBS, NS, 'tick')).status as Record<string, unknown>;
      return Array.isArray(s.active) && s.active.length === 1 && s;
    });
    expect(status.lastScheduleTime).toBe('2024-06-01T00:01:00Z');
    await at(1.5);
    expect(await jobs()).toHaveLength(1);
    await finish(minuteName('tick', 1), 'Complete');
    const done = await waitFor('lastSuccessfulTime', async () => {
      const s = (await f.registry.get(CRONJOBS, NS, 'tick')).status as Record<string, unknown>;
      return s.lastSuccessfulTime !== undefined && s;
    });
    expect(done.lastSuccessfulTime).toBe('2024-06-01T00:01:31Z');
    expect(done.active).toBeUndefined();
    expect(controller.stateOf(NS, 'tick')).toBe('waiting');
  });

  it('Allow runs the next time beside an active Job', async () => {
    await createCronJob('allow');
    await at(1);
    await at(2);
    expect((await jobs()).map((j) => j.metadata?.name)).toEqual([minuteName('allow', 1), minuteName('allow', 2)]);
  });

  it('Forbid skips while a Job is active and runs the missed time once it finished', async () => {
    await createCronJob('forbid', { concurrencyPolicy: 'Forbid' });
    await at(1);
    await at(2);
    expect((await jobs()).map((j) => j.metadata?.name)).toEqual([minuteName('forbid', 1)]);
    expect(f.events.reasons()).toContain('JobAlreadyActive');
    await finish(minuteName('forbid', 1), 'Complete');
    await waitFor('late job', async () => (await jobs()).length === 2);
    expect((await jobs()).map((j) => j.metadata?.name)).toEqual([minuteName('forbid', 1), minuteName('forbid', 2)]);
  });

  it('Replace deletes the active Job and starts the new one', async () => {
    await createCronJob('replace', { concurrencyPolicy: 'Replace' });
    await at(1);
    await at(2);
    expect((await jobs()).map((j) => j.metadata?.name)).toEqual([minuteName('replace', 2)]);
  });

  it('startingDeadlineSeconds: a time missed by more than the deadline is not run', async () => {
    await createCronJob('late', { startingDeadlineSeconds: 10 });
    await at(1.5); // 30 s after 00:01, deadline 10 s
    expect(await jobs()).toHaveLength(0);
    await at(2);
    expect((await jobs()).map((j) => j.metadata?.name)).toEqual([minuteName('late', 2)]);
  });

  it('suspend stops scheduling', async () => {
    await createCronJob('paused', { suspend: true });
    await at(1);
    await at(2);
    expect(await jobs()).toHaveLength(0);
    expect(controller.stateOf(NS, 'paused')).toBe('suspended');
  });

  it('a new leader does not run a time already run', async () => {
    await createCronJob('handover');
    await at(1);
    expect(await jobs()).toHaveLength(1);
    await waitFor('lastScheduleTime written', async () => ((await f.registry.get(CRONJOBS, NS, 'handover')).status as Record<string, unknown>).lastScheduleTime);
    controller.stop();
    controller = new CronJobController({ store: f.store, registry: f.registry, events: f.events, clock: f.clock });
    await controller.start();
    await at(1.5);
    expect(await jobs()).toHaveLength(1);
    expect(controller.stateOf(NS, 'handover')).toBe('running');
    await at(2);
    expect((await jobs()).map((j) => j.metadata?.name)).toEqual([minuteName('handover', 1), minuteName('handover', 2)]);
  });

  it('keeps successfulJobsHistoryLimit and failedJobsHistoryLimit finished Jobs, newest first', async () => {
    await createCronJob('hist', { successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 });
    for (let m = 1; m <= 3; m++) {
      await at(m);
      await finish(minuteName('hist', m), 'Complete');
    }
    for (let m = 4; m <= 5; m++) {
      await at(m);
      await finish(minuteName('hist', m), 'Failed');
    }
    await waitFor('history trimmed', async () => (await jobs()).length === 3);
    expect((await jobs()).map((j) => j.metadata?.name)).toEqual([minuteName('hist', 2), minuteName('hist', 3), minuteName('hist', 5)]);
  });

  it('a time zone shifts the schedule', async () => {
    // 01:00 in Europe/Paris (UTC+2 in June) is 23:00 UTC the day before: not yet at 00:01 UTC.
    await createCronJob('tz', { schedule: '0 2 * * *', timeZone: 'Europe/Paris' });
    await at(1);
    expect(await jobs()).toHaveLength(0);
    f.clock.set(Date.parse('2024-06-02T00:00:01Z'));
    await settle();
    const [job] = await jobs();
    expect(job?.metadata?.annotations?.[SCHEDULED_TIMESTAMP_ANNOTATION]).toBe('2024-06-02T00:00:00Z');
  });
});

