/**
 * The scheduler's view of the cluster, kept incrementally as kube-scheduler's cache is: one
 * NodeInfo per node holding the sum of the requests, the pod count and the host ports of the
 * pods placed on it — bound pods the informer shows, plus pods this scheduler has just bound
 * ("assumed") until the informer shows them bound, so two pods are never placed on room only one
 * of them fits. Every pod event adds or subtracts that one pod's share (what it added is kept,
 * so it is subtracted exactly); a scheduling decision reads the NodeInfos as they are, so its
 * cost depends on the number of nodes, never on the number of pods.
 *
 * cpu is summed in millicores (integers), as Kubernetes does, so adding and removing pods
 * leaves no rounding residue.
 *
 * It is also the ClusterView the affinity and spreading plugins read: per-node counts of the
 * pods a selection matches (pod-counts.ts) and the placed pods with pod (anti-)affinity grouped
 * by their terms (affinity-groups.ts), both moved by the same pod events; and the namespaces'
 * labels (namespaceSelector).
 */
import { isRecord, jsonEqual, type KubeObject } from '../api/object.ts';
import { AffinityGroups } from './affinity-groups.ts';
import { PodCounts } from './pod-counts.ts';
import { HostPortUsage, podHostPorts, type HostPort } from './host-ports.ts';
import { allocatableOf, podRequests, type Resources } from './resources.ts';
import { nodeFactsOf } from './node-facts.ts';
import type { AffinityGroup, ClusterView, NodeInfo, PodSelection } from './types.ts';

const isTerminal = (pod: KubeObject): boolean => {
  const phase = isRecord(pod.status) ? pod.status.phase : undefined;
  return phase === 'Succeeded' || phase === 'Failed';
};

export function boundNode(pod: KubeObject): string | undefined {
  const name = isRecord(pod.spec) ? pod.spec.nodeName : undefined;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** What one pod adds to its node. */
interface Share {
  nodeName: string;
  /** The pod as last seen (what the selections' counts were taken from). */
  pod: KubeObject;
  /** Its affinity group (undefined: no pod affinity). */
  groupKey: string | undefined;
  milliCpu: number;
  memory: number;
  nonZeroMilliCpu: number;
  nonZeroMemory: number;
  ports: HostPort[];
  /** Placed by this scheduler, not yet seen bound by the informer. */
  assumed: boolean;
}

/** A node's running totals; `info` is what the framework reads (undefined until the Node is known). */
interface NodeTotals {
  node: KubeObject | undefined;
  milliCpu: number;
  memory: number;
  nonZeroMilliCpu: number;
  nonZeroMemory: number;
  podCount: number;
  usedPorts: HostPortUsage;
  pods: Map<string, KubeObject>;
  info: NodeInfo | undefined;
}

/** How much work the cache did (the scale guard test reads it): pods whose share was added or removed. */
export interface CacheStats {
  podsAccounted: number;
}

const milli = (cores: number): number => Math.round(cores * 1000);

/** What the selections' counts read of a pod: a change here moves it between counts. */
const countedPart = (pod: KubeObject): unknown => ({ labels: pod.metadata?.labels ?? {}, deleting: Boolean(pod.metadata?.deletionTimestamp) });

export class SchedulerCache implements ClusterView {
  private readonly nodes = new Map<string, NodeTotals>();
  /** uid → the share of a pod that holds room on a node. */
  private readonly shares = new Map<string, Share>();
  private readonly namespaces = new Map<string, Record<string, string>>();
  private readonly groups = new AffinityGroups();
  readonly counts = new PodCounts(
    { placed: () => [...this.shares.values()].map((s) => ({ pod: s.pod, nodeName: s.nodeName })) },
    (namespace) => this.namespaceLabels(namespace),
  );
  /** The NodeInfos of known nodes, rebuilt only when a node comes or goes. */
  private list: NodeInfo[] | undefined;
  readonly stats: CacheStats = { podsAccounted: 0 };

  setNode(node: KubeObject): void {
    const name = node.metadata?.name ?? '';
    const totals = this.totals(name);
    if (!totals.node) this.list = undefined;
    totals.node = node;
    this.refresh(name, totals);
  }

  removeNode(node: KubeObject): void {
    const name = node.metadata?.name ?? '';
    const totals = this.nodes.get(name);
    if (!totals) return;
    this.list = undefined;
    totals.node = undefined;
    totals.info = undefined;
    // Pods still placed there keep their totals until they go (kube-scheduler keeps the node's entry too).
    if (totals.podCount === 0) this.nodes.delete(name);
  }

  /** A pod as the informer sees it: it holds room while bound and not finished. */
  setPod(pod: KubeObject): void {
    const uid = pod.metadata?.uid ?? '';
    const nodeName = boundNode(pod);
    const old = this.shares.get(uid);
    if (nodeName && !isTerminal(pod)) {
      // Already counted on that node (assumed, or an update that changed nothing we count): confirm it.
      if (old && old.nodeName === nodeName) {
        old.assumed = false;
        if (old.pod !== pod) this.replacePod(uid, old, pod);
        return;
      }
      if (old) this.subtract(uid, old);
      this.addShare(uid, pod, nodeName, false);
      return;
    }
    // An unbound pod this scheduler assumed keeps its room until the informer shows it bound.
    if (old && (nodeName || !old.assumed)) this.subtract(uid, old);
  }

  removePod(pod: KubeObject): void {
    const uid = pod.metadata?.uid ?? '';
    const old = this.shares.get(uid);
    if (old) this.subtract(uid, old);
  }

  /** The scheduler chose `nodeName` for `pod` and is binding it: count it there now. */
  assume(pod: KubeObject, nodeName: string): void {
    const uid = pod.metadata?.uid ?? '';
    const old = this.shares.get(uid);
    if (old) this.subtract(uid, old);
    this.addShare(uid, pod, nodeName, true);
  }

  /** The binding failed: take the assumed pod off its node (a pod the informer shows bound stays). */
  forget(pod: KubeObject): void {
    const uid = pod.metadata?.uid ?? '';
    const old = this.shares.get(uid);
    if (old?.assumed) this.subtract(uid, old);
  }

  /** True while `pod` is assumed and its binding not yet seen. */
  isAssumed(pod: KubeObject): boolean {
    return this.shares.get(pod.metadata?.uid ?? '')?.assumed ?? false;
  }

  /** A Namespace added or changed (its labels: namespaceSelector). */
  setNamespace(namespace: KubeObject): void {
    const name = namespace.metadata?.name ?? '';
    const labels = namespace.metadata?.labels ?? {};
    const old = this.namespaces.get(name);
    this.namespaces.set(name, labels);
    if (old && !jsonEqual(old, labels)) this.counts.namespaceChanged();
  }

  removeNamespace(namespace: KubeObject): void {
    if (this.namespaces.delete(namespace.metadata?.name ?? '')) this.counts.namespaceChanged();
  }

  namespaceLabels(namespace: string): Record<string, string> | undefined {
    return this.namespaces.get(namespace);
  }

  podCounts(selection: PodSelection): ReadonlyMap<string, number> {
    return this.counts.counts(selection);
  }

  affinityGroups(): Iterable<AffinityGroup> {
    return this.groups.values();
  }

  get nodeCount(): number {
    return this.nodeInfos().length;
  }

  /** The known nodes with what is placed on them; the same objects until they change. */
  nodeInfos(): readonly NodeInfo[] {
    this.list ??= [...this.nodes.values()].flatMap((t) => (t.info ? [t.info] : []));
    return this.list;
  }

  /** The NodeInfo of one node (undefined when the Node is not known). */
  nodeInfo(name: string): NodeInfo | undefined {
    return this.nodes.get(name)?.info;
  }

  private totals(name: string): NodeTotals {
    let totals = this.nodes.get(name);
    if (!totals) {
      totals = { node: undefined, milliCpu: 0, memory: 0, nonZeroMilliCpu: 0, nonZeroMemory: 0, podCount: 0, usedPorts: new HostPortUsage(), pods: new Map(), info: undefined };
      this.nodes.set(name, totals);
    }
    return totals;
  }

  private addShare(uid: string, pod: KubeObject, nodeName: string, assumed: boolean): void {
    const requests = podRequests(pod);
    const nonZero = podRequests(pod, true);
    const share: Share = {
      nodeName,
      pod,
      groupKey: this.groups.keyOf(pod),
      milliCpu: milli(requests.cpu),
      memory: requests.memory,
      nonZeroMilliCpu: milli(nonZero.cpu),
      nonZeroMemory: nonZero.memory,
      ports: podHostPorts(pod),
      assumed,
    };
    this.shares.set(uid, share);
    this.apply(uid, share, 1);
  }

  private subtract(uid: string, share: Share): void {
    this.shares.delete(uid);
    this.apply(uid, share, -1);
  }

  /** The same pod on the same node, a newer version: the counts follow its labels and deletion. */
  private replacePod(uid: string, share: Share, pod: KubeObject): void {
    if (!jsonEqual(countedPart(share.pod), countedPart(pod))) this.counts.update(share.pod, pod, share.nodeName);
    share.pod = pod;
    this.nodes.get(share.nodeName)?.pods.set(uid, pod);
  }

  private apply(uid: string, share: Share, sign: 1 | -1): void {
    this.stats.podsAccounted++;
    this.counts.apply(share.pod, share.nodeName, sign);
    if (share.groupKey) this.groups.apply(share.groupKey, share.pod, share.nodeName, sign);
    const totals = this.totals(share.nodeName);
    if (sign > 0) totals.pods.set(uid, share.pod);
    else totals.pods.delete(uid);
    totals.milliCpu += sign * share.milliCpu;
    totals.memory += sign * share.memory;
    totals.nonZeroMilliCpu += sign * share.nonZeroMilliCpu;
    totals.nonZeroMemory += sign * share.nonZeroMemory;
    totals.podCount += sign;
    if (sign > 0) totals.usedPorts.add(share.ports);
    else totals.usedPorts.remove(share.ports);
    if (!totals.node && totals.podCount === 0) {
      this.nodes.delete(share.nodeName);
      return;
    }
    this.refresh(share.nodeName, totals);
  }

  /** Brings the node's NodeInfo in line with its totals (in place: the framework holds no copies). */
  private refresh(name: string, totals: NodeTotals): void {
    if (!totals.node) return;
    const requested: Resources = { cpu: totals.milliCpu / 1000, memory: totals.memory, pods: totals.podCount };
    const nonZeroRequested: Resources = { cpu: totals.nonZeroMilliCpu / 1000, memory: totals.nonZeroMemory, pods: totals.podCount };
    if (!totals.info) {
      totals.info = { name, node: totals.node, facts: nodeFactsOf(totals.node), allocatable: allocatableOf(totals.node), requested, nonZeroRequested, podCount: totals.podCount, usedPorts: totals.usedPorts, pods: totals.pods };
      this.list = undefined;
      return;
    }
    const info = totals.info;
    if (info.node !== totals.node) {
      info.node = totals.node;
      info.facts = nodeFactsOf(totals.node);
      info.allocatable = allocatableOf(totals.node);
    }
    info.requested = requested;
    info.nonZeroRequested = nonZeroRequested;
    info.podCount = totals.podCount;
  }
}
