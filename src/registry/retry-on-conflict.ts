/**
 * Read-modify-write against the Registry with optimistic concurrency, as client-go's
 * `retry.RetryOnConflict`: `attempt` reads the object, changes it and writes it back carrying the
 * resourceVersion it read; a 409 Conflict means someone wrote in between, so it runs again.
 */
import { ApiError } from '../api/status.ts';

/** Most attempts before the conflict is surfaced (contention this high is a bug). */
const MAX_ATTEMPTS = 16;

export async function retryOnConflict<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'Conflict') || i >= MAX_ATTEMPTS) throw err;
    }
  }
}

/** True for a 404 NotFound ApiError: the object is gone, which most writers simply accept. */
export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.code === 404;
}
