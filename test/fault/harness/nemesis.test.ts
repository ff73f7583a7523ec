/**
 * The nemesis' pure parts: the seeded PRNG replays, and the fault model's arithmetic (which
 * faults may stand together) for the default and the harsh limits.
 */
import { describe, expect, it } from 'vitest';
import { fitsFaultModel, minoritySide, prng } from './nemesis.ts';

const hosts = [
  { name: 'm0', kind: 'master' as const },
  { name: 'm1', kind: 'master' as const },
  { name: 'm2', kind: 'master' as const },
  { name: 'n0', kind: 'node' as const },
  { name: 'n1', kind: 'node' as const },
];
const h = (name: string) => hosts.find((x) => x.name === name)!;
const byDefault = { maxMasters: 1, maxNodes: 1, stack: false };

describe('nemesis', () => {
  it('draws the same numbers from the same seed, others from another', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, prng(seed));
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(7).every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('keeps at most one master host and one node host impaired by default, one fault per host', () => {
    expect(fitsFaultModel(hosts, new Set(), [h('m0')], byDefault)).toBe(true);
    expect(fitsFaultModel(hosts, new Set(['m0']), [h('m1')], byDefault)).toBe(false);
    expect(fitsFaultModel(hosts, new Set(['m0']), [h('n0')], byDefault)).toBe(true);
    expect(fitsFaultModel(hosts, new Set(['m0', 'n0']), [h('n1')], byDefault)).toBe(false);
    expect(fitsFaultModel(hosts, new Set(['m0']), [h('m0')], byDefault)).toBe(false);
    expect(fitsFaultModel(hosts, new Set(['m0']), [h('m0')], { ...byDefault, stack: true })).toBe(true);
    expect(fitsFaultModel(hosts, new Set(), [h('m0'), h('m1')], byDefault)).toBe(false);
    expect(fitsFaultModel(hosts, new Set(['m0', 'm1']), [h('m2')], { maxMasters: 3, maxNodes: 2, stack: true })).toBe(true);
  });

  it('counts the side of a split without a majority of the masters as impaired', () => {
    expect(minoritySide([h('m0'), h('n0')], [h('m1'), h('m2'), h('n1')], 3).map((x) => x.name)).toEqual(['m0', 'n0']);
    expect(minoritySide([h('m0'), h('m1'), h('m2')], [h('n0')], 3).map((x) => x.name)).toEqual(['n0']);
    expect(minoritySide([h('n0'), h('n1')], [h('m0'), h('m1'), h('m2')], 3).map((x) => x.name)).toEqual(['n0', 'n1']);
  });
});
