/**
 * The DaemonSet rolling update's arithmetic (Kubernetes' pkg/controller/daemon/update.go
 * `rollingUpdate` and util.go `SurgeCount` / `UnavailableCount`), pure: which old-template pods
 * to delete and on which nodes to start a new pod beside the old one, over the nodes and the
 * DaemonSet's own pods as the caches hold them. The DaemonSet machine's `planning` step calls it
 * through planSync (plan.ts); its guards choose the round's work from the result.
 *
 * - maxSurge 0: old pods go, at most maxUnavailable nodes down at once; the manage step then
 *   creates the replacement on the emptied node.
 * - maxSurge > 0: a new pod starts beside the old one on at most maxSurge nodes at once; the old
 *   pod goes once the new one is available (100% availability, as Kubernetes promises).
 */
import { isRecord, optionalRecord, type KubeObject } from '../../api/object.ts';
import { isAvailable } from '../controller-kit/pods.ts';
import { isFailed, isTerminating, isUpdated, podsByNode } from './nodes-to-pods.ts';
import { placementOn } from './placement.ts';
import { daemonPodSpec } from './template.ts';

export interface UpdateStrategy {
  type: 'RollingUpdate' | 'OnDelete';
  maxUnavailable: unknown;
  maxSurge: unknown;
}

export function strategyOf(ds: KubeObject): UpdateStrategy {
  const strategy = optionalRecord(isRecord(ds.spec) ? ds.spec : undefined, 'updateStrategy') ?? {};
  const rolling = optionalRecord(strategy, 'rollingUpdate') ?? {};
  return { type: strategy.type === 'OnDelete' ? 'OnDelete' : 'RollingUpdate', maxUnavailable: rolling.maxUnavailable ?? 1, maxSurge: rolling.maxSurge ?? 0 };
}

/** An int-or-percent of `desired`, rounded up (the DaemonSet rounds both fenceposts up); 0 when malformed. */
function scaledValue(value: unknown, desired: number): number {
  if (typeof value === 'number') return Math.max(Math.trunc(value), 0);
  if (typeof value === 'string' && /^\d+%$/.test(value)) return Math.ceil((Number.parseInt(value, 10) * desired) / 100);
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return 0;
}

/** Kubernetes' SurgeCount: new pods allowed beside old ones at once (0 for OnDelete). */
export function surgeCount(ds: KubeObject, desired: number): number {
  const strategy = strategyOf(ds);
  return strategy.type === 'RollingUpdate' ? scaledValue(strategy.maxSurge, desired) : 0;
}

/**
 * Kubernetes' UnavailableCount: nodes the update may take down at once. When surging it is not
 * used; without surge, 0 (which validation refuses beside maxSurge 0) counts as 1, or nothing
 * would ever move.
 */
export function unavailableCount(ds: KubeObject, desired: number): number {
  const n = scaledValue(strategyOf(ds).maxUnavailable, desired);
  return n === 0 && surgeCount(ds, desired) === 0 ? 1 : n;
}

export function minReadySecondsOf(ds: KubeObject): number {
  const spec = isRecord(ds.spec) ? ds.spec : {};
  return typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0;
}

export interface RollingInput {
  ds: KubeObject;
  hash: string;
  nodes: readonly KubeObject[];
  /** The pods this DaemonSet controls (terminating ones included). */
  pods: readonly KubeObject[];
  now: number;
}

/** What the rolling update does now: old pods to delete, nodes to start a new pod on (surge only). */
export interface RollingStep {
  retire: KubeObject[];
  surge: string[];
}

export function rollingUpdate(input: RollingInput): RollingStep {
  const desired = desiredNodes(input).length;
  const maxSurge = surgeCount(input.ds, desired);
  return maxSurge === 0 ? rollWithoutSurge(input, unavailableCount(input.ds, desired)) : rollWithSurge(input, maxSurge, desired);
}

/** The nodes that should run the daemon (desiredNumberScheduled). */
function desiredNodes({ ds, nodes }: RollingInput): KubeObject[] {
  const podSpec = daemonPodSpec(ds);
  return nodes.filter((n) => placementOn(podSpec, n).shouldRun);
}

/**
 * Kubernetes' findUpdatedPodsOnNode: the node's one new-template pod and one old one among the
 * live pods; undefined when there are more (duplicates the manage step clears first).
 */
function updatedPodsOn(pods: readonly KubeObject[], hash: string): { fresh?: KubeObject; old?: KubeObject } | undefined {
  const live = pods.filter((p) => !isTerminating(p));
  const fresh = live.filter((p) => isUpdated(p, hash));
  const old = live.filter((p) => !isUpdated(p, hash));
  if (fresh.length > 1 || old.length > 1) return undefined;
  return { fresh: fresh[0], old: old[0] };
}

/**
 * maxSurge 0: unavailable old pods are replaced at once; available ones while fewer than
 * maxUnavailable nodes are unavailable. A node with nothing running, with both an old and a new
 * pod, with duplicates or a failed pod (the manage step clears those), or with a new pod not yet
 * available counts as unavailable, so the next old pod goes only when the previous node's new
 * pod is available.
 */
function rollWithoutSurge({ ds, hash, nodes, pods, now }: RollingInput, maxUnavailable: number): RollingStep {
  const podSpec = daemonPodSpec(ds);
  const byNode = podsByNode(pods);
  const minReadySeconds = minReadySecondsOf(ds);
  let unavailable = 0;
  const replacements: KubeObject[] = [];
  const candidates: KubeObject[] = [];
  for (const node of sortedByName(nodes)) {
    const here = byNode.get(node.metadata?.name ?? '');
    if (!here || !placementOn(podSpec, node).shouldContinueRunning) continue;
    const found = updatedPodsOn(here, hash);
    if (!found || here.some((p) => !isTerminating(p) && isFailed(p)) || (found.fresh === undefined) === (found.old === undefined)) {
      unavailable++;
    } else if (found.fresh) {
      if (!isAvailable(found.fresh, minReadySeconds, now)) unavailable++;
    } else if (found.old && !isAvailable(found.old, minReadySeconds, now)) {
      replacements.push(found.old);
    } else if (found.old) {
      candidates.push(found.old);
    }
  }
  const room = Math.min(Math.max(maxUnavailable - unavailable, 0), candidates.length);
  return { retire: [...replacements, ...candidates.slice(0, room)], surge: [] };
}

/**
 * maxSurge > 0: a node whose old pod is unavailable gets its new pod at once; up to maxSurge
 * nodes with an available old pod get a new one beside it; an old pod goes once the new pod on
 * its node is available. Old pods on nodes that no longer should run the daemon (but may keep
 * it) go only while more nodes are available than desired.
 */
function rollWithSurge({ ds, hash, nodes, pods, now }: RollingInput, maxSurge: number, desired: number): RollingStep {
  const podSpec = daemonPodSpec(ds);
  const byNode = podsByNode(pods);
  const minReadySeconds = minReadySecondsOf(ds);
  const available = (p: KubeObject): boolean => isAvailable(p, minReadySeconds, now);
  let surging = 0;
  let availableNodes = 0;
  const retire: KubeObject[] = [];
  const shouldNotRun: KubeObject[] = [];
  const replacements: string[] = [];
  const candidates: string[] = [];
  for (const node of sortedByName(nodes)) {
    const name = node.metadata?.name ?? '';
    const here = byNode.get(name);
    const placement = placementOn(podSpec, node);
    if (!here || !placement.shouldContinueRunning) continue;
    const found = updatedPodsOn(here, hash);
    if (!found || here.some((p) => !isTerminating(p) && isFailed(p))) {
      surging++;
      continue;
    }
    const { fresh, old } = found;
    if (old ? available(old) : fresh !== undefined && available(fresh)) availableNodes++;
    if (!old) continue;
    if (!fresh) {
      if (!available(old)) {
        if (placement.shouldRun) replacements.push(name);
        else retire.push(old);
      } else if (!placement.shouldRun) {
        shouldNotRun.push(old);
      } else if (surging < maxSurge) {
        candidates.push(name);
      }
    } else if (!available(fresh)) {
      surging++;
    } else {
      retire.push(old);
    }
  }
  const deletable = Math.min(Math.max(availableNodes - desired, 0), shouldNotRun.length);
  const room = Math.min(Math.max(maxSurge - surging, 0), candidates.length);
  return { retire: [...retire, ...shouldNotRun.slice(0, deletable)], surge: [...replacements, ...candidates.slice(0, room)] };
}

/** Nodes by name, so every sync walks them in the same order. */
export function sortedByName(nodes: readonly KubeObject[]): KubeObject[] {
  return [...nodes].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}
