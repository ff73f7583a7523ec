import { describe, expect, it } from 'vitest';
import { EffectQueue } from './effect-queue.ts';

describe('EffectQueue', () => {
  it('runs a key\'s effects one at a time, in the order added, including those added while it runs', async () => {
    const q = new EffectQueue();
    const log: string[] = [];
    let running = 0;
    const effect = (name: string) => async () => {
      running++;
      expect(running).toBe(1);
      await new Promise((r) => setImmediate(r));
      log.push(name);
      running--;
    };
    q.add('a', effect('a1'));
    q.add('b', effect('b1'));
    q.add('a', async () => {
      await effect('a2')();
      q.add('a', effect('a3'));
    });
    await q.run('a');
    expect(log).toEqual(['a1', 'a2', 'a3']);
    expect(q.size('b')).toBe(1);
  });

  it('stops at the first failure, rethrows it and drops the rest; `false` ends the run quietly', async () => {
    const q = new EffectQueue();
    const log: string[] = [];
    q.add('k', async () => void log.push('first'));
    q.add('k', async () => {
      throw new Error('conflict');
    });
    q.add('k', async () => void log.push('never'));
    await expect(q.run('k')).rejects.toThrow('conflict');
    expect(q.size('k')).toBe(0);
    q.add('k', async () => false);
    q.add('k', async () => void log.push('never either'));
    await q.run('k');
    expect(log).toEqual(['first']);
    expect(q.size('k')).toBe(0);
  });
});
