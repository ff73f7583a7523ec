/**
 * Kubernetes' serviceaccounts controller: every namespace has a ServiceAccount `default`, made
 * when the namespace appears (also for namespaces that exist when the leader starts) and made
 * again when it is deleted. A namespace being deleted gets none.
 */
import type { Logger } from 'pino';
import { findResource } from '../../api/kinds.ts';
import { objectKey } from '../../api/metadata.ts';
import type { KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import type { Registry } from '../../registry/registry.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import type { Store } from '../../store/types.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';

const NAMESPACES = findResource('', 'v1', 'namespaces')!;
const SERVICE_ACCOUNTS = findResource('', 'v1', 'serviceaccounts')!;
/** The accounts every namespace gets (kube-controller-manager's ServiceAccounts list). */
export const MANAGED_ACCOUNTS = ['default'];

export interface ServiceAccountsControllerOptions {
  store: Store;
  registry: Registry;
  logger: Logger;
}

export class ServiceAccountsController {
  private readonly namespaces: ObjectInformer;
  private readonly accounts: ObjectInformer;
  private readonly queue: WorkQueue;

  constructor(private readonly opts: ServiceAccountsControllerOptions) {
    // Keys are namespace names.
    this.queue = new WorkQueue((ns) => this.syncNamespace(ns), {
      workers: 2,
      baseDelayMs: 100,
      maxDelayMs: 30_000,
      onError: (ns, err) => opts.logger.warn({ err, namespace: ns }, 'default service account not made; retrying'),
    });
    const enqueue = (ns: KubeObject): void => this.queue.add(ns.metadata?.name ?? '');
    this.namespaces = objectInformer(opts.store, NAMESPACES, { onAdd: enqueue, onUpdate: (_old, ns) => enqueue(ns) });
    this.accounts = objectInformer(opts.store, SERVICE_ACCOUNTS, {
      onDelete: (sa) => {
        if (MANAGED_ACCOUNTS.includes(sa.metadata?.name ?? '')) this.queue.add(sa.metadata?.namespace ?? '');
      },
    });
  }

  async start(): Promise<void> {
    // Accounts first, so a namespace's sync sees the accounts that already exist.
    await this.accounts.start();
    await this.namespaces.start();
    this.queue.start();
  }

  stop(): void {
    this.queue.stop();
    this.namespaces.stop();
    this.accounts.stop();
  }

  private async syncNamespace(name: string): Promise<void> {
    const ns = this.namespaces.get(objectKey(NAMESPACES, undefined, name));
    if (!ns || ns.metadata?.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating') return;
    for (const account of MANAGED_ACCOUNTS) {
      if (this.accounts.get(objectKey(SERVICE_ACCOUNTS, name, account))) continue;
      try {
        await this.opts.registry.create(SERVICE_ACCOUNTS, name, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: account, namespace: name } });
        this.opts.logger.debug({ namespace: name, account }, 'service account created');
      } catch (err) {
        // Already there (the informer lags), or the namespace went away meanwhile: nothing to do.
        if (err instanceof ApiError && (err.reason === 'AlreadyExists' || err.code === 404)) continue;
        if (err instanceof ApiError && err.code === 403) continue;
        throw err;
      }
    }
  }
}

/** The controller-list entry (src/master/controllers.ts). */
export function serviceAccountsControllerFactory(deps: { store: Store; registry: Registry; logger: Logger }): ServiceAccountsController {
  return new ServiceAccountsController({ store: deps.store, registry: deps.registry, logger: deps.logger.child({ controller: 'serviceaccount' }) });
}
