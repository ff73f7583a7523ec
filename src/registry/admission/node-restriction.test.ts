import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import type { UserInfo } from '../../api/user.ts';
import { testCluster, type TestCluster } from '../test-support.ts';
import { isForbiddenNodeLabel } from './node-restriction.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;
const NODES = findKind('v1', 'Node') as ResourceInfo;
const LEASES = findKind('coordination.k8s.io/v1', 'Lease') as ResourceInfo;

const n1: UserInfo = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const asN1 = { user: n1 };
const admin: UserInfo = { name: 'admin', groups: ['system:masters', 'system:authenticated'] };

const pod = (name: string, nodeName: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'x' } },
  spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] },
});
const node = (name: string, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels } });

/** The 403 message of a refused write, or 'ok'. */
async function outcome(write: () => Promise<unknown>): Promise<string> {
  try {
    await write();
    return 'ok';
  } catch (err) {
    if (err instanceof ApiError && err.code === 403) return err.message;
    throw err;
  }
}

let c: TestCluster;
beforeAll(async () => {
  c = await testCluster({ admission: {} });
  await c.registry.create(PODS, 'default', pod('mine', 'n1'));
  await c.registry.create(PODS, 'default', pod('theirs', 'n2'));
  await c.registry.create(NODES, undefined, node('n1', { 'kubernetes.io/hostname': 'n1' }));
  await c.registry.create(NODES, undefined, node('n2'));
});
afterAll(async () => {
  await c?.close();
});

describe('NodeRestriction admission', () => {
  it('lets a node write the status of its own pods only, without touching labels', async () => {
    const status = async (name: string, labels?: Record<string, string>) => {
      const current = await c.registry.get(PODS, 'default', name);
      return c.registry.updateStatus(PODS, 'default', name, { ...current, metadata: { ...current.metadata, ...(labels ? { labels } : {}) }, status: { phase: 'Running' } }, asN1);
    };
    expect(await outcome(() => status('mine'))).toBe('ok');
    expect(await outcome(() => status('theirs'))).toBe('pods "theirs" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself');
    expect(await outcome(() => c.registry.patch(PODS, 'default', 'theirs', 'application/merge-patch+json', { status: { phase: 'Failed' } }, { ...asN1, subresource: 'status' }))).toContain('can only update pod status for pods with spec.nodeName set to itself');
    // kactus' status writes change the status only (Kubernetes' let metadata through, hence its check, kept here too): the labels stay.
    expect(await outcome(() => status('mine', { app: 'evil' }))).toBe('ok');
    expect((await c.registry.get(PODS, 'default', 'mine')).metadata?.labels).toEqual({ app: 'x' });
  });

  it('refuses pod creates and object updates, and deletes of pods bound elsewhere', async () => {
    expect(await outcome(() => c.registry.create(PODS, 'default', pod('new', 'n1'), asN1))).toContain('node "n1" can only create mirror pods');
    expect(await outcome(() => c.registry.patch(PODS, 'default', 'mine', 'application/merge-patch+json', { metadata: { labels: { a: 'b' } } }, asN1))).toContain('unexpected operation "UPDATE"');
    expect(await outcome(() => c.registry.delete(PODS, 'default', 'theirs', asN1))).toBe('pods "theirs" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself');
    expect(await c.registry.get(PODS, 'default', 'theirs')).toBeDefined();
    expect(await outcome(() => c.registry.delete(PODS, 'default', 'mine', { ...asN1, gracePeriodSeconds: 0 }))).toBe('ok');
  });

  it('lets a node change only its own Node, not its taints, nor restricted labels or kactus.io annotations', async () => {
    const patchNode = (name: string, patch: unknown) => outcome(() => c.registry.patch(NODES, undefined, name, 'application/merge-patch+json', patch, asN1));
    expect(await patchNode('n1', { metadata: { labels: { 'example.com/disk': 'ssd', 'topology.kubernetes.io/zone': 'z1', 'node.kubernetes.io/x': 'y' } } })).toBe('ok');
    expect(await patchNode('n2', { metadata: { labels: { a: 'b' } } })).toBe('nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
    expect(await patchNode('n1', { spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } })).toBe('nodes "n1" is forbidden: node "n1" is not allowed to modify taints');
    expect(await patchNode('n1', { metadata: { labels: { 'node-restriction.kubernetes.io/pool': 'secure', 'node-role.kubernetes.io/control-plane': '' } } })).toBe(
      'nodes "n1" is forbidden: node "n1" is not allowed to modify labels: node-restriction.kubernetes.io/pool, node-role.kubernetes.io/control-plane',
    );
    expect(await patchNode('n1', { metadata: { annotations: { 'kactus.io/peer-id': '12D3KooWstolen' } } })).toBe('nodes "n1" is forbidden: node "n1" is not allowed to modify annotations: kactus.io/peer-id');
    expect(await outcome(() => c.registry.create(NODES, undefined, node('n3'), asN1))).toBe('nodes "n3" is forbidden: node "n1" is not allowed to modify node "n3"');
    expect(await outcome(() => c.registry.delete(NODES, undefined, 'n2', asN1))).toContain('is not allowed to modify node "n2"');
    // Its status too is its own only.
    const n2 = await c.registry.get(NODES, undefined, 'n2');
    expect(await outcome(() => c.registry.updateStatus(NODES, undefined, 'n2', { ...n2, status: { phase: 'Running' } }, asN1))).toContain('is not allowed to modify node "n2"');
  });

  it('lets a node keep only its own Lease in kube-node-lease', async () => {
    const lease = (name: string): KubeObject => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name }, spec: { holderIdentity: name } });
    expect(await outcome(() => c.registry.create(LEASES, 'kube-node-lease', lease('n1'), asN1))).toBe('ok');
    expect(await outcome(() => c.registry.create(LEASES, 'kube-node-lease', lease('n2'), asN1))).toContain('can only access node lease with the same name as the requesting node');
    expect(await outcome(() => c.registry.create(LEASES, 'kube-system', lease('n1'), asN1))).toContain('can only access node lease');
  });

  it('judges nobody but nodes', async () => {
    expect(await outcome(() => c.registry.create(PODS, 'default', pod('by-admin', 'n2'), { user: admin }))).toBe('ok');
    expect(await outcome(() => c.registry.delete(PODS, 'default', 'by-admin', { user: admin, gracePeriodSeconds: 0 }))).toBe('ok');
    expect(await outcome(() => c.registry.patch(NODES, undefined, 'n2', 'application/merge-patch+json', { spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } }))).toBe('ok');
  });

  it.each([
    ['kubernetes.io/hostname', false],
    ['kubernetes.io/os', false],
    ['kubelet.kubernetes.io/anything', false],
    ['foo.node.kubernetes.io/x', false],
    ['example.com/rack', false],
    ['plain', false],
    ['node-restriction.kubernetes.io/pool', true],
    ['sub.node-restriction.kubernetes.io/pool', true],
    ['node-role.kubernetes.io/master', true],
    ['k8s.io/x', true],
    ['kactus.io/anything', true],
  ] as const)('label %s forbidden: %s', (key, forbidden) => {
    expect(isForbiddenNodeLabel(key)).toBe(forbidden);
  });
});
