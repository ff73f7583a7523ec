import { describe, expect, it } from 'vitest';
import { MAX_MISSED, scheduleTimes, UnparseableScheduleError } from './schedule.ts';

const t = (iso: string): number => Date.parse(iso);

describe('scheduleTimes', () => {
  it('finds the most recent due time after `earliest` and the next one', () => {
    const r = scheduleTimes('*/5 * * * *', undefined, t('2024-01-01T00:00:00Z'), t('2024-01-01T00:12:00Z'));
    expect(r).toEqual({ mostRecent: t('2024-01-01T00:10:00Z'), missed: 2, next: t('2024-01-01T00:15:00Z') });
  });

  it('has nothing due when no time passed since `earliest`', () => {
    const r = scheduleTimes('@hourly', undefined, t('2024-01-01T00:00:00Z'), t('2024-01-01T00:59:59Z'));
    expect(r.mostRecent).toBeUndefined();
    expect(r.next).toBe(t('2024-01-01T01:00:00Z'));
  });

  it('counts past MAX_MISSED without walking them all, still naming the latest', () => {
    const r = scheduleTimes('* * * * *', undefined, t('2024-01-01T00:00:00Z'), t('2024-01-02T00:00:30Z'));
    expect(r.missed).toBeGreaterThan(MAX_MISSED);
    expect(r.mostRecent).toBe(t('2024-01-02T00:00:00Z'));
    expect(r.next).toBe(t('2024-01-02T00:01:00Z'));
  });

  it('rejects six fields and nonsense with a typed error', () => {
    expect(() => scheduleTimes('0 * * * * *', undefined, 0, 1)).toThrow(UnparseableScheduleError);
    expect(() => scheduleTimes('every day', undefined, 0, 1)).toThrow(UnparseableScheduleError);
    expect(() => scheduleTimes('* * * * *', 'Not/AZone', 0, 1)).toThrow(UnparseableScheduleError);
  });
});
