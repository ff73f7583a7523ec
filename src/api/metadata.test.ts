import { describe, expect, it } from 'vitest';
import { findResource } from './kinds.ts';
import { generatedName, objectKey, prefixFor, prepareForCreate, prepareForUpdate, qosClass, rfc3339Seconds } from './metadata.ts';
import type { KubeObject } from './object.ts';
import { ApiError } from './status.ts';

const pods = findResource('', 'v1', 'pods')!;
const nodes = findResource('', 'v1', 'nodes')!;
const deployments = findResource('apps', 'v1', 'deployments')!;
const configmaps = findResource('', 'v1', 'configmaps')!;
const jobs = findResource('batch', 'v1', 'jobs')!;
const namespaces = findResource('', 'v1', 'namespaces')!;
const now = new Date('2024-05-01T10:00:00.123Z');

describe('store keys', () => {
  it.each([
    [pods, 'default', 'p', '/registry/core/pods/default/p'],
    [nodes, undefined, 'n1', '/registry/core/nodes/n1'],
    [deployments, 'kube-system', 'd', '/registry/apps/deployments/kube-system/d'],
  ])('%#', (info, ns, name, key) => expect(objectKey(info, ns, name)).toBe(key));

  it('prefixes end with a slash', () => {
    expect(prefixFor(pods)).toBe('/registry/core/pods/');
    expect(prefixFor(pods, 'default')).toBe('/registry/core/pods/default/');
    expect(prefixFor(nodes, 'ignored')).toBe('/registry/core/nodes/');
  });
});

describe('prepareForCreate', () => {
  it('sets uid, a whole-second creationTimestamp and generation for tracked kinds', () => {
    const out = prepareForCreate(deployments, { metadata: { name: 'd', generation: 7, managedFields: [] }, spec: {}, status: { replicas: 3 } }, now, { uid: 'u1' });
    expect(out.metadata).toEqual({ name: 'd', uid: 'u1', creationTimestamp: '2024-05-01T10:00:00Z', generation: 1 });
    expect(out.status).toEqual({});
  });

  it('gives config maps no generation and a random uuid', () => {
    const out = prepareForCreate(configmaps, { metadata: { name: 'c', generation: 3 }, data: { a: 'b' } }, now);
    expect(out.metadata?.generation).toBeUndefined();
    expect(out.metadata?.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('turns generateName into a name with a 5-character suffix', () => {
    const out = prepareForCreate(pods, { metadata: { generateName: 'web-' }, spec: { containers: [] } }, now, { random: () => 0 });
    expect(out.metadata?.name).toBe('web-bbbbb');
    expect(generatedName('x'.repeat(70))).toMatch(/^x{58}[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('refuses a resourceVersion', () => {
    expect(() => prepareForCreate(pods, { metadata: { name: 'p', resourceVersion: '5' } }, now)).toThrow(ApiError);
  });

  it('resets pod status to Pending with its QoS class and sets the service account', () => {
    const out = prepareForCreate(pods, { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Running' } }, now);
    expect(out.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
    expect(out.spec).toMatchObject({ serviceAccountName: 'default', serviceAccount: 'default' });
  });

  it('keeps node status (nodes report it when they register)', () => {
    const out = prepareForCreate(nodes, { metadata: { name: 'n' }, status: { capacity: { cpu: '2' } } }, now);
    expect(out.status).toEqual({ capacity: { cpu: '2' } });
  });

  it('starts namespaces Active with the kubernetes finalizer', () => {
    const out = prepareForCreate(namespaces, { metadata: { name: 'ns' } }, now);
    expect(out).toMatchObject({ spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  });

  it('generates a Job selector from its uid', () => {
    const out = prepareForCreate(jobs, { metadata: { name: 'j' }, spec: { template: { spec: {} } } }, now, { uid: 'u9' });
    expect(out.spec).toMatchObject({
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u9' } },
      template: { metadata: { labels: { 'batch.kubernetes.io/controller-uid': 'u9', 'batch.kubernetes.io/job-name': 'j', 'controller-uid': 'u9', 'job-name': 'j' } } },
    });
  });

  it('fills the request namespace', () => {
    expect(prepareForCreate(configmaps, { metadata: { name: 'c' } }, now, { namespace: 'ns1' }).metadata?.namespace).toBe('ns1');
  });

  it('formats RFC 3339 without milliseconds', () => {
    expect(rfc3339Seconds(new Date('2024-01-02T03:04:05.999Z'))).toBe('2024-01-02T03:04:05Z');
  });
});

describe('qosClass', () => {
  it.each([
    [{ containers: [{}] }, 'BestEffort'],
    [{ containers: [{ resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1000m', memory: '1Gi' } } }] }, 'Guaranteed'],
    [{ containers: [{ resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } } }] }, 'Burstable'],
    [{ containers: [{ resources: { requests: { cpu: '100m' } } }] }, 'Burstable'],
    [{ containers: [{ resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } } }, {}] }, 'Burstable'],
  ])('%j -> %s', (spec, qos) => expect(qosClass(spec)).toBe(qos));
});

describe('prepareForUpdate', () => {
  const old: KubeObject = {
    metadata: { name: 'd', uid: 'u1', creationTimestamp: '2024-01-01T00:00:00Z', generation: 2, resourceVersion: '10' },
    spec: { replicas: 1 },
    status: { replicas: 1 },
  };

  it('keeps server-owned metadata and the old status, bumping generation on spec change', () => {
    const out = prepareForUpdate(deployments, old, {
      metadata: { name: 'd', resourceVersion: '10', creationTimestamp: '1999-01-01T00:00:00Z', generation: 99, managedFields: [{}] },
      spec: { replicas: 3 },
      status: { replicas: 42 },
    });
    expect(out.metadata).toEqual({ name: 'd', uid: 'u1', creationTimestamp: '2024-01-01T00:00:00Z', generation: 3, resourceVersion: '10' });
    expect(out.status).toEqual({ replicas: 1 });
  });

  it('leaves generation when only metadata changes', () => {
    const out = prepareForUpdate(deployments, old, { metadata: { name: 'd', labels: { a: 'b' } }, spec: { replicas: 1 } });
    expect(out.metadata?.generation).toBe(2);
    expect(out.metadata?.labels).toEqual({ a: 'b' });
  });

  it('takes only the status on a /status write', () => {
    const out = prepareForUpdate(deployments, old, { metadata: { name: 'd', labels: { x: 'y' }, resourceVersion: '10' }, spec: { replicas: 9 }, status: { replicas: 5 } }, { subresource: 'status' });
    expect(out.spec).toEqual({ replicas: 1 });
    expect(out.status).toEqual({ replicas: 5 });
    expect(out.metadata?.labels).toBeUndefined();
    expect(out.metadata?.generation).toBe(2);
  });

  it('takes the whole new object for kinds without a status subresource', () => {
    const out = prepareForUpdate(configmaps, { metadata: { name: 'c', uid: 'u' }, data: { a: '1' } }, { metadata: { name: 'c' }, data: { a: '2' } });
    expect(out).toEqual({ metadata: { name: 'c', uid: 'u' }, data: { a: '2' } });
  });
});
