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
 */
import { isRecord, type KubeObject } from '../api/object.ts';
import { HostPortUsage, podHostPorts, type HostPort } from './host-ports.ts';
import { allocatableOf, podRequests, type Resources } from './resources.ts';
import { nodeFactsOf } from './node-facts.ts';
import type { NodeInfo } from './types.ts';

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
  info: NodeInfo | undefined;
}

/** How much work the cache did (the scale guard test reads it): pods whose share was added or removed. */
export interface CacheStats {
  podsAccounted: number;
}

const milli = (cores: number): number => Math.round(cores * 1000);

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeTotals>();
  /** uid → the share of a pod that holds room on a node. */
  private readonly shares = new Map<string, Share>();
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
      totals = { node: undefined, milliCpu: 0, memory: 0, nonZeroMilliCpu: 0, nonZeroMemory: 0, podCount: 0, usedPorts: new HostPortUsage(), info: undefined };
      this.nodes.set(name, totals);
    }
    return totals;
  }

  private addShare(uid: string, pod: KubeObject, nodeName: string, assumed: boolean): void {
    const requests = podRequests(pod);
    const nonZero = podRequests(pod, true);
    const share: Share = {
      nodeName,
      milliCpu: milli(requests.cpu),
      memory: requests.memory,
      nonZeroMilliCpu: milli(nonZero.cpu),
      nonZeroMemory: nonZero.memory,
      ports: podHostPorts(pod),
      assumed,
    };
    this.shares.set(uid, share);
    this.apply(share, 1);
  }

  private subtract(uid: string, share: Share): void {
    this.shares.delete(uid);
    this.apply(share, -1);
  }

  private apply(share: Share, sign: 1 | -1): void {
    this.stats.podsAccounted++;
    const totals = this.totals(share.nodeName);
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
      totals.info = { name, node: totals.node, facts: nodeFactsOf(totals.node), allocatable: allocatableOf(totals.node), requested, nonZeroRequested, podCount: totals.podCount, usedPorts: totals.usedPorts };
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
