import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/status.ts';
import { deleteOptions } from './query.ts';

describe('deleteOptions: gracePeriodSeconds', () => {
  it('takes an int64 of seconds a Go time.Duration holds, from the body or the query', () => {
    expect(deleteOptions(new URLSearchParams(), { gracePeriodSeconds: 30 }).gracePeriodSeconds).toBe(30);
    expect(deleteOptions(new URLSearchParams('gracePeriodSeconds=0'), {}).gracePeriodSeconds).toBe(0);
    expect(deleteOptions(new URLSearchParams(), { gracePeriodSeconds: 9_223_372_036 }).gracePeriodSeconds).toBe(9_223_372_036);
  });

  // Found by test/security/fuzz-api.test.ts: 2^53 seconds made the deletion timestamp an invalid Date (500).
  it.each([[2 ** 53], [9_223_372_037], [1.5]])('refuses %s with a 400 naming the field', (grace) => {
    for (const call of [() => deleteOptions(new URLSearchParams(), { gracePeriodSeconds: grace }), () => deleteOptions(new URLSearchParams(`gracePeriodSeconds=${grace}`), {})]) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe(400);
      expect((err as ApiError).message).toMatch(/gracePeriodSeconds/);
    }
  });
});
