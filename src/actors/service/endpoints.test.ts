/** The pure endpoint helpers: ports per pod, the slice plan, the Endpoints repack, trigger times. */
import type { Pod, Service } from 'kubernetes-types/core/v1.d.ts';
import type { Endpoint, EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import { describe, expect, it } from 'vitest';
import { desiredEndpoints, endpointSubsets } from './legacy-endpoints.ts';
import { mirroredGroups, shouldMirror } from './mirror.ts';
import { endpointPorts, findPort, podToEndpoint, shouldPodBeInEndpoints } from './pod-endpoints.ts';
import { planSlices, type SliceOwner } from './slice-plan.ts';
import { rfc3339Nano, TriggerTimeTracker } from './trigger-time.ts';

function pod(name: string, ip: string | undefined, opts: { ready?: boolean; phase?: string; deleting?: boolean; ports?: { name: string; containerPort: number; protocol?: string }[] } = {}): Pod {
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, ...(opts.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'n1', containers: [{ name: 'c', ports: opts.ports }] },
    status: {
      phase: opts.phase ?? 'Running',
      ...(ip ? { podIP: ip } : {}),
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', lastTransitionTime: '2024-01-01T00:00:10Z' }],
    },
  };
}

const svc = (spec: Service['spec']): Service => ({ metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', creationTimestamp: '2024-01-01T00:00:00Z' }, spec });

describe('pod endpoints', () => {
  it.each([
    ['running with an IP', pod('a', '10.0.0.1'), false, true],
    ['no IP yet', pod('a', undefined), false, false],
    ['Succeeded', pod('a', '10.0.0.1', { phase: 'Succeeded' }), true, false],
    ['Failed', pod('a', '10.0.0.1', { phase: 'Failed' }), true, false],
    ['terminating, excluded', pod('a', '10.0.0.1', { deleting: true }), false, false],
    ['terminating, included', pod('a', '10.0.0.1', { deleting: true }), true, true],
  ])('shouldPodBeInEndpoints: %s', (_what, p, includeTerminating, want) => {
    expect(shouldPodBeInEndpoints(p, includeTerminating)).toBe(want);
  });

  it('findPort: numbers as they are, names by container port and protocol', () => {
    const p = pod('a', '10.0.0.1', { ports: [{ name: 'web', containerPort: 8080 }, { name: 'dns', containerPort: 5353, protocol: 'UDP' }] });
    expect(findPort(p, { port: 80, targetPort: 9000 })).toBe(9000);
    expect(findPort(p, { port: 80 })).toBe(80);
    expect(findPort(p, { port: 80, targetPort: 'web' })).toBe(8080);
    expect(findPort(p, { port: 53, targetPort: 'dns', protocol: 'UDP' })).toBe(5353);
    expect(findPort(p, { port: 53, targetPort: 'dns' })).toBeUndefined();
    expect(findPort(p, { port: 80, targetPort: 'nope' })).toBeUndefined();
  });

  it('endpointPorts leaves out ports the pod cannot serve', () => {
    const s = svc({ ports: [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'metrics', port: 9090, targetPort: 'metrics' }] });
    expect(endpointPorts(s, pod('a', '10.0.0.1', { ports: [{ name: 'web', containerPort: 8080 }] }))).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });

  it('podToEndpoint: a terminating ready pod is serving but not ready; publishNotReadyAddresses makes everything ready', () => {
    expect(podToEndpoint(pod('a', '10.0.0.1', { deleting: true }), svc({})).conditions).toEqual({ ready: false, serving: true, terminating: true });
    expect(podToEndpoint(pod('a', '10.0.0.1', { ready: false }), svc({ publishNotReadyAddresses: true })).conditions).toEqual({ ready: true, serving: false, terminating: false });
  });
});

describe('slice plan', () => {
  const owner: SliceOwner = { namespace: 'ns', name: 'web', uid: 'svc-uid', labels: { 'kubernetes.io/service-name': 'web' } };
  const ports = [{ name: 'http', port: 8080, protocol: 'TCP' }];
  const ep = (i: number, ready = true): Endpoint => ({ addresses: [`10.0.${Math.floor(i / 250)}.${i % 250}`], conditions: { ready }, targetRef: { kind: 'Pod', uid: `p${i}` } });
  const stored = (s: EndpointSlice, name: string): EndpointSlice => ({ ...s, metadata: { ...s.metadata, name, resourceVersion: '1' } });

  it('at most 100 endpoints per slice by default', () => {
    const plan = planSlices(owner, [{ ports, endpoints: Array.from({ length: 250 }, (_, i) => ep(i)) }], []);
    expect(plan.create.map((s) => s.endpoints.length)).toEqual([100, 100, 50]);
    expect(plan.create[0].metadata?.generateName).toBe('web-');
    expect(plan.create[0].metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Service', uid: 'svc-uid', controller: true });
  });

  it('changes only the slice holding a changed endpoint, and puts new endpoints into it', () => {
    const first = planSlices(owner, [{ ports, endpoints: Array.from({ length: 150 }, (_, i) => ep(i)) }], []);
    const existing = first.create.map((s, i) => stored(s, `web-${i}`));
    const changed = existing[1].endpoints[0].targetRef?.uid;
    const next = Array.from({ length: 150 }, (_, i) => ep(i, `p${i}` !== changed));
    next.push(ep(150));
    const plan = planSlices(owner, [{ ports, endpoints: next }], existing);
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.update.map((s) => [s.metadata?.name, s.endpoints.length])).toEqual([['web-1', 51]]);
  });

  it('stamps the trigger time on what it writes, and keeps the last one when there is no new one', () => {
    const [first] = planSlices(owner, [{ ports, endpoints: [ep(1)] }], [], { triggerTime: '2024-01-01T00:00:01Z' }).create;
    expect(first.metadata?.annotations).toEqual({ 'endpoints.kubernetes.io/last-change-trigger-time': '2024-01-01T00:00:01Z' });
    const plan = planSlices(owner, [{ ports, endpoints: [ep(1, false)] }], [stored(first, 'web-0')]);
    expect(plan.update[0].metadata?.annotations).toEqual({ 'endpoints.kubernetes.io/last-change-trigger-time': '2024-01-01T00:00:01Z' });
  });

  it('writes nothing when nothing changed', () => {
    const existing = planSlices(owner, [{ ports, endpoints: [ep(1), ep(2)] }], []).create.map((s, i) => stored(s, `web-${i}`));
    expect(planSlices(owner, [{ ports, endpoints: [ep(2), ep(1)] }], existing)).toEqual({ create: [], update: [], delete: [] });
  });

  it('deletes slices of ports no longer served; keeps a single placeholder when nothing is left', () => {
    const existing = planSlices(owner, [{ ports, endpoints: [ep(1)] }], []).create.map((s, i) => stored(s, `web-${i}`));
    const plan = planSlices(owner, [], existing);
    expect(plan.delete.map((s) => s.metadata?.name)).toEqual(['web-0']);
    expect(plan.create).toHaveLength(1);
    expect(plan.create[0]).toMatchObject({ endpoints: [], ports: [] });
    const placeholder = stored(plan.create[0], 'web-p');
    expect(planSlices(owner, [], [placeholder])).toEqual({ create: [], update: [], delete: [] });
    expect(planSlices(owner, [], existing, { placeholder: false })).toEqual({ create: [], update: [], delete: existing });
  });
});

describe('Endpoints (core/v1)', () => {
  it('repacks: addresses serving the same ports share a subset; not-ready ones apart; terminating ones out', () => {
    const s = svc({ ports: [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'admin', port: 81, targetPort: 9000 }] });
    const pods = [
      pod('b', '10.0.0.2', { ports: [{ name: 'web', containerPort: 8080 }] }),
      pod('a', '10.0.0.1', { ports: [{ name: 'web', containerPort: 8080 }] }),
      pod('c', '10.0.0.3', { ready: false }),
      pod('d', '10.0.0.4', { deleting: true, ports: [{ name: 'web', containerPort: 8080 }] }),
    ];
    const subsets = endpointSubsets(s, pods);
    // admin is served by a, b and c (not ready); http only by a and b: two address sets, two subsets.
    expect(subsets.map((x) => [x.addresses?.map((a) => a.ip), x.notReadyAddresses?.map((a) => a.ip), x.ports?.map((p) => `${p.name}:${p.port}`)])).toEqual([
      [['10.0.0.1', '10.0.0.2'], ['10.0.0.3'], ['admin:9000']],
      [['10.0.0.1', '10.0.0.2'], undefined, ['http:8080']],
    ]);
  });

  it('a headless Service without ports still lists its addresses', () => {
    expect(endpointSubsets(svc({ clusterIP: 'None' }), [pod('a', '10.0.0.1')])).toEqual([
      { addresses: [{ ip: '10.0.0.1', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'ns', name: 'a', uid: 'uid-a' } }] },
    ]);
  });

  it('writes nothing when subsets and labels are as stored; truncates past 1000 addresses', () => {
    const s = svc({ ports: [{ port: 80 }] });
    const subsets = endpointSubsets(s, [pod('a', '10.0.0.1')]);
    const first = desiredEndpoints(s, structuredClone(subsets), undefined, '2024-01-01T00:00:00Z', false)!;
    expect(first.metadata?.annotations).toEqual({ 'endpoints.kubernetes.io/last-change-trigger-time': '2024-01-01T00:00:00Z' });
    expect(desiredEndpoints(s, structuredClone(subsets), first, undefined, false)).toBeUndefined();
    const many = endpointSubsets(s, Array.from({ length: 1100 }, (_, i) => pod(`p${i}`, `10.1.${Math.floor(i / 250)}.${i % 250}`)));
    const cut = desiredEndpoints(s, many, undefined, undefined, false)!;
    expect(cut.subsets?.[0]?.addresses).toHaveLength(1000);
    expect(cut.metadata?.annotations?.['endpoints.kubernetes.io/over-capacity']).toBe('truncated');
  });
});

describe('mirroring', () => {
  it('mirrors subsets into groups; skip-mirror Endpoints are left alone', () => {
    const ep = { metadata: { name: 'x' }, subsets: [{ addresses: [{ ip: '1.2.3.4' }], notReadyAddresses: [{ ip: '1.2.3.5' }, { ip: 'fd00::1' }], ports: [{ port: 80 }] }] };
    expect(mirroredGroups(ep)).toEqual([
      { ports: [{ name: '', port: 80, protocol: 'TCP' }], endpoints: [{ addresses: ['1.2.3.4'], conditions: { ready: true } }, { addresses: ['1.2.3.5'], conditions: { ready: false } }] },
    ]);
    expect(shouldMirror({ metadata: { labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } } })).toBe(false);
    expect(shouldMirror(ep)).toBe(true);
  });
});

describe('trigger time', () => {
  it('formats as Go RFC3339Nano', () => {
    expect(rfc3339Nano(Date.parse('2024-01-01T00:00:05.000Z'))).toBe('2024-01-01T00:00:05Z');
    expect(rfc3339Nano(Date.parse('2024-01-01T00:00:05.120Z'))).toBe('2024-01-01T00:00:05.12Z');
  });

  it('answers the creation time first, then the earliest change not yet reflected, else nothing', () => {
    const t = new TriggerTimeTracker();
    const s = svc({});
    const a = pod('a', '10.0.0.1');
    expect(t.compute('k', s, [a])).toBe('2024-01-01T00:00:00Z');
    expect(t.compute('k', s, [a])).toBeUndefined();
    const b = pod('b', '10.0.0.2');
    b.status!.conditions![0].lastTransitionTime = '2024-01-01T00:01:00Z';
    const a2 = structuredClone(a);
    a2.status!.conditions![0].lastTransitionTime = '2024-01-01T00:02:00Z';
    expect(t.compute('k', s, [a2, b])).toBe('2024-01-01T00:01:00Z');
  });
});
