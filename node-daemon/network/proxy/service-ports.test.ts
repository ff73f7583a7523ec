/**
 * Which endpoints each traffic policy uses (kube-proxy's CategorizeEndpoints), hand-derived
 * case by case, and the smaller readings of Service fields.
 */
import type { ServiceSpec } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { collectServicePorts, DEFAULT_AFFINITY_SECONDS } from './service-ports.ts';
import { service, slice, type TestEndpoint } from './test-objects.ts';

const LOCAL = '10.244.1.2';
const REMOTE = '10.244.2.2';
const local = (e: Partial<TestEndpoint> = {}): TestEndpoint => ({ ip: LOCAL, node: 'n1', ...e });
const remote = (e: Partial<TestEndpoint> = {}): TestEndpoint => ({ ip: REMOTE, node: 'n2', ...e });
const terminating = { ready: false, serving: true, terminating: true };
const gone = { ready: false, serving: false, terminating: true };

const nodePort = { type: 'NodePort' } as const;

interface Case {
  name: string;
  spec?: Partial<ServiceSpec>;
  nodePort?: number;
  endpoints: TestEndpoint[];
  cluster: string[];
  local: string[];
  reachable: string[];
  hasAny: boolean;
}

const cases: Case[] = [
  { name: 'Cluster: ready endpoints anywhere', endpoints: [local(), remote()], cluster: [LOCAL, REMOTE], local: [], reachable: [LOCAL, REMOTE], hasAny: true },
  { name: 'Cluster: none ready → serving+terminating ones', endpoints: [local(gone), remote(terminating)], cluster: [REMOTE], local: [], reachable: [REMOTE], hasAny: true },
  { name: 'Cluster: ready ones win over terminating ones', endpoints: [local(terminating), remote()], cluster: [REMOTE], local: [], reachable: [REMOTE], hasAny: true },
  { name: 'Cluster: nothing usable', endpoints: [local(gone), remote({ ready: false, serving: false })], cluster: [], local: [], reachable: [], hasAny: false },
  {
    name: 'internal Local: only this node\'s ready ones',
    spec: { internalTrafficPolicy: 'Local' },
    endpoints: [local(), remote()],
    cluster: [],
    local: [LOCAL],
    reachable: [LOCAL],
    hasAny: true,
  },
  {
    name: 'internal Local: none here, some elsewhere (hasAny: drop, not reject)',
    spec: { internalTrafficPolicy: 'Local' },
    endpoints: [remote()],
    cluster: [],
    local: [],
    reachable: [],
    hasAny: true,
  },
  {
    name: 'internal Local: a terminating one here when none here is ready',
    spec: { internalTrafficPolicy: 'Local' },
    endpoints: [local(terminating), remote()],
    cluster: [],
    local: [LOCAL],
    reachable: [LOCAL],
    hasAny: true,
  },
  {
    name: 'external Local on a NodePort: Cluster set for the ClusterIP and short-circuits, local set for outsiders',
    spec: { ...nodePort, externalTrafficPolicy: 'Local' },
    nodePort: 30080,
    endpoints: [local(), remote()],
    cluster: [LOCAL, REMOTE],
    local: [LOCAL],
    reachable: [LOCAL, REMOTE],
    hasAny: true,
  },
  {
    name: 'external Local without a local endpoint',
    spec: { ...nodePort, externalTrafficPolicy: 'Local' },
    nodePort: 30080,
    endpoints: [remote()],
    cluster: [REMOTE],
    local: [],
    reachable: [REMOTE],
    hasAny: true,
  },
  {
    name: 'external Local means nothing without a NodePort',
    spec: { externalTrafficPolicy: 'Local' },
    endpoints: [local(), remote()],
    cluster: [LOCAL, REMOTE],
    local: [],
    reachable: [LOCAL, REMOTE],
    hasAny: true,
  },
  {
    name: 'both Local on a NodePort: Cluster endpoints still kept (short-circuits)',
    spec: { ...nodePort, externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local' },
    nodePort: 30080,
    endpoints: [local(), remote()],
    cluster: [LOCAL, REMOTE],
    local: [LOCAL],
    reachable: [LOCAL, REMOTE],
    hasAny: true,
  },
];

describe('collectServicePorts: endpoints per traffic policy', () => {
  it.each(cases)('$name', (c) => {
    const port = { name: 'http', port: 80, protocol: 'TCP', ...(c.nodePort ? { nodePort: c.nodePort } : {}) };
    const { ports } = collectServicePorts([service('web', '10.96.0.10', [port], c.spec)], [slice('web', [{ name: 'http', port: 8080 }], c.endpoints)], 'n1');
    expect(ports).toHaveLength(1);
    const sp = ports[0]!;
    expect(sp.clusterEndpoints.map((e) => e.ip)).toEqual(c.cluster);
    expect(sp.localEndpoints.map((e) => e.ip)).toEqual(c.local);
    expect(sp.reachableEndpoints.map((e) => e.ip)).toEqual(c.reachable);
    expect(sp.hasAnyEndpoints).toBe(c.hasAny);
  });
});

describe('collectServicePorts: reading Services and slices', () => {
  it('an endpoint without conditions is ready (the API\'s "unknown means ready")', () => {
    const s = slice('web', [{ name: 'http', port: 8080 }], [local()]);
    delete s.endpoints[0]!.conditions;
    const { ports } = collectServicePorts([service('web', '10.96.0.10', [{ name: 'http', port: 80 }])], [s], 'n1');
    expect(ports[0]!.clusterEndpoints).toEqual([{ ip: LOCAL, port: 8080, ready: true, serving: true, terminating: false, local: true }]);
  });

  it.each([
    [undefined, DEFAULT_AFFINITY_SECONDS],
    [60, 60],
    [0, DEFAULT_AFFINITY_SECONDS],
    [86_401, DEFAULT_AFFINITY_SECONDS],
  ])('ClientIP affinity timeout %s → %i s', (timeoutSeconds, expected) => {
    const spec = { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds } } };
    const { ports } = collectServicePorts([service('web', '10.96.0.10', [{ port: 80 }], spec)], [], 'n1');
    expect(ports[0]!.affinitySeconds).toBe(expected);
  });

  it('no affinity unless ClientIP', () => {
    const { ports } = collectServicePorts([service('web', '10.96.0.10', [{ port: 80 }], { sessionAffinity: 'None' })], [], 'n1');
    expect(ports[0]!.affinitySeconds).toBe(0);
  });

  it('a dual-stack service is proxied on its IPv4 address', () => {
    const svc = service('web', 'fd00::10', [{ port: 80 }]);
    svc.spec!.clusterIPs = ['fd00::10', '10.96.0.10'];
    expect(collectServicePorts([svc], [], 'n1').ports[0]!.clusterIP).toBe('10.96.0.10');
  });

  it('an unnamed port matches the unnamed slice port; protocol defaults to TCP on both', () => {
    const { ports } = collectServicePorts([service('web', '10.96.0.10', [{ port: 80 }])], [slice('web', [{ port: 9000 }], [local()])], 'n1');
    expect(ports[0]).toMatchObject({ portName: '', protocol: 'tcp', clusterEndpoints: [{ port: 9000 }] });
  });

  it('a slice port without a number gives no endpoints (nothing to DNAT to)', () => {
    const { ports } = collectServicePorts([service('web', '10.96.0.10', [{ name: 'http', port: 80 }])], [slice('web', [{ name: 'http' }], [local()])], 'n1');
    expect(ports[0]!.hasAnyEndpoints).toBe(false);
  });
});
