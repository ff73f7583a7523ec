/**
 * For tests and the benchmark: Service and EndpointSlice objects, and a small cluster holding one
 * of each kind of Service the DNS specification distinguishes.
 */
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { SERVICE_NAME_LABEL } from './service-records.ts';

export function clusterIPService(namespace: string, name: string, clusterIPs: string[], ports: ServicePort[], resourceVersion = '1'): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name, uid: `uid-${namespace}-${name}`, resourceVersion },
    spec: { type: 'ClusterIP', clusterIP: clusterIPs[0], clusterIPs, ports },
  };
}

export function headlessService(namespace: string, name: string, ports: ServicePort[], resourceVersion = '1'): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name, uid: `uid-${namespace}-${name}`, resourceVersion },
    spec: { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports },
  };
}

export function externalNameService(namespace: string, name: string, externalName: string, resourceVersion = '1'): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name, uid: `uid-${namespace}-${name}`, resourceVersion },
    spec: { type: 'ExternalName', externalName },
  };
}

export interface EndpointInput {
  ip: string;
  hostname?: string;
  /** Unset: the condition is absent (counts as ready). */
  ready?: boolean;
}

export function endpointSlice(
  namespace: string,
  name: string,
  service: string,
  endpoints: EndpointInput[],
  ports: EndpointPort[],
  options: { addressType?: 'IPv4' | 'IPv6' | 'FQDN'; resourceVersion?: string } = {},
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace, name, uid: `uid-slice-${namespace}-${name}`, resourceVersion: options.resourceVersion ?? '1', labels: { [SERVICE_NAME_LABEL]: service } },
    addressType: options.addressType ?? 'IPv4',
    endpoints: endpoints.map(
      (endpoint): Endpoint => ({
        addresses: [endpoint.ip],
        ...(endpoint.hostname !== undefined ? { hostname: endpoint.hostname } : {}),
        ...(endpoint.ready !== undefined ? { conditions: { ready: endpoint.ready } } : {}),
      }),
    ),
    ports,
  };
}

/**
 * default/kubernetes, default/web (ClusterIP, three ports, one ready and one unready endpoint),
 * default/db (headless StatefulSet-style: db-0, db-1 ready, db-2 not, one endpoint without a
 * hostname), default/lonely (headless, no endpoints), default/ext (ExternalName out of the zone),
 * default/alias (ExternalName into the zone), default/loop (ExternalName to itself),
 * default/dual (dual-stack ClusterIPs), other/web.
 */
export function testCluster(): { services: Service[]; slices: EndpointSlice[] } {
  const services = [
    clusterIPService('default', 'kubernetes', ['10.96.0.1'], [{ name: 'https', port: 443, protocol: 'TCP' }]),
    clusterIPService('default', 'web', ['10.96.0.10'], [
      { name: 'http', port: 80, protocol: 'TCP' },
      { name: 'dns', port: 53, protocol: 'UDP' },
      { port: 8080 },
    ]),
    headlessService('default', 'db', [{ name: 'pg', port: 5432, protocol: 'TCP' }]),
    headlessService('default', 'lonely', [{ name: 'x', port: 1 }]),
    externalNameService('default', 'ext', 'www.example.com'),
    externalNameService('default', 'alias', 'web.default.svc.cluster.local'),
    externalNameService('default', 'loop', 'loop.default.svc.cluster.local'),
    clusterIPService('default', 'dual', ['10.96.0.20', 'fd00::20'], [{ name: 'http', port: 80 }]),
    clusterIPService('other', 'web', ['10.96.1.10'], [{ name: 'http', port: 80 }]),
  ];
  const slices = [
    endpointSlice(
      'default',
      'web-abc',
      'web',
      [{ ip: '10.244.1.5', ready: true }, { ip: '10.244.1.6', ready: false }],
      [{ name: 'http', port: 8080, protocol: 'TCP' }],
    ),
    endpointSlice(
      'default',
      'db-abc',
      'db',
      [
        { ip: '10.244.1.10', hostname: 'db-0', ready: true },
        { ip: '10.244.2.11', hostname: 'db-1' },
        { ip: '10.244.2.12', hostname: 'db-2', ready: false },
        { ip: '10.244.3.13', ready: true },
      ],
      [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    ),
    // FQDN slices carry names, not addresses: DNS ignores them.
    endpointSlice('default', 'db-fqdn', 'db', [{ ip: 'db.example.com', hostname: 'db-9' }], [{ name: 'pg', port: 5432 }], { addressType: 'FQDN' }),
  ];
  return { services, slices };
}
