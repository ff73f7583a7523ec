/**
 * Deletion semantics: finalizers keep an object (marked) until an update empties them; pods on a
 * node wait for a grace-0 confirmation; preconditions; propagation-policy finalizers; namespace
 * deletion empties the namespace and then removes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/object.ts';
import type { Status } from '../../src/api/status.ts';
import type { KubeList } from '../../src/registry/types.ts';
import { startTestCluster, waitFor, type TestCluster } from './harness.ts';

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(async () => {
  await c?.close();
});

const NS = '/api/v1/namespaces/default';

function configMap(name: string, finalizers?: string[]): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, finalizers }, data: { k: 'v' } };
}

function pod(name: string, nodeName?: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] } };
}

describe('finalizers', () => {
  it('a finalized object is marked, then removed when its finalizers are emptied', async () => {
    await c.client.post(`${NS}/configmaps`, configMap('fin', ['example.com/hold']));
    const del = await c.client.delete(`${NS}/configmaps/fin`);
    expect(del.status).toBe(200);
    expect(del.body.metadata?.deletionTimestamp).toBeTruthy();
    expect(del.body.metadata?.deletionGracePeriodSeconds).toBe(0);
    const still = await c.client.get(`${NS}/configmaps/fin`);
    expect(still.status).toBe(200);
    expect(still.body.metadata?.deletionTimestamp).toBe(del.body.metadata?.deletionTimestamp);

    // A second delete changes nothing.
    const again = await c.client.delete(`${NS}/configmaps/fin`);
    expect(again.body.metadata?.resourceVersion).toBe(del.body.metadata?.resourceVersion);

    const cleared = await c.client.patch(`${NS}/configmaps/fin`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    expect(cleared.status).toBe(200);
    expect((await c.client.get(`${NS}/configmaps/fin`)).status).toBe(404);
  });

  it('propagationPolicy Orphan and Foreground add the garbage collector finalizers', async () => {
    await c.client.post(`${NS}/configmaps`, configMap('orphan-me'));
    const orphan = await c.client.delete(`${NS}/configmaps/orphan-me`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan' });
    expect(orphan.body.metadata?.finalizers).toEqual(['orphan']);
    await c.client.post(`${NS}/configmaps`, configMap('fg'));
    const fg = await c.client.delete(`${NS}/configmaps/fg?propagationPolicy=Foreground`);
    expect(fg.body.metadata?.finalizers).toEqual(['foregroundDeletion']);
  });

  it('preconditions on uid and resourceVersion', async () => {
    const created = (await c.client.post(`${NS}/configmaps`, configMap('pre'))).body;
    const wrongUid = await c.client.delete<Status>(`${NS}/configmaps/pre`, { preconditions: { uid: 'not-it' } });
    expect(wrongUid.status).toBe(409);
    expect(wrongUid.body.message).toContain('Precondition failed: UID in precondition: not-it');
    const wrongRv = await c.client.delete<Status>(`${NS}/configmaps/pre`, { preconditions: { resourceVersion: '1' } });
    expect(wrongRv.status).toBe(409);
    const ok = await c.client.delete(`${NS}/configmaps/pre`, { preconditions: { uid: created.metadata?.uid, resourceVersion: created.metadata?.resourceVersion } });
    expect(ok.status).toBe(200);
    expect((await c.client.get(`${NS}/configmaps/pre`)).status).toBe(404);
  });

  it('dryRun delete keeps the object', async () => {
    await c.client.post(`${NS}/configmaps`, configMap('dry-del'));
    expect((await c.client.delete(`${NS}/configmaps/dry-del?dryRun=All`)).status).toBe(200);
    expect((await c.client.get(`${NS}/configmaps/dry-del`)).status).toBe(200);
  });
});

describe('pod graceful deletion', () => {
  it('an unscheduled pod goes at once', async () => {
    await c.client.post(`${NS}/pods`, pod('unbound'));
    await c.client.delete(`${NS}/pods/unbound`);
    expect((await c.client.get(`${NS}/pods/unbound`)).status).toBe(404);
  });

  it('a bound pod is marked with its grace period until a grace-0 delete confirms', async () => {
    await c.client.post(`${NS}/pods`, pod('bound', 'node-1'));
    const before = Date.now();
    const del = await c.client.delete(`${NS}/pods/bound`);
    expect(del.body.metadata?.deletionGracePeriodSeconds).toBe(30);
    const deadline = Date.parse(String(del.body.metadata?.deletionTimestamp));
    expect(deadline).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 29_000);
    expect((await c.client.get(`${NS}/pods/bound`)).status).toBe(200);

    const shorter = await c.client.delete(`${NS}/pods/bound`, { gracePeriodSeconds: 5 });
    expect(shorter.body.metadata?.deletionGracePeriodSeconds).toBe(5);

    const confirm = await c.client.delete(`${NS}/pods/bound`, { gracePeriodSeconds: 0 });
    expect(confirm.status).toBe(200);
    expect((await c.client.get(`${NS}/pods/bound`)).status).toBe(404);
  });
});

describe('namespace deletion', () => {
  it('turns Terminating, deletes its objects, then disappears', async () => {
    await c.client.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
    await c.client.post('/api/v1/namespaces/doomed/configmaps', configMap('a'));
    await c.client.post('/api/v1/namespaces/doomed/pods', pod('p'));
    await c.client.post('/api/v1/namespaces/doomed/configmaps', configMap('held', ['example.com/hold']));
    const del = await c.client.delete('/api/v1/namespaces/doomed');
    expect(del.status).toBe(200);
    expect(del.body.status).toEqual({ phase: 'Terminating' });

    const refused = await c.client.post<Status>('/api/v1/namespaces/doomed/configmaps', configMap('late'));
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('because it is being terminated');

    // The finalized ConfigMap holds the namespace.
    await waitFor('pod and plain configmap deleted', async () => {
      const cms = await c.client.get<KubeList>('/api/v1/namespaces/doomed/configmaps');
      const pods = await c.client.get<KubeList>('/api/v1/namespaces/doomed/pods');
      return pods.body.items.length === 0 && cms.body.items.length === 1 ? true : undefined;
    });
    expect((await c.client.get('/api/v1/namespaces/doomed')).status).toBe(200);

    await c.client.patch('/api/v1/namespaces/doomed/configmaps/held', { metadata: { finalizers: [] } }, 'application/merge-patch+json');
    await waitFor('namespace gone', async () => ((await c.client.get('/api/v1/namespaces/doomed')).status === 404 ? true : undefined));
  });
});
