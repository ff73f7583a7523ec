/**
 * Restart back-off as the kubelet applies it (CrashLoopBackOff, ImagePullBackOff, sandbox retries):
 * 10 s, doubling, capped at 5 min; a container that ran 10 min without failing starts over.
 */

/** First back-off after a failure. */
export const BACKOFF_INITIAL_MS = 10_000;
/** Longest back-off. */
export const BACKOFF_MAX_MS = 300_000;
/** A container that ran this long before exiting has its crash back-off reset. */
export const BACKOFF_RESET_AFTER_MS = 600_000;

/**
 * Delay before the next attempt after `failures` consecutive failures (failures >= 1):
 * 10 s, 20 s, 40 s, … capped at 300 s.
 */
export function backoffDelayMs(failures: number): number {
  const doublings = Math.max(0, failures - 1);
  // Past 5 doublings the cap applies anyway; clamping keeps 2 ** n finite for any count.
  return Math.min(BACKOFF_INITIAL_MS * 2 ** Math.min(doublings, 16), BACKOFF_MAX_MS);
}

/**
 * Delay before restarting a container that crashed `crashes` times in a row (crashes >= 1), as
 * the kubelet's `doBackOff`: the first crash restarts at once (no back-off entry exists yet), the
 * next ones wait 10 s, 20 s, 40 s, … 300 s from the exit (CrashLoopBackOff).
 */
export function crashLoopBackOffMs(crashes: number): number {
  return crashes <= 1 ? 0 : backoffDelayMs(crashes - 1);
}

/**
 * Crashes in a row counting this exit: a run of 10 min or more starts the count over (the
 * kubelet forgets a back-off entry left alone that long), so its crash is a first one again.
 */
export function crashesAfterExit(previous: number, ranMs: number | undefined): number {
  return ranMs !== undefined && ranMs >= BACKOFF_RESET_AFTER_MS ? 1 : previous + 1;
}

/** First retry of a volume set-up, as the kubelet's volume operations (exponential back-off). */
export const MOUNT_BACKOFF_INITIAL_MS = 500;
/** Longest wait between volume set-up attempts (the kubelet's 2 min 2 s). */
export const MOUNT_BACKOFF_MAX_MS = 122_000;

/** Delay before the next volume set-up after `failures` in a row (>= 1): 0.5 s, 1 s, 2 s, … 122 s. */
export function mountBackoffMs(failures: number): number {
  const doublings = Math.max(0, failures - 1);
  return Math.min(MOUNT_BACKOFF_INITIAL_MS * 2 ** Math.min(doublings, 16), MOUNT_BACKOFF_MAX_MS);
}

/**
 * Delay before a container whose configuration could not be built (CreateContainerConfigError)
 * is tried again: the kubelet re-syncs such a pod after its worker's back-off period (10 s).
 */
export const CONFIG_RETRY_MS = 10_000;
