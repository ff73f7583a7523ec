/**
 * How PutBatcher groups queued puts into transactions (no etcd: the commit is recorded).
 */
import { describe, expect, it } from 'vitest';
import { CompareResult, CompareTarget, type ICompare } from 'etcd3';
import { PutBatcher, type QueuedPut } from './write-batch.ts';

const ONE_COMPARE: ICompare = { key: Buffer.from('k'), target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 };

function put(key: string, extra: Partial<QueuedPut> = {}): QueuedPut {
  return { key, value: 'v', expectedRevision: undefined, lease: undefined, compare: [ONE_COMPARE], resolve: () => undefined, reject: () => undefined, ...extra };
}

/** A batcher whose commits are recorded as lists of keys. */
function recording(limits = { maxOps: 128, maxBytes: 1024 * 1024 }): { batcher: PutBatcher; batches: string[][] } {
  const batches: string[][] = [];
  const batcher = new PutBatcher((puts) => batches.push(puts.map((p) => p.key)), limits);
  return { batcher, batches };
}

/** The batcher commits on setImmediate: let that turn run. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PutBatcher', () => {
  it('commits the puts of one turn together, and a later turn separately', async () => {
    const { batcher, batches } = recording();
    for (const k of ['a', 'b', 'c']) batcher.submit(put(k));
    expect(batches).toEqual([]);
    await nextTurn();
    batcher.submit(put('d'));
    await nextTurn();
    expect(batches).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('never writes a key twice in one transaction: the second write goes in the next, in order', async () => {
    const { batcher, batches } = recording();
    for (const k of ['a', 'b', 'a', 'c', 'a']) batcher.submit(put(k));
    await nextTurn();
    expect(batches).toEqual([['a', 'b', 'c'], ['a'], ['a']]);
  });

  it("keeps a transaction within etcd's op limit (counting compares) and the byte limit", async () => {
    const { batcher, batches } = recording({ maxOps: 4, maxBytes: 10 });
    for (const k of ['a', 'b', 'c', 'd', 'e']) batcher.submit(put(k));
    batcher.submit(put('u', { compare: [ONE_COMPARE, ONE_COMPARE, ONE_COMPARE] }));
    batcher.submit(put('x', { value: 'x'.repeat(50) }));
    await nextTurn();
    expect(batches).toEqual([['a', 'b', 'c', 'd'], ['e', 'u'], ['x']]);
  });

  it('puts a write with a lease in a transaction of its own', async () => {
    const { batcher, batches } = recording();
    batcher.submit(put('a'));
    batcher.submit(put('leased', { lease: 7 }));
    batcher.submit(put('b'));
    await nextTurn();
    expect(batches).toEqual([['a', 'b'], ['leased']]);
  });

  it('groups puts of one fence only, and leaves room for the fence compare and its read-back', async () => {
    const { batcher, batches } = recording({ maxOps: 6, maxBytes: 1024 });
    const f1 = { key: '/lease', modRevision: 5 };
    const f2 = { key: '/lease', modRevision: 9 };
    for (const k of ['a', 'b']) batcher.submit(put(k, { fence: f1 }));
    batcher.submit(put('c', { fence: { ...f1 } }));
    batcher.submit(put('d', { fence: f2 }));
    batcher.submit(put('e'));
    await nextTurn();
    expect(batches).toEqual([['a', 'b', 'c'], ['d'], ['e']]);
    // 6 ops: up to 3 fence compares + 3 puts' compares; 5 puts + 1 read of the fence key.
    for (const k of ['p', 'q', 'r', 's']) batcher.submit(put(k, { fence: f1 }));
    await nextTurn();
    expect(batches.slice(3)).toEqual([['p', 'q', 'r'], ['s']]);
  });

  it('retries ahead of newer puts, and fails what is queued when drained', async () => {
    const { batcher, batches } = recording({ maxOps: 2, maxBytes: 1024 });
    batcher.submit(put('new1'));
    batcher.submit(put('new2'));
    batcher.retry([put('old')]);
    const failed: unknown[] = [];
    batcher.submit(put('late', { reject: (err) => failed.push(err) }));
    await nextTurn();
    expect(batches).toEqual([['old', 'new1'], ['new2', 'late']]);
    batcher.submit(put('gone', { reject: (err) => failed.push(err) }));
    batcher.drain(new Error('closed'));
    await nextTurn();
    expect(batches).toHaveLength(2);
    expect(failed).toEqual([new Error('closed')]);
  });
});
