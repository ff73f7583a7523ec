/**
 * Kubernetes' resourcequota controller: keeps every ResourceQuota's status right — `hard` as the
 * spec says, `used` what the namespace's objects use of it (src/api/quota/check.ts
 * calculateUsage). Admission charges creates (src/registry/admission/resource-quota.ts); this
 * gives back what deletes, finished pods and shrinking objects release, counts a new or changed
 * quota, and recounts everything periodically.
 *
 * A recount reads the quota, then lists the objects from the store, then writes the status
 * compared against the quota's revision as read: an admission charge committed in between moved
 * that revision, so the write fails and the recount runs again (never losing a charge).
 *
 * Triggers: a quota added or changed; an object of a kind some quota counts deleted, or changed
 * so that it uses something else (its own informer per kind, started when a quota first names
 * it); the periodic resync (Kubernetes' --resource-quota-sync-period: 5 min).
 */
import type { Logger } from 'pino';
import { allResources, findResource, storedResource, type ResourceInfo } from '../../api/kinds.ts';
import { objectKey, prefixFor } from '../../api/metadata.ts';
import { isRecord, jsonEqual, type KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import { calculateUsage, evaluatorsForHard, quotaScopes } from '../../api/quota/check.ts';
import { evaluatorFor, groupResourceOf } from '../../api/quota/evaluators.ts';
import { listsEqual, parseResourceList, resourceListJson } from '../../api/quota/resource-list.ts';
import type { Registry } from '../../registry/registry.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import type { Store } from '../../store/types.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';

const RESOURCE_QUOTAS = findResource('', 'v1', 'resourcequotas')!;

/** The stored resource of a group-resource (`pods`, `deployments.apps`), if kactus serves it. */
function resourceOf(groupResource: string): ResourceInfo | undefined {
  return allResources().find((r) => storedResource(r) === r && r.namespaced && groupResourceOf(r.group, r.resource) === groupResource);
}

export interface ResourceQuotaControllerOptions {
  store: Store;
  registry: Registry;
  logger: Logger;
  now?: () => Date;
  /** Time between full recounts of every quota (default 5 min). */
  resyncIntervalMs?: number;
}

export class ResourceQuotaController {
  private readonly quotas: ObjectInformer;
  private readonly monitors = new Map<string, ObjectInformer>();
  private readonly queue: WorkQueue;
  private resync?: NodeJS.Timeout;
  private running = false;

  constructor(private readonly opts: ResourceQuotaControllerOptions) {
    this.queue = new WorkQueue((key) => this.syncQuota(key), {
      workers: 2,
      baseDelayMs: 50,
      maxDelayMs: 10_000,
      onError: (key, err) => opts.logger.debug({ err, key }, 'quota status not written; retrying'),
    });
    this.quotas = objectInformer(opts.store, RESOURCE_QUOTAS, {
      onAdd: (q, key) => this.observeQuota(q, key),
      onUpdate: (_old, q, key) => this.observeQuota(q, key),
    });
  }

  async start(): Promise<void> {
    this.running = true;
    await this.quotas.start();
    this.queue.start();
    const every = this.opts.resyncIntervalMs ?? 300_000;
    this.resync = setInterval(() => {
      for (const [key] of this.quotas.entries()) this.queue.add(key);
    }, every);
    this.resync.unref?.();
  }

  stop(): void {
    this.running = false;
    clearInterval(this.resync);
    this.queue.stop();
    this.quotas.stop();
    for (const m of this.monitors.values()) m.stop();
    this.monitors.clear();
  }

  /** A quota added or changed: recount it unless its status already answers its spec; watch what it counts. */
  private observeQuota(quota: KubeObject, key: string): void {
    const spec = isRecord(quota.spec) ? quota.spec : {};
    const status = isRecord(quota.status) ? quota.status : {};
    const hardNames = Object.keys(parseResourceList(spec.hard));
    for (const evaluator of evaluatorsForHard(hardNames)) this.ensureMonitor(evaluator.groupResource);
    const hard = parseResourceList(spec.hard);
    const statusHard = parseResourceList(status.hard);
    const used = parseResourceList(status.used);
    if (!listsEqual(hard, statusHard) || !hardNames.every((n) => used[n] !== undefined)) this.queue.add(key);
  }

  /** One informer per counted kind: deletes and usage-changing updates recount the namespace's quotas. */
  private ensureMonitor(groupResource: string): void {
    if (this.monitors.has(groupResource) || !this.running) return;
    const info = resourceOf(groupResource);
    if (!info) return;
    const evaluator = evaluatorFor(groupResource);
    const recount = (obj: KubeObject): void => this.enqueueNamespace(obj.metadata?.namespace ?? '');
    const monitor = objectInformer(this.opts.store, info, {
      onUpdate: (old, obj) => {
        const now = this.now();
        if (!listsEqual(evaluator.usage(old, now), evaluator.usage(obj, now))) recount(obj);
      },
      onDelete: recount,
    });
    this.monitors.set(groupResource, monitor);
    monitor.start().catch((err: unknown) => this.opts.logger.warn({ err, groupResource }, 'quota monitor failed to start'));
  }

  private enqueueNamespace(namespace: string): void {
    const prefix = prefixFor(RESOURCE_QUOTAS, namespace);
    for (const [key] of this.quotas.entries()) if (key.startsWith(prefix)) this.queue.add(key);
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  private async syncQuota(key: string): Promise<void> {
    const cached = this.quotas.get(key);
    if (!cached) return;
    const namespace = cached.metadata?.namespace ?? '';
    const name = cached.metadata?.name ?? '';
    let quota: KubeObject;
    try {
      // The quota first, then the objects: a charge between the two moves the quota's revision and fails the write below.
      quota = await this.opts.registry.get(RESOURCE_QUOTAS, namespace, name);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return;
      throw err;
    }
    const spec = isRecord(quota.spec) ? quota.spec : {};
    const hard = parseResourceList(spec.hard);
    const objects = new Map<string, KubeObject[]>();
    for (const evaluator of evaluatorsForHard(Object.keys(hard))) {
      const info = resourceOf(evaluator.groupResource);
      if (info) objects.set(evaluator.groupResource, (await this.opts.registry.list(info, namespace)).items);
    }
    const used = calculateUsage(hard, quotaScopes(quota), (gr) => objects.get(gr) ?? [], this.now());
    const status = { hard: resourceListJson(hard), used: resourceListJson(used) };
    if (jsonEqual(quota.status, status)) return;
    // quota carries the resourceVersion read: compare-and-swap (409 when it moved; the queue retries).
    await this.opts.registry.updateStatus(RESOURCE_QUOTAS, namespace, name, { ...quota, status });
    this.opts.logger.debug({ namespace, name, used: status.used }, 'quota status written');
  }
}

/** The store key of a quota (tests). */
export function quotaStoreKey(namespace: string, name: string): string {
  return objectKey(RESOURCE_QUOTAS, namespace, name);
}

/** The controller-list entry (src/master/controllers.ts). */
export function resourceQuotaControllerFactory(deps: { store: Store; registry: Registry; logger: Logger; now: () => Date }): ResourceQuotaController {
  return new ResourceQuotaController({ store: deps.store, registry: deps.registry, now: deps.now, logger: deps.logger.child({ controller: 'resourcequota' }) });
}
