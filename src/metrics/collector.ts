/**
 * The node side of the pipeline: sample every running container of this node's pods through
 * `ContainerRuntime.stats` (all in parallel: Docker's stats call takes about a second per
 * container), every 15 s as metrics-server scrapes kubelets (`--metric-resolution` sets it), never
 * two samples at once.
 */
import type { ContainerRuntime, RuntimePod } from '../runtime/types.ts';
import type { ContainerUsage, NodeMetricsSample } from './types.ts';

/** metrics-server's scrape interval (its `--metric-resolution`), also the window its CPU figures are averaged over. */
export const SAMPLE_INTERVAL_MS = 15_000;

/**
 * One sample of `pods` (as `runtime.listPods()` returns them): each pod's running containers'
 * usage. A container that vanishes (or fails) between the listing and its stats call is left
 * out of the sample rather than failing it; a pod with no sampled container is left out too.
 */
export async function collectNodeMetrics(runtime: Pick<ContainerRuntime, 'stats'>, pods: readonly RuntimePod[], node: string, now: () => number = Date.now, intervalMs = SAMPLE_INTERVAL_MS): Promise<NodeMetricsSample> {
  const timestamp = now();
  const sampled = await Promise.all(
    pods.map(async (pod) => {
      const running = pod.containers.filter((c) => c.state === 'running');
      const usage = await Promise.all(
        running.map(async (c): Promise<ContainerUsage | undefined> => {
          try {
            const s = await runtime.stats(c.id);
            return { name: c.name, cpuNanoCores: s.cpuNanoCores, memoryBytes: s.memoryBytes };
          } catch {
            return undefined;
          }
        }),
      );
      const containers = usage.filter((u): u is ContainerUsage => u !== undefined);
      return { namespace: pod.namespace, name: pod.name, containers };
    }),
  );
  return { node, timestamp, windowSeconds: intervalMs / 1000, pods: sampled.filter((p) => p.containers.length > 0) };
}

export interface NodeMetricsReporterOptions {
  runtime: Pick<ContainerRuntime, 'stats' | 'listPods'>;
  node: string;
  /** Sends the sample to the master (the daemon: a `node.metrics` mesh message). Failures are the sender's to log. */
  send(sample: NodeMetricsSample): Promise<void> | void;
  /** Time between samples (default SAMPLE_INTERVAL_MS). */
  intervalMs?: number;
  now?: () => number;
}

/** Samples on a timer and sends each sample; a tick while the previous sample runs is skipped. */
export class NodeMetricsReporter {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: NodeMetricsReporterOptions) {}

  start(): void {
    if (this.timer) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs ?? SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sample in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Takes and sends one sample; false (and does nothing) when one is still running. */
  async tick(): Promise<boolean> {
    if (this.running) return false;
    this.running = (async () => {
      try {
        const pods = await this.opts.runtime.listPods();
        await this.opts.send(await collectNodeMetrics(this.opts.runtime, pods, this.opts.node, this.opts.now, this.opts.intervalMs));
      } catch {
        // The runtime being briefly unavailable costs one sample; the next tick tries again.
      }
    })();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
    return true;
  }
}
