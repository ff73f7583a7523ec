/**
 * The replica controller's index of pods by controller (Kubernetes' controllerUID index on the
 * pod informer) with, per owner, the counts its status is made of — kept up to date by the pod
 * informer's events, one pod at a time, so a sync reads them instead of walking the pods:
 *
 * - per owner uid, its active pods (not finished, not being deleted) with what was decided about
 *   each when it last changed: does the owner's selector match it (else it is released, not
 *   counted), does it carry the template's labels, is it ready and since when;
 * - running counts of those facts over the matching pods; `available` is `ready` less the pods
 *   ready for less than minReadySeconds (kept aside until they mature, each looked at again only
 *   while it is that young);
 * - per namespace, the active pods no controller claims (orphans), and per owner the orphans its
 *   selector matched when they last changed (candidates a sync tries to adopt), so a sync never
 *   walks the namespace's orphans either.
 *
 * What a fact depends on in the owner (its selector, template labels, minReadySeconds) is its
 * "shape"; when a sync sees another shape (or the first), that owner's pods are looked at again,
 * and every orphan of its namespace becomes a candidate, once.
 */
import type { KubeObject } from '../../api/object.ts';
import type { LabelSelector } from '../../api/selectors.ts';
import { controllerRefOf, isActive, isReady, readySince } from '../controller-kit/pods.ts';
import { replicaSpec } from './replica-kind.ts';
import { hasLabels, templateLabelsOf, type PodCounts } from './status.ts';

/** What the facts about an owner's pods depend on. */
export interface OwnerShape {
  selector: LabelSelector;
  templateLabels: Record<string, unknown>;
  minReadySeconds: number;
  /** Equal keys: equal shapes. */
  key: string;
}

export function ownerShape(owner: KubeObject, selector: LabelSelector): OwnerShape {
  const templateLabels = templateLabelsOf(owner);
  const { minReadySeconds } = replicaSpec(owner);
  const spec = owner.spec as Record<string, unknown> | undefined;
  return { selector, templateLabels, minReadySeconds, key: JSON.stringify([spec?.selector ?? null, templateLabels, minReadySeconds]) };
}

interface Facts {
  matches: boolean;
  fullyLabeled: boolean;
  /** Epoch ms it became ready; undefined when not ready. */
  readySince: number | undefined;
}

interface Entry {
  pod: KubeObject;
  /** Undefined until the owner's shape is known. */
  facts: Facts | undefined;
}

/** How much work the tallies did (the scale guard test reads it): pods whose facts were worked out. */
export interface TallyStats {
  podsExamined: number;
}

/** One owner's active pods and their counts. */
export class OwnerTally {
  private readonly pods = new Map<string, Entry>();
  private shape: OwnerShape | undefined;
  private counts = { replicas: 0, fullyLabeled: 0, ready: 0 };
  /** Matching pods ready for less than minReadySeconds at the last look: key → ready since. */
  private readonly young = new Map<string, number>();
  /** Pods it controls that its selector no longer matches (to release). */
  private readonly strays = new Map<string, KubeObject>();
  /** Keys of orphans its selector matched when they last changed: what a sync tries to adopt. */
  readonly candidates = new Set<string>();

  constructor(private readonly stats: TallyStats) {}

  get size(): number {
    return this.pods.size;
  }

  has(key: string): boolean {
    return this.pods.has(key);
  }

  /** A sync has told it its owner's shape. */
  get shaped(): boolean {
    return this.shape !== undefined;
  }

  set(key: string, pod: KubeObject): void {
    const old = this.pods.get(key);
    if (old?.facts) this.account(key, old.pod, old.facts, -1);
    const facts = this.shape ? this.factsOf(pod, this.shape) : undefined;
    this.pods.set(key, { pod, facts });
    if (facts) this.account(key, pod, facts, 1);
  }

  delete(key: string): void {
    const old = this.pods.get(key);
    if (!old) return;
    if (old.facts) this.account(key, old.pod, old.facts, -1);
    this.pods.delete(key);
  }

  /** Brings the facts in line with the owner's shape; O(its pods) only when the shape changed (then true). */
  reshape(shape: OwnerShape): boolean {
    if (this.shape?.key === shape.key) {
      this.shape = shape;
      return false;
    }
    this.shape = shape;
    this.counts = { replicas: 0, fullyLabeled: 0, ready: 0 };
    this.young.clear();
    this.strays.clear();
    for (const [key, entry] of this.pods) {
      entry.facts = this.factsOf(entry.pod, shape);
      this.account(key, entry.pod, entry.facts, 1);
    }
    return true;
  }

  /** The counts at `now` (after `reshape`). */
  countsAt(now: number): PodCounts {
    const minReadyMs = (this.shape?.minReadySeconds ?? 0) * 1000;
    for (const [key, since] of this.young) if (since + minReadyMs <= now) this.young.delete(key);
    return { ...this.counts, available: this.counts.ready - this.young.size };
  }

  /** The matching pods (what a scale-down ranks). */
  matching(): KubeObject[] {
    const pods: KubeObject[] = [];
    for (const { pod, facts } of this.pods.values()) if (facts?.matches) pods.push(pod);
    return pods;
  }

  /** Pods it controls that the selector no longer matches. */
  strayPods(): KubeObject[] {
    return [...this.strays.values()];
  }

  private factsOf(pod: KubeObject, shape: OwnerShape): Facts {
    this.stats.podsExamined++;
    return {
      matches: shape.selector.matches(pod.metadata?.labels),
      fullyLabeled: hasLabels(pod, shape.templateLabels),
      readySince: isReady(pod) ? readySince(pod) : undefined,
    };
  }

  private account(key: string, pod: KubeObject, facts: Facts, sign: 1 | -1): void {
    if (!facts.matches) {
      if (sign > 0) this.strays.set(key, pod);
      else this.strays.delete(key);
      return;
    }
    this.counts.replicas += sign;
    if (facts.fullyLabeled) this.counts.fullyLabeled += sign;
    if (facts.readySince === undefined) return;
    this.counts.ready += sign;
    if (sign < 0) this.young.delete(key);
    else if ((this.shape?.minReadySeconds ?? 0) > 0) this.young.set(key, facts.readySince);
  }
}

/** Pods by controller uid (for one owner kind), and orphans by namespace. */
export class PodTallies {
  readonly stats: TallyStats = { podsExamined: 0 };
  private readonly byOwner = new Map<string, OwnerTally>();
  /** Pod key → the owner uid it is tallied under. */
  private readonly ownerOf = new Map<string, string>();
  private readonly orphans = new Map<string, Map<string, KubeObject>>();

  /** `isOwnerRef`: whether a controller reference names an owner of the controller's kind. */
  constructor(private readonly isOwnerRef: (ref: Record<string, unknown>) => boolean) {}

  /** The informer added or updated `pod`. */
  set(key: string, pod: KubeObject): void {
    const ref = isActive(pod) ? controllerRefOf(pod) : undefined;
    const uid = ref && this.isOwnerRef(ref) && typeof ref.uid === 'string' ? ref.uid : undefined;
    const was = this.ownerOf.get(key);
    if (was !== undefined && was !== uid) this.untally(key, was);
    const ns = pod.metadata?.namespace ?? '';
    if (isActive(pod) && !controllerRefOf(pod)) {
      let orphans = this.orphans.get(ns);
      if (!orphans) this.orphans.set(ns, (orphans = new Map()));
      orphans.set(key, pod);
    } else this.orphans.get(ns)?.delete(key);
    if (uid === undefined) return;
    this.ownerOf.set(key, uid);
    this.tally(uid).set(key, pod);
  }

  /** The informer deleted `pod`. */
  delete(key: string, pod: KubeObject): void {
    const was = this.ownerOf.get(key);
    if (was !== undefined) this.untally(key, was);
    this.orphans.get(pod.metadata?.namespace ?? '')?.delete(key);
  }

  /** The owner's tally (created empty when it has no pods yet). */
  tally(uid: string): OwnerTally {
    let tally = this.byOwner.get(uid);
    if (!tally) this.byOwner.set(uid, (tally = new OwnerTally(this.stats)));
    return tally;
  }

  /** The owner went: forget its tally unless pods still name it (they go with the garbage collector). */
  forget(uid: string): void {
    if (this.byOwner.get(uid)?.size === 0) this.byOwner.delete(uid);
  }

  /** Keys of the active pods in `namespace` without a controller. */
  orphanKeys(namespace: string): string[] {
    return [...(this.orphans.get(namespace)?.keys() ?? [])];
  }

  /** The orphan with this key, while it is one. */
  orphan(namespace: string, key: string): KubeObject | undefined {
    return this.orphans.get(namespace)?.get(key);
  }

  /** The orphan `key` matched the selector of the owner `uid`: its next sync tries to adopt it. */
  nominate(uid: string, key: string): void {
    this.tally(uid).candidates.add(key);
  }

  private untally(key: string, uid: string): void {
    this.ownerOf.delete(key);
    const tally = this.byOwner.get(uid);
    tally?.delete(key);
    // A synced owner keeps its tally (and shape) while it exists: forget() drops it.
    if (tally?.size === 0 && !tally.shaped) this.byOwner.delete(uid);
  }
}
