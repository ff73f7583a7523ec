/**
 * The set of onEvent subscribers every runtime keeps. A throwing listener must not stop the
 * others or the runtime's event source, so errors are reported and swallowed here.
 */
import type { RuntimeEvent, RuntimeEventListener } from '../../src/runtime/types.ts';

export class EventListeners {
  private readonly listeners = new Set<RuntimeEventListener>();

  constructor(private readonly onListenerError: (err: unknown) => void = () => {}) {}

  /** Add a listener; returns its unsubscribe function. */
  add(listener: RuntimeEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: RuntimeEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}
