/**
 * Node 20 lacks two ES2024 built-ins that our dependencies call:
 * `Promise.withResolvers` (libp2p v3: without it the first dial fails with ECONNRESET) and
 * `Map.groupBy` (vitest's failure report). This is the one place they are installed; the CLI
 * entry point and vitest's setupFiles load it before anything else.
 */
interface PromiseWithResolversPolyfill<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const P = Promise as unknown as { withResolvers?: <T>() => PromiseWithResolversPolyfill<T> };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = function withResolvers<T>(): PromiseWithResolversPolyfill<T> {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const M = Map as unknown as { groupBy?: <K, V>(items: Iterable<V>, key: (v: V, i: number) => K) => Map<K, V[]> };
if (typeof M.groupBy !== 'function') {
  M.groupBy = function groupBy<K, V>(items: Iterable<V>, key: (v: V, i: number) => K): Map<K, V[]> {
    const out = new Map<K, V[]>();
    let i = 0;
    for (const item of items) {
      const k = key(item, i++);
      const list = out.get(k);
      if (list) list.push(item);
      else out.set(k, [item]);
    }
    return out;
  };
}

export {};
