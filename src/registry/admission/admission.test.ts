/**
 * Admission through the Registry over a real embedded store: the ServiceAccount plugin (default
 * account, missing account, token volume), LimitRanger (defaults, bounds), and ResourceQuota
 * charged in the object's own transaction — exactly `hard` admitted when many creates race.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findResource } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import { testCluster, type TestCluster } from '../test-support.ts';
import type { Registry } from '../registry.ts';

const PODS = findResource('', 'v1', 'pods')!;
const SERVICE_ACCOUNTS = findResource('', 'v1', 'serviceaccounts')!;
const QUOTAS = findResource('', 'v1', 'resourcequotas')!;
const LIMIT_RANGES = findResource('', 'v1', 'limitranges')!;
const CONFIG_MAPS = findResource('', 'v1', 'configmaps')!;
const SERVICES = findResource('', 'v1', 'services')!;
const NAMESPACES = findResource('', 'v1', 'namespaces')!;

function pod(name: string, extra: Record<string, unknown> = {}, resources?: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'busybox', ...(resources ? { resources } : {}) }], ...extra },
  };
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the write to be refused');
}

/** A quota whose status the controller would have written (admission needs status.used). */
async function quota(registry: Registry, ns: string, name: string, hard: Record<string, string>, used: Record<string, string>, spec: Record<string, unknown> = {}): Promise<void> {
  const created = await registry.create(QUOTAS, ns, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name }, spec: { hard, ...spec } });
  await registry.updateStatus(QUOTAS, ns, name, { ...created, status: { hard, used } });
}

const usedOf = async (registry: Registry, ns: string, name: string): Promise<Record<string, string>> =>
  ((await registry.get(QUOTAS, ns, name)).status as { used: Record<string, string> }).used;

describe('ServiceAccount admission', () => {
  let cluster: TestCluster;
  beforeEach(async () => {
    let n = 0;
    cluster = await testCluster({ admission: { serviceAccount: true, random: () => (n++ % 27) / 27, sleep: async () => {} } });
    await cluster.registry.create(SERVICE_ACCOUNTS, 'default', { metadata: { name: 'default' } });
  });
  afterEach(() => cluster.close());

  it('runs pods as `default` and mounts the token volume in every container', async () => {
    const created = await cluster.registry.create(PODS, 'default', {
      ...pod('p'),
      spec: { initContainers: [{ name: 'init', image: 'busybox' }], containers: [{ name: 'c', image: 'busybox' }, { name: 'd', image: 'busybox' }] },
    });
    const spec = created.spec as Record<string, unknown> & { containers: KubeObject[]; initContainers: KubeObject[]; volumes: KubeObject[] };
    expect(spec.serviceAccountName).toBe('default');
    expect(spec.serviceAccount).toBe('default');
    expect(spec.volumes).toHaveLength(1);
    const volume = spec.volumes[0]!;
    expect(volume.name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(volume.projected).toEqual({
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    });
    for (const c of [...spec.containers, ...spec.initContainers]) {
      expect(c.volumeMounts).toEqual([{ name: volume.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    }
  });

  it('refuses a pod naming a missing account as Kubernetes does (403)', async () => {
    const err = await refusal(cluster.registry.create(PODS, 'default', pod('p', { serviceAccountName: 'builder' })));
    expect(err.code).toBe(403);
    expect(err.reason).toBe('Forbidden');
    expect(err.message).toBe('pods "p" is forbidden: error looking up service account default/builder: serviceaccount "builder" not found');
    // The generated name is not made yet in this phase: Kubernetes names the generateName.
    const generated = await refusal(cluster.registry.create(PODS, 'default', { ...pod(''), metadata: { generateName: 'web-' }, spec: { ...(pod('x').spec as object), serviceAccountName: 'x' } }));
    expect(generated.message).toBe('pods "web-" is forbidden: error looking up service account default/x: serviceaccount "x" not found');
    await cluster.registry.create(NAMESPACES, undefined, { metadata: { name: 'fresh' } });
    expect((await refusal(cluster.registry.create(PODS, 'fresh', pod('p')))).message).toBe('pods "p" is forbidden: error looking up service account fresh/default: serviceaccount "default" not found');
  });

  it('leaves the token out when the pod or its account says so, and a container that mounts the path alone', async () => {
    const optedOut = await cluster.registry.create(PODS, 'default', pod('a', { automountServiceAccountToken: false }));
    expect((optedOut.spec as { volumes?: unknown[] }).volumes).toBeUndefined();
    await cluster.registry.create(SERVICE_ACCOUNTS, 'default', { metadata: { name: 'quiet' }, automountServiceAccountToken: false, imagePullSecrets: [{ name: 'regcred' }] });
    const quiet = await cluster.registry.create(PODS, 'default', pod('b', { serviceAccountName: 'quiet' }));
    expect((quiet.spec as { volumes?: unknown[] }).volumes).toBeUndefined();
    expect((quiet.spec as { imagePullSecrets?: unknown[] }).imagePullSecrets).toEqual([{ name: 'regcred' }]);
    // The pod's word beats the account's.
    const insists = await cluster.registry.create(PODS, 'default', pod('c', { serviceAccountName: 'quiet', automountServiceAccountToken: true }));
    expect((insists.spec as { volumes: unknown[] }).volumes).toHaveLength(1);
    const own = await cluster.registry.create(PODS, 'default', {
      ...pod('d'),
      spec: {
        volumes: [{ name: 'mine', emptyDir: {} }],
        containers: [
          { name: 'c', image: 'busybox', volumeMounts: [{ name: 'mine', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }] },
          { name: 'e', image: 'busybox' },
        ],
      },
    });
    const spec = own.spec as { volumes: { name: string }[]; containers: { volumeMounts: { name: string }[] }[] };
    expect(spec.volumes.map((v) => v.name)).toEqual(['mine', expect.stringMatching(/^kube-api-access-/)]);
    expect(spec.containers[0]!.volumeMounts.map((m) => m.name)).toEqual(['mine']);
    expect(spec.containers[1]!.volumeMounts.map((m) => m.name)).toEqual([spec.volumes[1]!.name]);
  });
});

describe('LimitRanger admission', () => {
  let cluster: TestCluster;
  beforeEach(async () => {
    cluster = await testCluster({ admission: {} });
  });
  afterEach(() => cluster.close());

  it('defaults a pod\'s resources, recomputes its QoS class, and refuses one out of bounds (403)', async () => {
    await cluster.registry.create(LIMIT_RANGES, 'default', {
      metadata: { name: 'limits' },
      spec: { limits: [{ type: 'Container', max: { cpu: '1' }, default: { cpu: '500m', memory: '128Mi' }, defaultRequest: { cpu: '250m', memory: '128Mi' } }] },
    });
    const created = await cluster.registry.create(PODS, 'default', pod('p'));
    expect((created.spec as { containers: KubeObject[] }).containers[0]!.resources).toEqual({
      limits: { cpu: '500m', memory: '128Mi' },
      requests: { cpu: '250m', memory: '128Mi' },
    });
    expect(created.metadata?.annotations?.['kubernetes.io/limit-ranger']).toBe('LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c');
    expect((created.status as { qosClass: string }).qosClass).toBe('Burstable');
    const err = await refusal(cluster.registry.create(PODS, 'default', pod('big', {}, { limits: { cpu: '2' } })));
    expect(err.code).toBe(403);
    expect(err.message).toBe('pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2');
  });
});

describe('ResourceQuota admission', () => {
  let cluster: TestCluster;
  beforeEach(async () => {
    cluster = await testCluster({ admission: {} });
  });
  afterEach(() => cluster.close());

  it('charges creates and refuses the one past the quota with Kubernetes\' message', async () => {
    await quota(cluster.registry, 'default', 'q', { pods: '2' }, { pods: '0' });
    await cluster.registry.create(PODS, 'default', pod('p1'));
    await cluster.registry.create(PODS, 'default', pod('p2'));
    expect(await usedOf(cluster.registry, 'default', 'q')).toEqual({ pods: '2' });
    const err = await refusal(cluster.registry.create(PODS, 'default', pod('p3')));
    expect(err.toStatus()).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message: 'pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2',
      details: { name: 'p3', kind: 'pods' },
    });
  });

  it('admits exactly `hard` of twenty pods created at once', async () => {
    await quota(cluster.registry, 'default', 'q', { pods: '10', 'requests.cpu': '1' }, { pods: '0', 'requests.cpu': '0' });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => cluster.registry.create(PODS, 'default', pod(`p${i}`, {}, { requests: { cpu: '100m' } }))));
    const admitted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(admitted).toHaveLength(10);
    for (const r of refused) expect((r.reason as ApiError).message).toMatch(/is forbidden: exceeded quota: q, requested: /);
    expect((await cluster.registry.list(PODS, 'default')).items).toHaveLength(10);
    expect(await usedOf(cluster.registry, 'default', 'q')).toEqual({ pods: '10', 'requests.cpu': '1' });
  });

  it('charges nothing for a dry run, a create that fails validation, or a name already taken', async () => {
    await quota(cluster.registry, 'default', 'q', { configmaps: '5' }, { configmaps: '0' });
    await cluster.registry.create(CONFIG_MAPS, 'default', { metadata: { name: 'a' } }, { dryRun: true });
    await refusal(cluster.registry.create(CONFIG_MAPS, 'default', { metadata: { name: 'Bad_Name' } }));
    await cluster.registry.create(CONFIG_MAPS, 'default', { metadata: { name: 'a' } });
    expect((await refusal(cluster.registry.create(CONFIG_MAPS, 'default', { metadata: { name: 'a' } }))).reason).toBe('AlreadyExists');
    expect(await usedOf(cluster.registry, 'default', 'q')).toEqual({ configmaps: '1' });
  });

  it('charges a Service\'s node ports on create and on a type change, with its allocation in one transaction', async () => {
    await quota(cluster.registry, 'default', 'svc', { 'services.nodeports': '1' }, { 'services.nodeports': '0' });
    const svc = (name: string, type: string): KubeObject => ({ metadata: { name }, spec: { type, selector: { app: 'x' }, ports: [{ port: 80 }] } });
    await cluster.registry.create(SERVICES, 'default', svc('a', 'NodePort'));
    await cluster.registry.create(SERVICES, 'default', svc('b', 'ClusterIP'));
    const current = await cluster.registry.get(SERVICES, 'default', 'b');
    const err = await refusal(cluster.registry.update(SERVICES, 'default', 'b', { ...current, spec: { ...(current.spec as object), type: 'NodePort' } }));
    expect(err.message).toBe('services "b" is forbidden: exceeded quota: svc, requested: services.nodeports=1, used: services.nodeports=1, limited: services.nodeports=1');
    // The refused update held no node port.
    expect(((await cluster.registry.get(SERVICES, 'default', 'b')).spec as { type: string }).type).toBe('ClusterIP');
    expect(await usedOf(cluster.registry, 'default', 'svc')).toEqual({ 'services.nodeports': '1' });
  });

  it('leaves status writes and other namespaces alone', async () => {
    await quota(cluster.registry, 'default', 'q', { pods: '1' }, { pods: '1' });
    await cluster.registry.create(NAMESPACES, undefined, { metadata: { name: 'other' } });
    await cluster.registry.create(PODS, 'other', pod('free'));
    const p = await cluster.registry.get(PODS, 'other', 'free');
    await cluster.registry.updateStatus(PODS, 'other', 'free', { ...p, status: { phase: 'Running' } });
    expect(await usedOf(cluster.registry, 'default', 'q')).toEqual({ pods: '1' });
  });
});
