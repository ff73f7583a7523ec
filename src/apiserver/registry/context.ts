/** What every registry operation needs: the store, a clock and a logger. */
import type { Logger } from 'pino';
import type { Store } from '../../store/types.ts';

export interface RegistryContext {
  store: Store;
  /** Wall clock for creationTimestamp / deletionTimestamp (injectable for tests). */
  now(): Date;
  log: Logger;
}
