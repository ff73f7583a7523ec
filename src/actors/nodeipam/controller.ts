/**
 * Node IPAM, as Kubernetes' nodeipam range allocator (kube-controller-manager --allocate-node-cidrs):
 * the leader gives every Node a pod CIDR (`spec.podCIDR` and `spec.podCIDRs`), a block of the
 * cluster CIDR; the node daemon makes its pod bridge with it and peers route it to that node.
 *
 * The allocation is the Node objects themselves: on start every podCIDR already set is marked
 * taken, so a new leader (or a restarted one) never hands out a block twice; a deleted Node's block
 * is free again. A node that gets no block (the cluster CIDR is full) keeps a `CIDRNotAvailable`
 * Warning and is retried with back-off, as Kubernetes does.
 */
import type { Logger } from 'pino';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import { isRecord, type KubeObject } from '../../api/object.ts';
import type { Registry } from '../../registry/registry.ts';
import type { Store } from '../../store/types.ts';
import type { EventSink } from '../../registry/event-recorder.ts';
import { refTo } from '../../registry/event-recorder.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import { retryOnConflict, isNotFound } from '../../registry/retry-on-conflict.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';
import { CidrSet } from './cidr-set.ts';
import type { PodNetworkConfig } from './config.ts';

const NODES = findKind('v1', 'Node') as ResourceInfo;


export interface NodeIpamOptions {
  store: Store;
  registry: Registry;
  events: EventSink;
  network: PodNetworkConfig;
  logger: Logger;
  /** Longest wait before retrying a node that got no block (default 30 s). */
  maxRetryDelayMs?: number;
}

export function podCidrOf(node: KubeObject): string | undefined {
  const cidr = isRecord(node.spec) ? node.spec.podCIDR : undefined;
  return typeof cidr === 'string' && cidr !== '' ? cidr : undefined;
}

export class NodeIpamController {
  private readonly cidrs: CidrSet;
  private readonly informer: ObjectInformer;
  private readonly queue: WorkQueue;
  /** Nodes already told that no block is left (one Warning per node, not one per retry). */
  private readonly warned = new Set<string>();
  private synced = false;

  constructor(private readonly opts: NodeIpamOptions) {
    this.cidrs = new CidrSet(opts.network.clusterCIDR, opts.network.nodeCIDRMaskSize);
    // Keys are the informer's (store keys), so the queue and the cache agree.
    this.queue = new WorkQueue((key) => this.syncNode(key), {
      workers: 1,
      baseDelayMs: 200,
      maxDelayMs: opts.maxRetryDelayMs ?? 30_000,
      onError: (key, err) => opts.logger.warn({ err, key }, 'pod CIDR not allocated; retrying'),
    });
    this.informer = objectInformer(opts.store, NODES, {
      onAdd: (node, key) => this.observe(node, key),
      onUpdate: (_old, node, key) => this.observe(node, key),
      onDelete: (node) => {
        const cidr = podCidrOf(node);
        if (cidr) this.cidrs.release(cidr);
        this.warned.delete(node.metadata?.name ?? '');
      },
    });
  }

  async start(): Promise<void> {
    // The informer replays every Node to observe() before start() resolves: every block in use is
    // marked before the first allocation.
    await this.informer.start();
    this.synced = true;
    for (const [key, node] of this.informer.entries()) if (!podCidrOf(node)) this.queue.add(key);
    this.queue.start();
  }

  stop(): void {
    this.queue.stop();
    this.informer.stop();
  }

  private observe(node: KubeObject, key: string): void {
    const cidr = podCidrOf(node);
    if (cidr) {
      if (!this.cidrs.occupy(cidr)) this.opts.logger.warn({ node: node.metadata?.name, cidr }, 'node pod CIDR is outside the cluster CIDR');
      return;
    }
    if (this.synced) this.queue.add(key);
  }

  private async syncNode(key: string): Promise<void> {
    const cached = this.informer.get(key);
    if (!cached || podCidrOf(cached) || cached.metadata?.deletionTimestamp) return;
    const name = cached.metadata?.name ?? '';
    const cidr = this.cidrs.allocateNext();
    if (!cidr) {
      if (!this.warned.has(name)) {
        this.warned.add(name);
        await this.opts.events.record(refTo(cached), 'Warning', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
      }
      throw new Error(`no pod CIDR left in ${this.opts.network.clusterCIDR} for node ${name}`);
    }
    let kept = false;
    try {
      await retryOnConflict(async () => {
        const node = await this.opts.registry.get(NODES, undefined, name);
        const theirs = podCidrOf(node);
        if (theirs) {
          this.cidrs.occupy(theirs); // another writer was first: keep what the node has
          return;
        }
        const spec = isRecord(node.spec) ? node.spec : {};
        await this.opts.registry.update(NODES, undefined, name, { ...node, spec: { ...spec, podCIDR: cidr, podCIDRs: [cidr] } });
        kept = true;
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    } finally {
      if (!kept) this.cidrs.release(cidr);
    }
    if (kept) this.warned.delete(name);
  }
}

/** The controller-list entry (src/master/controllers.ts). */
export function nodeIpamControllerFactory(deps: { store: Store; registry: Registry; events: EventSink; network: PodNetworkConfig; logger: Logger }): NodeIpamController {
  return new NodeIpamController({ store: deps.store, registry: deps.registry, events: deps.events, network: deps.network, logger: deps.logger.child({ controller: 'nodeipam' }) });
}
