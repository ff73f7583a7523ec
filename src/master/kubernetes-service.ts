/**
 * The `default/kubernetes` Service, kept by the elected master as Kubernetes' apiservers keep it
 * (the bootstrap controller and the lease endpoint reconciler): a ClusterIP Service on the first
 * address of the service CIDR, port 443 `https`, with no selector; its Endpoints and its
 * EndpointSlice list every master whose API address is published under
 * `/registry/masterleases/` (api-endpoints.ts), so a client in a pod reaches the API at
 * `kubernetes.default.svc`.
 *
 * The Endpoints carry `endpointslice.kubernetes.io/skip-mirror: "true"` and the slice has no
 * managed-by label, as Kubernetes writes them, so the Service controller (src/actors/service)
 * neither mirrors nor deletes them. Masters listening on different ports (several on one host)
 * get one subset and one slice per port: `kubernetes`, then `kubernetes-<port>`.
 *
 * Reconciled on every change of the masters' addresses or of these objects, and every 10 s
 * (Kubernetes' endpoint reconcile interval), one reconcile at a time, retried with backoff.
 */
import type { EndpointSubset, Endpoints, Service, ServicePort } from 'kubernetes-types/core/v1.d.ts';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import pino, { type Logger } from 'pino';
import { findResource, type ResourceInfo } from '../api/kinds.ts';
import { jsonEqual, type KubeObject } from '../api/object.ts';
import { ApiError } from '../api/status.ts';
import { WorkQueue } from '../actors/controller-kit/work-queue.ts';
import { firstServiceIP } from '../registry/allocators/ranges.ts';
import type { Registry } from '../registry/registry.ts';
import { Informer } from '../store/informer.ts';
import type { Store } from '../store/types.ts';
import { decodeApiEndpoint, MASTER_LEASES_PREFIX, type ApiEndpoint } from './api-endpoints.ts';
import type { ControllerDeps, ControllerFactory } from '../actors/controller-kit/controller.ts';
import { objectInformer, type ObjectInformer } from '../registry/informers.ts';
import { isNotFound } from '../registry/retry-on-conflict.ts';

const SERVICES = findResource('', 'v1', 'services') as ResourceInfo;
const ENDPOINTS = findResource('', 'v1', 'endpoints') as ResourceInfo;
const ENDPOINT_SLICES = findResource('discovery.k8s.io', 'v1', 'endpointslices') as ResourceInfo;

export const KUBERNETES_SERVICE = { namespace: 'default', name: 'kubernetes' } as const;
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
const WORK_KEY = 'kubernetes';

export interface KubernetesServiceOptions {
  store: Store;
  registry: Registry;
  /** The Service's ClusterIP: the first address of the service CIDR (`10.96.0.1`). */
  clusterIP: string;
  /** Full reconcile period (default 10 s). */
  resyncMs?: number;
  logger?: Logger;
}

export class KubernetesServiceController {
  private readonly masters: Informer<ApiEndpoint | undefined>;
  private readonly views: ObjectInformer[];
  private readonly queue: WorkQueue;
  private timer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: KubernetesServiceOptions) {
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.queue = new WorkQueue(() => this.reconcile(), {
      workers: 1,
      maxDelayMs: 30_000,
      onError: (_key, err) => this.log.warn({ err }, 'keeping the kubernetes Service failed; retrying'),
    });
    const poke = { onAdd: () => this.queue.add(WORK_KEY), onUpdate: () => this.queue.add(WORK_KEY), onDelete: () => this.queue.add(WORK_KEY) };
    this.masters = new Informer({ store: opts.store, prefix: MASTER_LEASES_PREFIX, decode: decodeApiEndpoint, handlers: poke });
    const ours = (obj: KubeObject): boolean =>
      obj.metadata?.namespace === KUBERNETES_SERVICE.namespace &&
      (obj.metadata?.name === KUBERNETES_SERVICE.name || obj.metadata?.labels?.[SERVICE_NAME_LABEL] === KUBERNETES_SERVICE.name);
    const pokeIfOurs = {
      onAdd: (o: KubeObject) => ours(o) && this.queue.add(WORK_KEY),
      onUpdate: (_old: KubeObject, o: KubeObject) => ours(o) && this.queue.add(WORK_KEY),
      onDelete: (o: KubeObject) => ours(o) && this.queue.add(WORK_KEY),
    };
    this.views = [SERVICES, ENDPOINTS, ENDPOINT_SLICES].map((info) => objectInformer(opts.store, info, pokeIfOurs));
  }

  async start(): Promise<void> {
    await this.masters.start();
    for (const v of this.views) await v.start();
    this.queue.start();
    this.queue.add(WORK_KEY);
    this.timer = setInterval(() => this.queue.add(WORK_KEY), this.opts.resyncMs ?? 10_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.queue.stop();
    this.masters.stop();
    for (const v of this.views) v.stop();
  }

  /** True when no reconcile is queued or running (tests wait on it). */
  idle(): boolean {
    return this.queue.length === 0;
  }

  private async reconcile(): Promise<void> {
    const masters = liveMasters(this.masters.list());
    // Until a master has published its address there is nothing true to write.
    if (masters.length === 0) return;
    await this.ensureService(masters[0].port);
    await this.ensureEndpoints(masters);
    await this.ensureSlices(masters);
  }

  private async ensureService(targetPort: number): Promise<void> {
    const { namespace, name } = KUBERNETES_SERVICE;
    const ports: ServicePort[] = [{ name: 'https', port: 443, protocol: 'TCP', targetPort }];
    const current = await getOptional<Service>(this.opts.registry, SERVICES, name);
    if (!current) {
      const service: Service = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace, labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: { type: 'ClusterIP', clusterIP: this.opts.clusterIP, sessionAffinity: 'None', ports },
      };
      await ignoreAlreadyExists(this.opts.registry.create(SERVICES, namespace, service as KubeObject));
      return;
    }
    if (current.spec?.type === 'ClusterIP' && jsonEqual(current.spec?.ports, ports)) return;
    // Someone changed its ports or type: put them back (the ClusterIP cannot change).
    const spec = { ...current.spec, type: 'ClusterIP', ports };
    await this.opts.registry.update(SERVICES, namespace, name, { ...current, spec } as KubeObject);
  }

  private async ensureEndpoints(masters: ApiEndpoint[]): Promise<void> {
    const { namespace, name } = KUBERNETES_SERVICE;
    const subsets: EndpointSubset[] = byPort(masters).map(([port, ips]) => ({ addresses: ips.map((ip) => ({ ip })), ports: [{ name: 'https', port, protocol: 'TCP' }] }));
    const labels = { [SKIP_MIRROR_LABEL]: 'true' };
    const current = await getOptional<Endpoints>(this.opts.registry, ENDPOINTS, name);
    if (current && jsonEqual(current.subsets, subsets) && jsonEqual(current.metadata?.labels, labels)) return;
    const endpoints: Endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata: { ...(current?.metadata ?? { name, namespace }), labels }, subsets };
    if (current) await this.opts.registry.update(ENDPOINTS, namespace, name, endpoints as KubeObject);
    else await ignoreAlreadyExists(this.opts.registry.create(ENDPOINTS, namespace, endpoints as KubeObject));
  }

  private async ensureSlices(masters: ApiEndpoint[]): Promise<void> {
    const { namespace } = KUBERNETES_SERVICE;
    const wanted = byPort(masters).map(([port, ips], i): EndpointSlice => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: i === 0 ? KUBERNETES_SERVICE.name : `${KUBERNETES_SERVICE.name}-${port}`, namespace, labels: { [SERVICE_NAME_LABEL]: KUBERNETES_SERVICE.name } },
      addressType: 'IPv4',
      endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    }));
    const existing = (await this.opts.registry.list(ENDPOINT_SLICES, namespace, { labelSelector: `${SERVICE_NAME_LABEL}=${KUBERNETES_SERVICE.name},!${MANAGED_BY_LABEL}` })).items as unknown as EndpointSlice[];
    for (const slice of wanted) {
      const current = existing.find((s) => s.metadata?.name === slice.metadata?.name);
      if (!current) {
        await ignoreAlreadyExists(this.opts.registry.create(ENDPOINT_SLICES, namespace, slice as unknown as KubeObject));
      } else if (!jsonEqual(current.endpoints, slice.endpoints) || !jsonEqual(current.ports, slice.ports) || !jsonEqual(current.metadata?.labels, slice.metadata?.labels)) {
        const next = { ...slice, metadata: { ...current.metadata, labels: slice.metadata?.labels } };
        await this.opts.registry.update(ENDPOINT_SLICES, namespace, current.metadata?.name ?? '', next as unknown as KubeObject);
      }
    }
    for (const stale of existing.filter((s) => !wanted.some((w) => w.metadata?.name === s.metadata?.name))) {
      try {
        await this.opts.registry.delete(ENDPOINT_SLICES, namespace, stale.metadata?.name ?? '', { preconditions: { uid: stale.metadata?.uid } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
}

/** The published masters, deduplicated, in address order. */
function liveMasters(published: readonly (ApiEndpoint | undefined)[]): ApiEndpoint[] {
  const seen = new Map<string, ApiEndpoint>();
  for (const m of published) if (m) seen.set(`${m.ip}:${m.port}`, m);
  return [...seen.values()].sort((a, b) => a.port - b.port || a.ip.localeCompare(b.ip, 'en', { numeric: true }));
}

/** Masters grouped by port (one subset / slice each), ports ascending, addresses sorted. */
function byPort(masters: readonly ApiEndpoint[]): [number, string[]][] {
  const groups = new Map<number, string[]>();
  for (const m of masters) groups.set(m.port, [...(groups.get(m.port) ?? []), m.ip]);
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([port, ips]) => [port, ips.sort((x, y) => x.localeCompare(y, 'en', { numeric: true }))]);
}

async function getOptional<T>(registry: Registry, info: ResourceInfo, name: string): Promise<T | undefined> {
  try {
    return (await registry.get(info, KUBERNETES_SERVICE.namespace, name)) as T;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Another master (a leader just deposed) created it first: the next reconcile compares. */
async function ignoreAlreadyExists(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (err) {
    if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
  }
}

/** The `default/kubernetes` keeper, on the first address of `deps.serviceRanges.clusterIPs`. */
export const kubernetesServiceFactory: ControllerFactory = (deps: ControllerDeps) =>
  new KubernetesServiceController({ store: deps.store, registry: deps.registry, clusterIP: firstServiceIP(deps.serviceRanges.clusterIPs), logger: deps.logger });
