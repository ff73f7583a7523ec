/**
 * Kubernetes' clusterrole-aggregation controller: every ClusterRole with an `aggregationRule`
 * (admin, edit, view, and any a user makes) holds the rules of the ClusterRoles its selectors
 * match (aggregate.ts). Any ClusterRole change queues every aggregated role; a sync writes the
 * rules only when they differ (compare-and-swap through the Registry, retried on conflict).
 */
import type { ClusterRole } from 'kubernetes-types/rbac/v1.d.ts';
import type { Logger } from 'pino';
import { findResource } from '../../api/kinds.ts';
import { objectKey } from '../../api/metadata.ts';
import { jsonEqual, type KubeObject } from '../../api/object.ts';
import type { Registry } from '../../registry/registry.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import { isNotFound, retryOnConflict } from '../../registry/retry-on-conflict.ts';
import type { Store } from '../../store/types.ts';
import type { Controller, ControllerDeps } from '../controller-kit/controller.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';
import { aggregatedRules } from './aggregate.ts';

const CLUSTER_ROLES = findResource('rbac.authorization.k8s.io', 'v1', 'clusterroles')!;

export interface ClusterRoleAggregationOptions {
  store: Store;
  registry: Registry;
  logger: Logger;
}

export class ClusterRoleAggregationController implements Controller {
  private readonly roles: ObjectInformer;
  private readonly queue: WorkQueue;

  constructor(private readonly opts: ClusterRoleAggregationOptions) {
    // Keys are ClusterRole names.
    this.queue = new WorkQueue((name) => this.sync(name), {
      workers: 1,
      baseDelayMs: 100,
      maxDelayMs: 30_000,
      onError: (name, err) => opts.logger.warn({ err, clusterRole: name }, 'aggregating rules failed; retrying'),
    });
    const enqueueAggregated = (): void => {
      for (const role of this.roles.list() as ClusterRole[]) if (role.aggregationRule) this.queue.add(role.metadata?.name ?? '');
    };
    this.roles = objectInformer(opts.store, CLUSTER_ROLES, { onAdd: enqueueAggregated, onUpdate: enqueueAggregated, onDelete: enqueueAggregated });
  }

  async start(): Promise<void> {
    await this.roles.start();
    this.queue.start();
  }

  stop(): void {
    this.queue.stop();
    this.roles.stop();
  }

  private async sync(name: string): Promise<void> {
    const cached = this.roles.get(objectKey(CLUSTER_ROLES, undefined, name)) as ClusterRole | undefined;
    if (!cached?.aggregationRule) return;
    const wanted = aggregatedRules(cached, this.roles.list() as ClusterRole[]);
    if (jsonEqual(cached.rules ?? [], wanted)) return;
    try {
      await retryOnConflict(async () => {
        const current = (await this.opts.registry.get(CLUSTER_ROLES, undefined, name)) as ClusterRole & KubeObject;
        if (!current.aggregationRule || jsonEqual(current.rules ?? [], wanted)) return;
        await this.opts.registry.update(CLUSTER_ROLES, undefined, name, { ...current, rules: wanted });
      });
      this.opts.logger.debug({ clusterRole: name, rules: wanted.length }, 'aggregated rules written');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** The controller-list entry (src/master/controllers.ts). */
export function clusterRoleAggregationFactory(deps: Pick<ControllerDeps, 'store' | 'registry' | 'logger'>): ClusterRoleAggregationController {
  return new ClusterRoleAggregationController({ store: deps.store, registry: deps.registry, logger: deps.logger.child({ controller: 'clusterrole-aggregation' }) });
}
