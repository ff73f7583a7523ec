/**
 * CronJob schedules (Kubernetes' cronjob_controllerv2 utils): the most recent scheduled time that
 * has passed and is still to be run, how many were missed, and when the next one comes. Five
 * fields as Kubernetes accepts (plus `@hourly`-style macros), in `timeZone` (UTC when unset).
 */
import { CronExpressionParser } from 'cron-parser';
import { errorMessage } from '../../api/error-message.ts';
import type { CronJobSpec } from './cronjob-spec.ts';

/** The schedule or time zone cannot be parsed (the CronJob gets an UnparseableSchedule Event). */
export class UnparseableScheduleError extends Error {
  constructor(
    readonly schedule: string,
    reason: string,
  ) {
    super(`unparseable schedule ${JSON.stringify(schedule)}: ${reason}`);
    this.name = 'UnparseableScheduleError';
  }
}

export interface ScheduleTimes {
  /** The latest scheduled time in (earliest, now], if any. */
  mostRecent?: number;
  /** Scheduled times in (earliest, now] (Kubernetes warns past 100). */
  missed: number;
  /** The first scheduled time after now. */
  next: number;
}

/** Most missed times counted before giving up counting (Kubernetes: 100, then TooManyMissedTimes). */
export const MAX_MISSED = 100;

export function scheduleTimes(schedule: string, timeZone: string | undefined, earliest: number, now: number): ScheduleTimes {
  const trimmed = schedule.trim();
  if (!trimmed.startsWith('@') && trimmed.split(/\s+/).length !== 5) throw new UnparseableScheduleError(schedule, 'expected 5 fields');
  let expr;
  try {
    expr = CronExpressionParser.parse(trimmed, { currentDate: new Date(earliest), tz: timeZone ?? 'UTC' });
  } catch (err) {
    throw new UnparseableScheduleError(schedule, errorMessage(err));
  }
  let mostRecent: number | undefined;
  let missed = 0;
  for (;;) {
    const t = expr.next().getTime();
    if (t > now) return { mostRecent, missed, next: t };
    mostRecent = t;
    missed++;
    if (missed > MAX_MISSED) {
      // Too many to walk: jump to the last one before now.
      const tail = CronExpressionParser.parse(trimmed, { currentDate: new Date(now + 1), tz: timeZone ?? 'UTC' });
      const last = tail.prev().getTime();
      return { mostRecent: last, missed, next: CronExpressionParser.parse(trimmed, { currentDate: new Date(now), tz: timeZone ?? 'UTC' }).next().getTime() };
    }
  }
}

/**
 * The scheduled times of `spec` due at `now` for a CronJob that last ran at `since` (its
 * lastScheduleTime, else its creation): only those within startingDeadlineSeconds count. An
 * unparseable schedule or time zone is answered, not thrown (the machine's guards ask).
 */
export function dueTimes(spec: CronJobSpec, since: number, now: number): ScheduleTimes | UnparseableScheduleError {
  const earliest = spec.startingDeadlineSeconds === undefined ? since : Math.max(since, now - spec.startingDeadlineSeconds * 1000);
  try {
    return scheduleTimes(spec.schedule, spec.timeZone, earliest, now);
  } catch (err) {
    if (err instanceof UnparseableScheduleError) return err;
    throw err;
  }
}
