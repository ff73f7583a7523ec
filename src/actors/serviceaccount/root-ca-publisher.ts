/**
 * Kubernetes' root-ca-cert-publisher: the ConfigMap `kube-root-ca.crt` in every namespace holds
 * the cluster CA (`ca.crt`), which pods' ServiceAccount token volume projects so that in-cluster
 * clients can verify the API server. Made when a namespace appears, put back when deleted or
 * changed.
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
const CONFIG_MAPS = findResource('', 'v1', 'configmaps')!;
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
/** The description Kubernetes puts on it. */
export const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';
const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';

export interface RootCaPublisherOptions {
  store: Store;
  registry: Registry;
  /** The cluster CA (PEM). */
  caCertPem: string;
  logger: Logger;
}

export class RootCaPublisher {
  private readonly namespaces: ObjectInformer;
  private readonly configMaps: ObjectInformer;
  private readonly queue: WorkQueue;

  constructor(private readonly opts: RootCaPublisherOptions) {
    this.queue = new WorkQueue((ns) => this.syncNamespace(ns), {
      workers: 2,
      baseDelayMs: 100,
      maxDelayMs: 30_000,
      onError: (ns, err) => opts.logger.warn({ err, namespace: ns }, `${ROOT_CA_CONFIGMAP} not published; retrying`),
    });
    const namespaceOf = (cm: KubeObject): void => {
      if (cm.metadata?.name === ROOT_CA_CONFIGMAP) this.queue.add(cm.metadata.namespace ?? '');
    };
    this.namespaces = objectInformer(opts.store, NAMESPACES, { onAdd: (ns) => this.queue.add(ns.metadata?.name ?? ''), onUpdate: (_o, ns) => this.queue.add(ns.metadata?.name ?? '') });
    this.configMaps = objectInformer(opts.store, CONFIG_MAPS, { onUpdate: (_o, cm) => namespaceOf(cm), onDelete: namespaceOf });
  }

  async start(): Promise<void> {
    await this.configMaps.start();
    await this.namespaces.start();
    this.queue.start();
  }

  stop(): void {
    this.queue.stop();
    this.namespaces.stop();
    this.configMaps.stop();
  }

  private wanted(namespace: string, existing?: KubeObject): KubeObject {
    return {
      ...(existing ?? { apiVersion: 'v1', kind: 'ConfigMap' }),
      metadata: {
        ...(existing?.metadata ?? { name: ROOT_CA_CONFIGMAP, namespace }),
        annotations: { ...(existing?.metadata?.annotations ?? {}), [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION },
      },
      data: { 'ca.crt': this.opts.caCertPem },
    };
  }

  private async syncNamespace(namespace: string): Promise<void> {
    const ns = this.namespaces.get(objectKey(NAMESPACES, undefined, namespace));
    if (!ns || ns.metadata?.deletionTimestamp) return;
    const cached = this.configMaps.get(objectKey(CONFIG_MAPS, namespace, ROOT_CA_CONFIGMAP));
    try {
      if (!cached) {
        await this.opts.registry.create(CONFIG_MAPS, namespace, this.wanted(namespace));
        return;
      }
      const data = (cached.data ?? {}) as Record<string, unknown>;
      if (data['ca.crt'] === this.opts.caCertPem && Object.keys(data).length === 1 && cached.metadata?.annotations?.[DESCRIPTION_ANNOTATION] === ROOT_CA_DESCRIPTION) return;
      // Compare-and-swap on what the informer saw: a conflict is retried from the newer copy.
      await this.opts.registry.update(CONFIG_MAPS, namespace, ROOT_CA_CONFIGMAP, this.wanted(namespace, cached));
    } catch (err) {
      // The namespace went away (or is going): nothing to publish. Anything else (a lagging cache) is retried.
      if (err instanceof ApiError && (err.code === 404 || err.code === 403)) return;
      throw err;
    }
  }
}

/** The controller-list entry (src/master/controllers.ts). */
export function rootCaPublisherFactory(deps: { store: Store; registry: Registry; logger: Logger; caCertPem: string }): RootCaPublisher {
  return new RootCaPublisher({ store: deps.store, registry: deps.registry, caCertPem: deps.caCertPem, logger: deps.logger.child({ controller: 'root-ca-cert-publisher' }) });
}
