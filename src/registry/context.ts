/** What every registry operation needs: the store, a clock and a logger. */
import type { Logger } from 'pino';
import type { ResourceInfo } from '../api/kinds.ts';
import type { KubeObject } from '../api/object.ts';
import type { Store } from '../store/types.ts';
import type { WriteHooks } from './write-hooks.ts';
import type { Admission } from './admission/admission.ts';

export interface RegistryContext {
  store: Store;
  /**
   * Cached Namespace by name, when a namespace informer runs (Registry.start); undefined for a
   * miss, which callers answer with a live read (as Kubernetes' NamespaceLifecycle admission).
   */
  cachedNamespace?(name: string): KubeObject | undefined;
  /** Wall clock for creationTimestamp / deletionTimestamp (injectable for tests). */
  now(): Date;
  log: Logger;
  /** Writes a kind commits together with its objects (Service allocation, quota charges), if any (write-hooks.ts). */
  writeHooks?(info: ResourceInfo): WriteHooks | undefined;
  /** Admission plugins run on creates and updates (admission/), when the registry has them. */
  admission?: Admission;
}
