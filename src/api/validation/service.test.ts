import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../defaults.ts';
import { fieldErrorString } from '../field.ts';
import { findResource } from '../kinds.ts';
import type { JsonObject, KubeObject } from '../object.ts';
import { prepareForCreate, prepareForUpdate } from '../metadata.ts';
import { validateObject, validateUpdate } from '../validation.ts';

const SERVICES = findResource('', 'v1', 'services')!;
const ENDPOINTS = findResource('', 'v1', 'endpoints')!;
const SLICES = findResource('discovery.k8s.io', 'v1', 'endpointslices')!;
const NOW = new Date('2024-05-01T00:00:00Z');

/** A Service as the registry validates it: defaulted and prepared for create. */
function service(spec: JsonObject): KubeObject {
  return prepareForCreate(SERVICES, applyDefaults(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec }), NOW);
}

async function messages(obj: KubeObject, info = SERVICES): Promise<string[]> {
  return (await validateObject(info, obj, { strict: false })).map(fieldErrorString);
}

const port = (extra: JsonObject = {}): JsonObject => ({ port: 80, ...extra });

describe('Service validation', () => {
  it.each<[string, JsonObject, string[]]>([
    ['a plain ClusterIP service', { selector: { app: 'web' }, ports: [port()] }, []],
    ['headless without ports', { clusterIP: 'None' }, []],
    ['no ports', {}, ['spec.ports: Required value']],
    ['an unknown protocol', { ports: [port({ protocol: 'HTTP' })] }, ['spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"']],
    ['an unnamed port among two', { ports: [port({ name: 'a' }), { port: 81 }] }, ['spec.ports[1].name: Required value']],
    ['duplicate port names', { ports: [port({ name: 'a' }), { port: 81, name: 'a' }] }, ['spec.ports[1].name: Duplicate value: "a"']],
    ['a port out of range', { ports: [{ port: 70000, targetPort: 8080 }] }, ['spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive']],
    ['a bad named targetPort', { ports: [port({ targetPort: 'Bad_Name' })] }, [
      'spec.ports[0].targetPort: Invalid value: "Bad_Name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    ]],
    ['a nodePort on a ClusterIP service', { ports: [port({ nodePort: 30080 })] }, ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]],
    ['the same port twice', { ports: [port({ name: 'a' }), port({ name: 'b' })] }, [
      'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
    ]],
    ['the same nodePort twice', { type: 'NodePort', ports: [port({ name: 'a', nodePort: 30001 }), { name: 'b', port: 81, nodePort: 30001 }] }, ['spec.ports[1].nodePort: Duplicate value: 30001']],
    ['a malformed clusterIP', { clusterIP: '10.96.0.300', ports: [port()] }, ['spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']],
    ['clusterIPs not matching clusterIP', { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.11'], ports: [port()] }, [
      'spec.clusterIPs: Invalid value: []string{"10.96.0.11"}: first value must match `clusterIP`',
    ]],
    ['headless NodePort', { type: 'NodePort', clusterIP: 'None', ports: [port()] }, ['spec.clusterIPs[0]: Invalid value: "None": may not be set to \'None\' for NodePort services']],
    ['ExternalName without a name', { type: 'ExternalName' }, ['spec.externalName: Required value']],
    ['ExternalName with a clusterIP', { type: 'ExternalName', externalName: 'example.com', clusterIP: '10.96.0.10' }, ['spec.clusterIPs: Forbidden: may not be set for ExternalName services']],
    ['ExternalName with a trailing dot', { type: 'ExternalName', externalName: 'example.com.' }, []],
    ['an unknown type', { type: 'Magic', ports: [port()] }, ['spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']],
    ['externalTrafficPolicy on ClusterIP', { externalTrafficPolicy: 'Local', ports: [port()] }, ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services']],
    ['healthCheckNodePort without Local', { type: 'LoadBalancer', healthCheckNodePort: 30100, ports: [port()] }, [
      "spec.healthCheckNodePort: Invalid value: 30100: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
    ]],
    ['an IPv6 family', { ipFamilies: ['IPv5'], ports: [port()] }, ['spec.ipFamilies[0]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"']],
  ])('%s', async (_what, spec, expected) => {
    expect(await messages(service(spec))).toEqual(expected);
  });

  it('keeps the cluster IP on update and names the change Kubernetes forbids', () => {
    const old = { ...service({ ports: [port()] }), spec: { ...service({ ports: [port()] }).spec as JsonObject, clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] } };
    const replaced = prepareForUpdate(SERVICES, old, applyDefaults(SERVICES, { ...old, spec: { ports: [port()] } }));
    expect(replaced.spec).toMatchObject({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] });
    const changed = prepareForUpdate(SERVICES, old, applyDefaults(SERVICES, { ...old, spec: { ...(old.spec as JsonObject), clusterIP: '10.96.0.99' } }));
    expect(changed.spec).toMatchObject({ clusterIP: '10.96.0.99', clusterIPs: ['10.96.0.99'] });
    expect(validateUpdate(SERVICES, old, changed).map(fieldErrorString)).toEqual(['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.99"}: may not change once set']);
  });

  it('drops node ports, traffic policy and the cluster IP when the new type does not need them', () => {
    const nodePort = service({ type: 'NodePort', clusterIP: '10.96.0.10', ports: [port({ nodePort: 30080 })] });
    const toClusterIP = prepareForUpdate(SERVICES, nodePort, applyDefaults(SERVICES, { ...nodePort, spec: { ...(nodePort.spec as JsonObject), type: 'ClusterIP' } }));
    expect(toClusterIP.spec).toMatchObject({ type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] });
    expect((toClusterIP.spec as JsonObject).externalTrafficPolicy).toBeUndefined();
    const toExternal = prepareForUpdate(SERVICES, nodePort, applyDefaults(SERVICES, { ...nodePort, spec: { ...(nodePort.spec as JsonObject), type: 'ExternalName', externalName: 'example.com' } }));
    expect((toExternal.spec as JsonObject).clusterIP).toBeUndefined();
    expect((toExternal.spec as JsonObject).clusterIPs).toBeUndefined();
  });

  it('carries allocated node ports into a PUT that omits them', () => {
    const old = service({ type: 'NodePort', ports: [port({ name: 'http', nodePort: 30080 }), { name: 'admin', port: 81, nodePort: 30081 }] });
    const put = prepareForUpdate(SERVICES, old, applyDefaults(SERVICES, { ...old, spec: { type: 'NodePort', ports: [port({ name: 'http' }), { name: 'admin', port: 81 }] } }));
    expect(((put.spec as JsonObject).ports as JsonObject[]).map((p) => p.nodePort)).toEqual([30080, 30081]);
  });
});

describe('Endpoints and EndpointSlice validation', () => {
  it.each<[string, JsonObject, string[]]>([
    ['a valid slice', { addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true } }], ports: [{ name: 'http', port: 80 }] }, []],
    ['a bad address type', { addressType: 'IPv5' }, ['addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"']],
    ['an endpoint without addresses', { addressType: 'IPv4', endpoints: [{ addresses: [] }] }, ['endpoints[0].addresses: Required value: must contain at least 1 address']],
    ['an IPv6 address in an IPv4 slice', { addressType: 'IPv4', endpoints: [{ addresses: ['fd00::1'] }] }, ['endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address']],
    ['duplicate port names', { addressType: 'IPv4', ports: [{ name: 'a', port: 80 }, { name: 'a', port: 81 }] }, ['ports[1].name: Duplicate value: "a"']],
  ])('%s', async (_what, body, expected) => {
    const slice = applyDefaults(SLICES, { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 's', namespace: 'default' }, ...body });
    expect(await messages(slice, SLICES)).toEqual(expected);
  });

  it('keeps addressType immutable', () => {
    const old: KubeObject = { metadata: { name: 's' }, addressType: 'IPv4' };
    expect(validateUpdate(SLICES, old, { ...old, addressType: 'IPv6' }).map(fieldErrorString)).toEqual(['addressType: Invalid value: "IPv6": field is immutable']);
  });

  it.each<[string, JsonObject[], string[]]>([
    ['valid subsets', [{ addresses: [{ ip: '10.0.0.1' }], notReadyAddresses: [{ ip: '10.0.0.2' }], ports: [{ port: 80 }] }], []],
    ['a bad address', [{ addresses: [{ ip: 'nope' }], ports: [{ port: 80 }] }], ['subsets[0].addresses[0].ip: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']],
    ['two unnamed ports', [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }, { port: 81 }] }], ['subsets[0].ports[0].name: Required value', 'subsets[0].ports[1].name: Required value']],
  ])('Endpoints: %s', async (_what, subsets, expected) => {
    const ep = applyDefaults(ENDPOINTS, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default' }, subsets });
    expect(await messages(ep, ENDPOINTS)).toEqual(expected);
  });
});
