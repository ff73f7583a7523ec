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
