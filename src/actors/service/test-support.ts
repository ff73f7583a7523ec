/**
 * Fixtures for the Service controller tests: a Registry over a real embedded store (temp dir,
 * WAL and fsync as in production), the controller on it, and helpers that create Services and
 * pods and play the node (pod IP, readiness) through the Registry.
 */
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.d.ts';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import { testCluster, type TestCluster } from '../../registry/test-support.ts';
import { RecordingEvents } from '../replicaset/test-support.ts';
import { ServiceController, type ServiceControllerOptions } from './controller.ts';
import { ENDPOINTS, ENDPOINT_SLICES, LABEL_SERVICE_NAME, PODS, SERVICES } from './names.ts';

export { waitFor } from '../../registry/test-support.ts';

export const NS = 'default';

export interface ServiceFixture extends TestCluster {
  controller: ServiceController;
  events: RecordingEvents;
  /** Creates a Service (v1) in NS with this spec. */
  service(name: string, spec: Record<string, unknown>, labels?: Record<string, string>): Promise<Service>;
  /** Creates a pod in NS bound to `node` with these labels and container ports. */
  pod(name: string, labels: Record<string, string>, opts?: PodOptions): Promise<Pod>;
  /** Writes the pod's status as its node would: an IP, Running, Ready True/False. */
  setStatus(name: string, status: { ip?: string; ready: boolean; phase?: string }): Promise<Pod>;
  /** The slices of Service `name`, by the service-name label (from the store). */
  slicesOf(name: string): Promise<EndpointSlice[]>;
  endpointsOf(name: string): Promise<Endpoints | undefined>;
  close(): Promise<void>;
}

export interface PodOptions {
  node?: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  hostname?: string;
  subdomain?: string;
}

export async function serviceFixture(opts: Partial<ServiceControllerOptions> = {}): Promise<ServiceFixture> {
  const cluster = await testCluster();
  const events = new RecordingEvents();
  const controller = new ServiceController({ store: cluster.store, registry: cluster.registry, events, ...opts });
  await controller.start();
  const { registry } = cluster;
  return {
    ...cluster,
    controller,
    events,
    service: async (name, spec, labels) =>
      (await registry.create(SERVICES, NS, { apiVersion: 'v1', kind: 'Service', metadata: { name, labels }, spec })) as Service,
    pod: async (name, labels, p = {}) =>
      (await registry.create(PODS, NS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels },
        spec: {
          nodeName: p.node ?? 'n1',
          ...(p.hostname ? { hostname: p.hostname } : {}),
          ...(p.subdomain ? { subdomain: p.subdomain } : {}),
          containers: [{ name: 'c', image: 'busybox', ...(p.ports ? { ports: p.ports } : {}) }],
        },
      })) as Pod,
    setStatus: async (name, s) => {
      const current = await registry.get(PODS, NS, name);
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const status = {
        phase: s.phase ?? 'Running',
        ...(s.ip ? { podIP: s.ip, podIPs: [{ ip: s.ip }] } : {}),
        conditions: [{ type: 'Ready', status: s.ready ? 'True' : 'False', lastTransitionTime: now }],
      };
      return (await registry.updateStatus(PODS, NS, name, { ...current, status })) as Pod;
    },
    slicesOf: async (name) =>
      (await registry.list(ENDPOINT_SLICES, NS, { labelSelector: `${LABEL_SERVICE_NAME}=${name}` })).items as unknown as EndpointSlice[],
    endpointsOf: async (name) => {
      try {
        return (await registry.get(ENDPOINTS, NS, name)) as Endpoints;
      } catch {
        return undefined;
      }
    },
    close: async () => {
      controller.stop();
      await cluster.close();
    },
  };
}

/** Every address of every endpoint of these slices, sorted. */
export function sliceAddresses(slices: readonly EndpointSlice[]): string[] {
  return slices.flatMap((s) => s.endpoints.flatMap((e) => e.addresses)).sort();
}

/** The endpoint of `pod` in these slices. */
export function endpointOf(slices: readonly EndpointSlice[], pod: string) {
  return slices.flatMap((s) => s.endpoints).find((e) => e.targetRef?.name === pod);
}
