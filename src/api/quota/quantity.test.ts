import { describe, expect, it } from 'vitest';
import { Quantity, QuantityParseError } from './quantity.ts';

describe('Quantity canonical form (apimachinery quantity_test.go cases)', () => {
  it.each([
    ['0', '0'],
    ['0m', '0'],
    ['1', '1'],
    ['1000', '1k'],
    ['1500', '1500'],
    ['1000m', '1'],
    ['1500m', '1500m'],
    ['0.5', '500m'],
    ['.5', '500m'],
    ['2000m', '2'],
    ['100m', '100m'],
    ['1.5Gi', '1536Mi'],
    ['1024Mi', '1Gi'],
    ['1Gi', '1Gi'],
    ['1000Ki', '1000Ki'],
    ['1024', '1024'],
    ['1Ki', '1Ki'],
    ['0.5Ki', '512'],
    ['0.5Mi', '512Ki'],
    ['128974848', '128974848'],
    ['129e6', '129e6'],
    ['1e3', '1e3'],
    ['1E3', '1e3'],
    ['1E', '1E'],
    ['12n', '12n'],
    ['1.5k', '1500'],
    ['1M', '1M'],
    ['-1', '-1'],
    ['-500m', '-500m'],
    ['2', '2'],
    [2, '2'],
    [0.25, '250m'],
    ['0.0000000001', '1n'],
    ['100Mi', '100Mi'],
    ['5Gi', '5Gi'],
  ] as [unknown, string][])('%s → %s', (input, out) => {
    expect(Quantity.parse(input).toString()).toBe(out);
  });

  it.each(['', 'abc', '1Kb', '1.2.3', 'm', '1e', '--1'])('refuses %j', (input) => {
    expect(() => Quantity.parse(input)).toThrow(QuantityParseError);
    expect(Quantity.tryParse(input)).toBeUndefined();
  });
});

describe('Quantity arithmetic', () => {
  it('is exact', () => {
    const sum = Quantity.parse('100m').add(Quantity.parse('200m'));
    expect(sum.toString()).toBe('300m');
    expect(sum.cmp(Quantity.parse('0.3'))).toBe(0);
  });

  it('keeps the receiver format, or takes the other one when the receiver is zero (apimachinery Add)', () => {
    expect(Quantity.zero().add(Quantity.parse('64Mi')).toString()).toBe('64Mi');
    expect(Quantity.parse('64Mi').add(Quantity.parse('64Mi')).toString()).toBe('128Mi');
    // 64Mi + 100M is not a multiple of 1024 bytes: shown as a plain number.
    expect(Quantity.parse('64Mi').add(Quantity.parse('100M')).toString()).toBe('167108864');
    expect(Quantity.parse('1').add(Quantity.parse('1')).toString()).toBe('2');
    expect(Quantity.parse('2').sub(Quantity.parse('2')).toString()).toBe('0');
  });

  it('compares across formats', () => {
    expect(Quantity.parse('1Gi').cmp(Quantity.parse('1G'))).toBe(1);
    expect(Quantity.parse('1').cmp(Quantity.parse('1000m'))).toBe(0);
    expect(Quantity.parse('999m').cmp(Quantity.parse('1'))).toBe(-1);
    expect(Quantity.parse('-1').sign()).toBe(-1);
  });
});
