/**
 * Back-off for replacing failed daemon pods, per node (Kubernetes' failedPodsBackoff: 1 s
 * doubling to 15 min): a daemon that fails at once on one node must not turn into a
 * create/delete loop. Pure: the entries live in the DaemonSet machine's context, and its
 * `planning` step admits the failed pods whose node is out of back-off.
 */
import type { PlannedDelete } from './plan.ts';
import { nodeNameOf } from './nodes-to-pods.ts';

export const INITIAL_BACKOFF_MS = 1000;
export const MAX_BACKOFF_MS = 15 * 60 * 1000;

export interface BackoffEntry {
  /** The wait that the last replacement started. */
  delayMs: number;
  /** Epoch ms before which the node's next failed pod waits. */
  nextAt: number;
}

/** Back-off entries by node name. */
export type FailedPodBackoff = Readonly<Record<string, BackoffEntry>>;

export interface Admission {
  /** The deletions to make now: every one that is not a failed pod on a node in back-off. */
  admitted: PlannedDelete[];
  backoff: FailedPodBackoff;
  /** Ms until the first refused failed pod may go (undefined: none was refused). */
  retryInMs?: number;
}

/**
 * Admits the Failed deletions whose node is out of back-off (each doubles its node's next
 * wait), refuses the others, and drops entries of nodes that no longer exist or have been quiet
 * for twice the longest wait (as Kubernetes' flowcontrol.Backoff forgets them).
 */
export function admitFailedDeletions(deletions: readonly PlannedDelete[], backoff: FailedPodBackoff, now: number, nodes: readonly string[]): Admission {
  const entries: Record<string, BackoffEntry> = {};
  for (const node of nodes) {
    const entry = backoff[node];
    if (entry && now - entry.nextAt <= 2 * MAX_BACKOFF_MS) entries[node] = entry;
  }
  const admitted: PlannedDelete[] = [];
  let retryInMs: number | undefined;
  for (const d of deletions) {
    if (d.reason !== 'Failed') {
      admitted.push(d);
      continue;
    }
    const node = nodeNameOf(d.pod);
    const entry = entries[node];
    if (entry && now < entry.nextAt) {
      retryInMs = Math.min(retryInMs ?? Infinity, entry.nextAt - now);
      continue;
    }
    const delayMs = entry ? Math.min(entry.delayMs * 2, MAX_BACKOFF_MS) : INITIAL_BACKOFF_MS;
    entries[node] = { delayMs, nextAt: now + delayMs };
    admitted.push(d);
  }
  return { admitted, backoff: entries, retryInMs };
}
