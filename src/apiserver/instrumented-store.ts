/**
 * A Store wrapper that times every operation into `apiserver_storage_request_duration_seconds`.
 * Watches are not timed (they are long-lived); their count is a separate gauge.
 */
import type { Store } from '../store/types.ts';
import type { ApiMetrics } from './metrics.ts';

type TimedOperation = Exclude<keyof Store, 'watch' | 'close'>;
const TIMED: readonly TimedOperation[] = [
  'get', 'list', 'count', 'create', 'update', 'delete', 'txn',
  'grantLease', 'keepAlive', 'revokeLease', 'currentRevision', 'compact',
];

/** Returns a Store with the same behaviour as `store` whose calls are measured in `metrics`. */
export function instrumentStore(store: Store, metrics: ApiMetrics): Store {
  const timed: Partial<Store> = {};
  for (const op of TIMED) {
    const original = store[op].bind(store) as (...args: unknown[]) => Promise<unknown>;
    (timed as Record<string, unknown>)[op] = async (...args: unknown[]): Promise<unknown> => {
      const end = metrics.storeDuration.startTimer({ operation: op });
      try {
        return await original(...args);
      } finally {
        end();
      }
    };
  }
  return {
    ...(timed as Pick<Store, TimedOperation>),
    watch: (prefix, opts, handler) => store.watch(prefix, opts, handler),
    close: () => store.close(),
  };
}
