import { describe, expect, it } from 'vitest';
import { SortedKeys } from './sorted-keys.ts';

/** Small deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('SortedKeys', () => {
  it('matches a sorted reference through random inserts and removes across many chunks', () => {
    const rnd = prng(7);
    const keys = new SortedKeys();
    const ref = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const k = `/k/${Math.floor(rnd() * 5000)}`;
      if (ref.has(k)) {
        keys.remove(k);
        ref.delete(k);
      } else {
        keys.insert(k);
        ref.add(k);
      }
    }
    const sorted = [...ref].sort();
    expect([...keys.from('')]).toEqual(sorted);
    expect(keys.size).toBe(sorted.length);
    const probe = '/k/25';
    expect([...keys.from(probe)]).toEqual(sorted.filter((k) => k >= probe));
    expect([...keys.from(probe, true)]).toEqual(sorted.filter((k) => k > probe));
  });

  it('iterates from a key past the end as empty and ignores removes of absent keys', () => {
    const keys = new SortedKeys();
    keys.insert('b');
    keys.insert('a');
    keys.remove('zz');
    expect([...keys.from('c')]).toEqual([]);
    expect([...keys.from('a', true)]).toEqual(['b']);
    keys.remove('a');
    keys.remove('b');
    expect(keys.size).toBe(0);
    expect([...keys.from('')]).toEqual([]);
  });
});
