import { describe, expect, it } from 'vitest';
import { formatAge, formatBytes, formatCpu, parseQuantity, percent } from './format.ts';
import { selectorString } from './api/selector.ts';

describe('quantities', () => {
  it.each([
    ['500m', 0.5],
    ['2', 2],
    ['128Mi', 128 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1k', 1000],
    ['1e3', 1000],
    ['250000n', 0.00025],
  ])('%s = %d', (q, n) => {
    expect(parseQuantity(q)).toBeCloseTo(n, 10);
  });

  it('is NaN for what it cannot read', () => {
    expect(parseQuantity('lots')).toBeNaN();
    expect(parseQuantity(undefined)).toBeNaN();
  });

  it('formats', () => {
    expect(formatCpu(0.25)).toBe('250m');
    expect(formatCpu(2)).toBe('2');
    expect(formatBytes(1.5 * 2 ** 30)).toBe('1.5Gi');
    expect(formatAge('2024-01-01T00:00:00Z', Date.parse('2024-01-01T00:03:30Z'))).toBe('3m');
    expect(formatAge('2024-01-01T00:00:00Z', Date.parse('2024-01-03T00:00:00Z'))).toBe('2d');
    expect(percent(1, 4)).toBe('25%');
    expect(percent(1, 0)).toBe('');
  });
});

describe('selectorString', () => {
  it('writes matchLabels and matchExpressions as the API reads them', () => {
    expect(
      selectorString({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }, { key: 'canary', operator: 'DoesNotExist' }] }),
    ).toBe('app=web,tier in (a,b),!canary');
  });

  it('takes a plain map (Service, ReplicationController) and nothing', () => {
    expect(selectorString({ app: 'web' })).toBe('app=web');
    expect(selectorString(undefined)).toBeUndefined();
    expect(selectorString({})).toBeUndefined();
  });
});
