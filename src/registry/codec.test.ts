import { describe, expect, it } from 'vitest';
import { parseResourceVersion } from './codec.ts';

describe('parseResourceVersion', () => {
  it('reads non-negative integers and refuses the rest with a 400, also numbers past a safe integer (found by the API fuzzer)', () => {
    expect(parseResourceVersion('0')).toBe(0);
    expect(parseResourceVersion('9007199254740991')).toBe(9007199254740991);
    for (const bad of ['-1', '1e9', 'abc', '', '99999999999999999999999', '18446744073709551616', '9007199254740993']) {
      expect(() => parseResourceVersion(bad), bad).toThrow(expect.objectContaining({ code: 400, message: `invalid resource version: ${JSON.stringify(bad)}` }));
    }
  });
});
