/**
 * Per-node counts of the placed pods a selection matches (a pod affinity term's or a topology
 * spread constraint's namespaces and label selector), kept up to date by the cache's pod events
 * instead of recounted per decision — kube-scheduler counts them in PreFilter by walking every
 * pod of every node; here a decision reads the counts (O(nodes with matching pods)).
 *
 * A selection's counts are built the first time a decision asks for it (one walk over the placed
 * pods, then never again while it is kept) and updated on every pod event after that. The
 * least recently asked-for selections are dropped beyond `capacity` (a dropped one is rebuilt if
 * asked for again), so a pod event costs at most `capacity` selector matches.
 */
import type { KubeObject } from '../api/object.ts';
import type { PodSelection } from './types.ts';

interface Counted {
  selection: PodSelection;
  /** node name → matching pods placed there (absent when 0). */
  perNode: Map<string, number>;
}

/** Placed pods as the counts see them: uid → the pod and its node. */
export interface PlacedPods {
  placed(): Iterable<{ pod: KubeObject; nodeName: string }>;
}

export interface PodCountsStats {
  /** Selections whose counts were built by walking the placed pods. */
  built: number;
}

export class PodCounts {
  /** In order of last use (Map keeps insertion order: a use re-inserts). */
  private readonly counted = new Map<string, Counted>();
  readonly stats: PodCountsStats = { built: 0 };

  constructor(
    private readonly pods: PlacedPods,
    private readonly namespaceLabels: (namespace: string) => Record<string, string> | undefined,
    private readonly capacity = 256,
  ) {}

  /** node name → pods the selection matches there. */
  counts(selection: PodSelection): ReadonlyMap<string, number> {
    let entry = this.counted.get(selection.key);
    if (entry) {
      this.counted.delete(selection.key);
      this.counted.set(selection.key, entry);
      return entry.perNode;
    }
    entry = { selection, perNode: new Map() };
    for (const { pod, nodeName } of this.pods.placed()) if (selection.matches(pod, this.namespaceLabels)) add(entry.perNode, nodeName, 1);
    this.stats.built++;
    this.counted.set(selection.key, entry);
    if (this.counted.size > this.capacity) this.counted.delete(this.counted.keys().next().value as string);
    return entry.perNode;
  }

  /** A pod was placed on (1) or taken off (-1) `nodeName`. */
  apply(pod: KubeObject, nodeName: string, sign: 1 | -1): void {
    for (const entry of this.counted.values()) if (entry.selection.matches(pod, this.namespaceLabels)) add(entry.perNode, nodeName, sign);
  }

  /** A placed pod changed what selections read (labels, deletion): moved from the old to the new version. */
  update(oldPod: KubeObject, newPod: KubeObject, nodeName: string): void {
    for (const entry of this.counted.values()) {
      const was = entry.selection.matches(oldPod, this.namespaceLabels);
      const is = entry.selection.matches(newPod, this.namespaceLabels);
      if (was !== is) add(entry.perNode, nodeName, is ? 1 : -1);
    }
  }

  /** A namespace's labels changed: counts that read them are rebuilt when next asked for. */
  namespaceChanged(): void {
    for (const [key, entry] of this.counted) if (entry.selection.readsNamespaceLabels) this.counted.delete(key);
  }
}

function add(perNode: Map<string, number>, nodeName: string, n: number): void {
  const next = (perNode.get(nodeName) ?? 0) + n;
  if (next === 0) perNode.delete(nodeName);
  else perNode.set(nodeName, next);
}
