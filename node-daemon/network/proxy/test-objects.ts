/**
 * For tests: Services and EndpointSlices as the API serves them, built from a few words.
 */
import type { Service, ServicePort, ServiceSpec } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { SERVICE_NAME_LABEL } from './service-ports.ts';

/** A Service `namespace/name` (namespace defaults to "default") with a cluster IP and ports. */
export function service(ref: string, clusterIP: string, ports: ServicePort[], spec: Partial<ServiceSpec> = {}): Service {
  const [namespace, name] = ref.includes('/') ? ref.split('/') : ['default', ref];
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name },
    spec: { type: 'ClusterIP', clusterIP, clusterIPs: clusterIP === 'None' ? ['None'] : [clusterIP], ports, ...spec },
  };
}

/** One endpoint: an IP, optionally on a node, with conditions (ready unless told otherwise). */
export interface TestEndpoint {
  ip: string;
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

/** An IPv4 EndpointSlice of service `namespace/name` (slice name: service name + suffix). */
export function slice(ref: string, ports: EndpointPort[], endpoints: TestEndpoint[], opts: { suffix?: string; addressType?: string } = {}): EndpointSlice {
  const [namespace, name] = ref.includes('/') ? ref.split('/') : ['default', ref];
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace, name: `${name}-${opts.suffix ?? 'abcde'}`, labels: { [SERVICE_NAME_LABEL]: name! } },
    addressType: opts.addressType ?? 'IPv4',
    ports,
    endpoints: endpoints.map(
      (ep): Endpoint => ({
        addresses: [ep.ip],
        nodeName: ep.node,
        conditions: { ready: ep.ready ?? true, serving: ep.serving ?? ep.ready ?? true, terminating: ep.terminating ?? false },
      }),
    ),
  };
}
