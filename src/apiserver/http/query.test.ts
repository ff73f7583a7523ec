import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/status.ts';
import { bool } from './query.ts';

const q = (s: string): URLSearchParams => new URLSearchParams(s);

describe('bool query parameters', () => {
  it('reads Go ParseBool spellings in any case (Python\'s client sends True/False)', () => {
    for (const t of ['true', 'True', 'TRUE', 't', 'T', '1', '']) expect(bool(q(`stdin=${t}`), 'stdin'), t).toBe(true);
    for (const f of ['false', 'False', 'FALSE', 'f', 'F', '0']) expect(bool(q(`stdin=${f}`), 'stdin'), f).toBe(false);
    expect(bool(q('other=1'), 'stdin')).toBeUndefined();
  });

  it('refuses anything else with a 400 naming the parameter', () => {
    const err = (() => {
      try {
        bool(q('tty=yes'), 'tty');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status.code).toBe(400);
    expect((err as ApiError).message).toBe('invalid value for tty: "yes": must be a boolean');
  });
});
