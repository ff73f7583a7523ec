import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../object.ts';
import { calculateUsage, checkQuotaRequest, quotaView, type QuotaCheck, type QuotaView } from './check.ts';
import { parseResourceList, resourceListJson } from './resource-list.ts';

const now = new Date('2025-01-01T00:00:00Z');

function quota(name: string, hard: Record<string, string>, used?: Record<string, string>, spec: Record<string, unknown> = {}): QuotaView {
  return quotaView({ metadata: { name }, spec: { hard, ...spec }, status: { hard, ...(used ? { used } : {}) } });
}

function pod(name: string, containers: { name: string; requests?: Record<string, string>; limits?: Record<string, string> }[], extra: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name },
    spec: { containers: containers.map((c) => ({ name: c.name, image: 'busybox', resources: { ...(c.requests ? { requests: c.requests } : {}), ...(c.limits ? { limits: c.limits } : {}) } })), ...extra },
  };
}

const createPod = (obj: KubeObject) => ({ operation: 'CREATE' as const, groupResource: 'pods', obj, now });
const usedOf = (check: QuotaCheck, name: string) => (check.outcome === 'charged' ? resourceListJson(check.used.get(name) ?? {}) : undefined);

describe('checkQuotaRequest (ResourceQuota admission)', () => {
  it('refuses the pod past `pods` with Kubernetes\' message', () => {
    const check = checkQuotaRequest([quota('q', { pods: '2' }, { pods: '2' })], createPod(pod('p', [{ name: 'c' }])));
    expect(check).toEqual({ outcome: 'refused', reason: 'exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2' });
  });

  it('charges what fits and names each quota\'s new usage', () => {
    const check = checkQuotaRequest(
      [quota('q', { pods: '2', 'requests.cpu': '1' }, { pods: '1', 'requests.cpu': '250m' }), quota('other', { configmaps: '3' }, { configmaps: '0' })],
      createPod(pod('p', [{ name: 'c', requests: { cpu: '500m' } }])),
    );
    expect(usedOf(check, 'q')).toEqual({ pods: '2', 'requests.cpu': '750m' });
    expect(check.outcome === 'charged' && check.used.has('other')).toBe(false);
  });

  it('names only the exceeded resources, sorted', () => {
    const check = checkQuotaRequest(
      [quota('compute', { pods: '10', 'requests.cpu': '1', 'requests.memory': '1Gi' }, { pods: '1', 'requests.cpu': '800m', 'requests.memory': '512Mi' })],
      createPod(pod('p', [{ name: 'c', requests: { cpu: '500m', memory: '1Gi' } }])),
    );
    expect(check).toEqual({
      outcome: 'refused',
      reason: 'exceeded quota: compute, requested: requests.cpu=500m,requests.memory=1Gi, used: requests.cpu=800m,requests.memory=512Mi, limited: requests.cpu=1,requests.memory=1Gi',
    });
  });

  it('makes every container state the cpu/memory resources a quota tracks', () => {
    const check = checkQuotaRequest(
      [quota('compute', { 'limits.cpu': '2', 'requests.memory': '1Gi' }, { 'limits.cpu': '0', 'requests.memory': '0' })],
      createPod(pod('p', [{ name: 'web', requests: { memory: '64Mi' } }, { name: 'side' }])),
    );
    expect(check).toEqual({ outcome: 'refused', reason: 'failed quota: compute: must specify limits.cpu for: side,web; requests.memory for: side' });
  });

  it('refuses while the quota controller has not computed the usage yet', () => {
    const check = checkQuotaRequest([quota('q', { pods: '2', 'count/pods': '5' })], createPod(pod('p', [{ name: 'c' }])));
    expect(check).toEqual({ outcome: 'refused', reason: 'status unknown for quota: q, resources: count/pods,pods' });
  });

  it('ignores quotas whose scopes the pod is outside', () => {
    const bestEffort = quota('be', { pods: '0' }, { pods: '0' }, { scopes: ['BestEffort'] });
    expect(checkQuotaRequest([bestEffort], createPod(pod('p', [{ name: 'c', requests: { cpu: '1' } }]))).outcome).toBe('unchanged');
    expect(checkQuotaRequest([bestEffort], createPod(pod('p', [{ name: 'c' }]))).outcome).toBe('refused');
    const terminating = quota('t', { pods: '0' }, { pods: '0' }, { scopeSelector: { matchExpressions: [{ scopeName: 'Terminating', operator: 'Exists' }] } });
    expect(checkQuotaRequest([terminating], createPod(pod('p', [{ name: 'c' }]))).outcome).toBe('unchanged');
    expect(checkQuotaRequest([terminating], createPod(pod('p', [{ name: 'c' }], { activeDeadlineSeconds: 30 }))).outcome).toBe('refused');
    const priority = quota('pc', { pods: '0' }, { pods: '0' }, { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } });
    expect(checkQuotaRequest([priority], createPod(pod('p', [{ name: 'c' }], { priorityClassName: 'low' }))).outcome).toBe('unchanged');
    expect(checkQuotaRequest([priority], createPod(pod('p', [{ name: 'c' }], { priorityClassName: 'high' }))).outcome).toBe('refused');
  });

  it('counts objects by their count/ and legacy names', () => {
    const q = quota('objects', { configmaps: '1', 'count/deployments.apps': '1' }, { configmaps: '1', 'count/deployments.apps': '0' });
    expect(checkQuotaRequest([q], { operation: 'CREATE', groupResource: 'configmaps', obj: { metadata: { name: 'c' } }, now })).toEqual({
      outcome: 'refused',
      reason: 'exceeded quota: objects, requested: configmaps=1, used: configmaps=1, limited: configmaps=1',
    });
    expect(usedOf(checkQuotaRequest([q], { operation: 'CREATE', groupResource: 'deployments.apps', obj: { metadata: { name: 'd' } }, now }), 'objects')).toEqual({
      configmaps: '1',
      'count/deployments.apps': '1',
    });
    // Object counts are charged on create only.
    expect(checkQuotaRequest([q], { operation: 'UPDATE', groupResource: 'configmaps', obj: { metadata: { name: 'c' } }, old: { metadata: { name: 'c' } }, now }).outcome).toBe('unchanged');
  });

  it('charges services for node ports and load balancers, and an update only for what grows', () => {
    const q = quota('svc', { services: '5', 'services.nodeports': '2', 'services.loadbalancers': '0' }, { services: '1', 'services.nodeports': '1', 'services.loadbalancers': '0' });
    const svc = (type: string, ports = 1): KubeObject => ({ metadata: { name: 's' }, spec: { type, ports: Array.from({ length: ports }, (_, i) => ({ port: 80 + i })) } });
    expect(checkQuotaRequest([q], { operation: 'CREATE', groupResource: 'services', obj: svc('NodePort', 2), now })).toEqual({
      outcome: 'refused',
      reason: 'exceeded quota: svc, requested: services.nodeports=2, used: services.nodeports=1, limited: services.nodeports=2',
    });
    expect(checkQuotaRequest([q], { operation: 'CREATE', groupResource: 'services', obj: svc('LoadBalancer'), now })).toMatchObject({ outcome: 'refused' });
    expect(usedOf(checkQuotaRequest([q], { operation: 'UPDATE', groupResource: 'services', obj: svc('NodePort'), old: svc('ClusterIP'), now }), 'svc')).toEqual({
      services: '1',
      'services.loadbalancers': '0',
      'services.nodeports': '2',
    });
  });

  it('charges a claim\'s growth on update, by storage class too', () => {
    const q = quota('storage', { 'requests.storage': '10Gi', 'local-path.storageclass.storage.k8s.io/requests.storage': '5Gi' }, { 'requests.storage': '4Gi', 'local-path.storageclass.storage.k8s.io/requests.storage': '4Gi' });
    const pvc = (size: string): KubeObject => ({ metadata: { name: 'c' }, spec: { storageClassName: 'local-path', resources: { requests: { storage: size } } } });
    expect(checkQuotaRequest([q], { operation: 'UPDATE', groupResource: 'persistentvolumeclaims', obj: pvc('3Gi'), old: pvc('1Gi'), now })).toEqual({
      outcome: 'refused',
      reason:
        'exceeded quota: storage, requested: local-path.storageclass.storage.k8s.io/requests.storage=2Gi, used: local-path.storageclass.storage.k8s.io/requests.storage=4Gi, limited: local-path.storageclass.storage.k8s.io/requests.storage=5Gi',
    });
  });
});

describe('calculateUsage (quota controller)', () => {
  it('sums charged pods, counts every pod object, and reports zero for what nothing uses', () => {
    const pods = [
      pod('a', [{ name: 'c', requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } }]),
      pod('b', [{ name: 'c', requests: { cpu: '250m', memory: '64Mi' } }]),
      { ...pod('done', [{ name: 'c', requests: { cpu: '1' } }]), status: { phase: 'Succeeded' } },
    ];
    const hard = parseResourceList({ pods: '10', 'count/pods': '10', 'requests.cpu': '2', 'requests.memory': '1Gi', 'limits.cpu': '4', 'requests.storage': '1Gi', secrets: '5' });
    const used = calculateUsage(hard, [], (gr) => (gr === 'pods' ? pods : []), now);
    expect(resourceListJson(used)).toEqual({
      'count/pods': '3',
      'limits.cpu': '500m',
      pods: '2',
      'requests.cpu': '500m',
      'requests.memory': '128Mi',
      'requests.storage': '0',
      secrets: '0',
    });
  });

  it('counts init containers and sidecars as Kubernetes computes a pod\'s requests', () => {
    const p: KubeObject = {
      metadata: { name: 'p' },
      spec: {
        initContainers: [
          { name: 'sidecar', restartPolicy: 'Always', resources: { requests: { cpu: '100m' } } },
          { name: 'init', resources: { requests: { cpu: '2' } } },
        ],
        containers: [{ name: 'c', resources: { requests: { cpu: '500m' } } }],
      },
    };
    const used = calculateUsage(parseResourceList({ 'requests.cpu': '10' }), [], () => [p], now);
    // max(500m + 100m, 2 + 100m)
    expect(resourceListJson(used)).toEqual({ 'requests.cpu': '2100m' });
  });

  it('stops charging a terminating pod after its grace', () => {
    const terminating = { ...pod('t', [{ name: 'c' }]), metadata: { name: 't', deletionTimestamp: '2024-12-31T23:59:00Z', deletionGracePeriodSeconds: 30 } };
    expect(resourceListJson(calculateUsage(parseResourceList({ pods: '5' }), [], () => [terminating], now))).toEqual({ pods: '0' });
  });
});
