/**
 * The master's in-memory PodMetricsStore: the latest NodeMetricsSample of each node, which
 * replaces that node's previous one whole (a pod absent from it has left the node). Samples older
 * than `maxAgeMs` are not served, so a node that stops reporting stops showing usage instead of
 * showing stale usage forever. Nothing is persisted: after a master restart usage reappears
 * within one sample interval, as with metrics-server.
 */
import type { NodeMetricsSample, NodeUsage, PodMetricsSource, PodUsage } from './types.ts';

export interface PodMetricsStoreOptions {
  /** Samples older than this are ignored (default 2 minutes, four missed 15 s samples and then some). */
  maxAgeMs?: number;
  /** Epoch ms (tests). */
  now?: () => number;
}

/** Latest usage per node and per pod, fed by node daemons' samples. */
export class PodMetricsStore implements PodMetricsSource {
  private readonly byNode = new Map<string, NodeMetricsSample>();
  /** `namespace/name` -> the node whose sample holds the pod (a moved pod follows its latest node). */
  private readonly podNode = new Map<string, string>();
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(opts: PodMetricsStoreOptions = {}) {
    this.maxAgeMs = opts.maxAgeMs ?? 120_000;
    this.now = opts.now ?? Date.now;
  }

  /** Takes a node's sample (the gateway calls this for each `node.metrics` message). Older samples than the one held are dropped. */
  recordNodeMetrics(sample: NodeMetricsSample): void {
    const previous = this.byNode.get(sample.node);
    if (previous && previous.timestamp > sample.timestamp) return;
    if (previous) for (const p of previous.pods) this.unlinkPod(`${p.namespace}/${p.name}`, sample.node);
    this.byNode.set(sample.node, sample);
    for (const p of sample.pods) this.podNode.set(`${p.namespace}/${p.name}`, sample.node);
  }

  /** Forgets a node (deleted, or gone from the mesh). */
  forgetNode(node: string): void {
    const previous = this.byNode.get(node);
    if (!previous) return;
    for (const p of previous.pods) this.unlinkPod(`${p.namespace}/${p.name}`, node);
    this.byNode.delete(node);
  }

  listPods(namespace?: string): PodUsage[] {
    const out: PodUsage[] = [];
    for (const sample of this.freshSamples()) {
      for (const p of sample.pods) {
        if (namespace !== undefined && p.namespace !== namespace) continue;
        if (this.podNode.get(`${p.namespace}/${p.name}`) !== sample.node) continue;
        out.push(podUsage(sample, p));
      }
    }
    return out.sort((a, b) => (a.namespace === b.namespace ? a.name.localeCompare(b.name) : a.namespace.localeCompare(b.namespace)));
  }

  getPod(namespace: string, name: string): PodUsage | undefined {
    const node = this.podNode.get(`${namespace}/${name}`);
    const sample = node === undefined ? undefined : this.byNode.get(node);
    if (!sample || !this.isFresh(sample)) return undefined;
    const p = sample.pods.find((x) => x.namespace === namespace && x.name === name);
    return p ? podUsage(sample, p) : undefined;
  }

  listNodes(): NodeUsage[] {
    return this.freshSamples()
      .map(nodeUsage)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  getNode(name: string): NodeUsage | undefined {
    const sample = this.byNode.get(name);
    return sample && this.isFresh(sample) ? nodeUsage(sample) : undefined;
  }

  private unlinkPod(key: string, node: string): void {
    if (this.podNode.get(key) === node) this.podNode.delete(key);
  }

  private isFresh(sample: NodeMetricsSample): boolean {
    return this.now() - sample.timestamp <= this.maxAgeMs;
  }

  private freshSamples(): NodeMetricsSample[] {
    return [...this.byNode.values()].filter((s) => this.isFresh(s));
  }
}

function podUsage(sample: NodeMetricsSample, pod: NodeMetricsSample['pods'][number]): PodUsage {
  return { namespace: pod.namespace, name: pod.name, containers: pod.containers.map((c) => ({ ...c })), timestamp: sample.timestamp, windowSeconds: sample.windowSeconds };
}

function nodeUsage(sample: NodeMetricsSample): NodeUsage {
  let cpuNanoCores = 0;
  let memoryBytes = 0;
  for (const p of sample.pods) {
    for (const c of p.containers) {
      cpuNanoCores += c.cpuNanoCores;
      memoryBytes += c.memoryBytes;
    }
  }
  return { name: sample.node, cpuNanoCores, memoryBytes, timestamp: sample.timestamp, windowSeconds: sample.windowSeconds };
}
