/**
 * CRUD semantics of the API server over HTTPS, against a real embedded store: create/get/list/
 * update/delete for several kinds, validation (422 names the field, nothing stored), CAS (409),
 * field validation modes, dry run, paging, status subresource, auth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/object.ts';
import type { Status } from '../../src/api/status.ts';
import type { KubeList } from '../../src/registry/types.ts';
import { startTestCluster, type TestCluster } from './harness.ts';

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(async () => {
  await c?.close();
});

const NS = '/api/v1/namespaces/default';

function configMap(name: string, data: Record<string, string> = { k: 'v' }, labels?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}

function pod(name: string, extra: Partial<KubeObject> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] }, ...extra };
}

describe('system namespaces', () => {
  it('exist at start', async () => {
    const res = await c.client.get<KubeList>('/api/v1/namespaces');
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('NamespaceList');
    expect(res.body.items.map((n) => n.metadata?.name).sort()).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    expect(res.body.items[0].status).toEqual({ phase: 'Active' });
  });
});

describe('create, get, list, update, delete', () => {
  const cases: { kind: string; path: string; collection: string; body: (name: string) => KubeObject; change: (o: KubeObject) => void }[] = [
    {
      kind: 'Namespace', path: '/api/v1/namespaces', collection: '/api/v1/namespaces',
      body: (name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
      change: (o) => { o.metadata = { ...o.metadata, labels: { team: 'a' } }; },
    },
    {
      kind: 'Node', path: '/api/v1/nodes', collection: '/api/v1/nodes',
      body: (name) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { capacity: { cpu: '4', pods: '110' } } }),
      change: (o) => { o.spec = { unschedulable: true }; },
    },
    {
      kind: 'Pod', path: `${NS}/pods`, collection: '/api/v1/pods',
      body: (name) => pod(name),
      change: (o) => { o.metadata = { ...o.metadata, labels: { app: 'web' } }; },
    },
    {
      kind: 'Event', path: `${NS}/events`, collection: '/api/v1/events',
      body: (name) => ({ apiVersion: 'v1', kind: 'Event', metadata: { name }, involvedObject: { kind: 'Pod', name: 'x', namespace: 'default' }, reason: 'Started', message: 'hi', type: 'Normal' }),
      change: (o) => { o.message = 'changed'; },
    },
    {
      kind: 'ConfigMap', path: `${NS}/configmaps`, collection: '/api/v1/configmaps',
      body: (name) => configMap(name),
      change: (o) => { o.data = { k: 'v2' }; },
    },
    {
      kind: 'Secret', path: `${NS}/secrets`, collection: '/api/v1/secrets',
      body: (name) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, data: { pw: Buffer.from('s3cret').toString('base64') } }),
      change: (o) => { o.stringData = undefined; o.data = { pw: Buffer.from('other').toString('base64') }; },
    },
  ];

  for (const tc of cases) {
    it(`${tc.kind}`, async () => {
      const name = `crud-${tc.kind.toLowerCase()}`;
      const created = await c.client.post(tc.path, tc.body(name));
      expect(created.status, created.text).toBe(201);
      const meta = created.body.metadata ?? {};
      expect(meta.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(meta.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(Number(meta.resourceVersion)).toBeGreaterThan(0);

      const again = await c.client.post<Status>(tc.path, tc.body(name));
      expect(again.status).toBe(409);
      expect(again.body.reason).toBe('AlreadyExists');

      const got = await c.client.get(`${tc.path}/${name}`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(created.body);

      const list = await c.client.get<KubeList>(tc.collection);
      expect(list.body.kind).toBe(`${tc.kind}List`);
      expect(list.body.items.map((i) => i.metadata?.name)).toContain(name);
      expect(Number(list.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(meta.resourceVersion));

      const changed = structuredClone(got.body);
      tc.change(changed);
      const updated = await c.client.put(`${tc.path}/${name}`, changed);
      expect(updated.status, updated.text).toBe(200);
      expect(Number(updated.body.metadata?.resourceVersion)).toBeGreaterThan(Number(meta.resourceVersion));
      expect(updated.body.metadata?.uid).toBe(meta.uid);

      const deleted = await c.client.delete(`${tc.path}/${name}`);
      expect(deleted.status).toBe(200);
      if (tc.kind !== 'Namespace') {
        const gone = await c.client.get<Status>(`${tc.path}/${name}`);
        expect(gone.status).toBe(404);
        expect(gone.body.message).toBe(`${tc.path.split('/').pop()} "${name}" not found`);
      }
    });
  }
});

describe('validation', () => {
  it('422 names the field and stores nothing', async () => {
    const res = await c.client.post<Status>(`${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad-pod' }, spec: { containers: [{ name: 'c' }] } });
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('Invalid');
    expect(res.body.message).toContain('spec.containers[0].image');
    expect(res.body.details?.causes?.some((cause) => cause.field === 'spec.containers[0].image')).toBe(true);
    const list = await c.client.get<KubeList>(`${NS}/pods`);
    expect(list.body.items.map((p) => p.metadata?.name)).not.toContain('bad-pod');
  });

  it('rejects an invalid name with 422', async () => {
    const res = await c.client.post<Status>(`${NS}/configmaps`, configMap('Not_Valid'));
    expect(res.status).toBe(422);
    expect(res.body.message).toContain('metadata.name');
  });

  it('fieldValidation=Strict rejects unknown fields with 400, Warn warns, Ignore is silent; neither stores them', async () => {
    const body = { ...configMap('strict-cm'), spec: { foo: 1 }, metadata: { name: 'strict-cm', colour: 'red' } };
    const strict = await c.client.post<Status>(`${NS}/configmaps?fieldValidation=Strict`, body);
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe('strict decoding error: unknown field "metadata.colour", unknown field "spec"');
    expect((await c.client.get(`${NS}/configmaps/strict-cm`)).status).toBe(404);

    const warn = await c.client.post<Record<string, unknown>>(`${NS}/configmaps?fieldValidation=Warn`, body);
    expect(warn.status).toBe(201);
    expect(String(warn.headers.warning)).toContain('unknown field \\"spec\\"');
    expect(warn.body.spec).toBeUndefined();
    const stored = (await c.client.get<Record<string, unknown>>(`${NS}/configmaps/strict-cm`)).body;
    expect(stored.spec).toBeUndefined();
    expect((stored.metadata as Record<string, unknown>).colour).toBeUndefined();
    expect(stored.data).toEqual({ k: 'v' });

    const ignore = await c.client.post(`${NS}/configmaps?fieldValidation=Ignore`, { ...body, metadata: { name: 'ignore-cm' } });
    expect(ignore.status).toBe(201);
    expect(ignore.headers.warning).toBeUndefined();
    expect((await c.client.get<Record<string, unknown>>(`${NS}/configmaps/ignore-cm`)).body.spec).toBeUndefined();
  });

  it('body kind must match the URL, namespace must match the path', async () => {
    const wrongKind = await c.client.post<Status>(`${NS}/configmaps`, pod('x'));
    expect(wrongKind.status).toBe(400);
    const wrongNs = await c.client.post<Status>(`${NS}/configmaps`, { ...configMap('x'), metadata: { name: 'x', namespace: 'kube-system' } });
    expect(wrongNs.status).toBe(400);
    expect(wrongNs.body.message).toBe('the namespace of the provided object does not match the namespace sent on the request');
  });

  it('the namespace must exist', async () => {
    const res = await c.client.post<Status>('/api/v1/namespaces/nope/configmaps', configMap('x'));
    expect(res.status).toBe(404);
    expect(res.body.message).toBe('namespaces "nope" not found');
  });

  it('dryRun=All validates and stores nothing', async () => {
    const res = await c.client.post(`${NS}/configmaps?dryRun=All`, configMap('dry'));
    expect(res.status).toBe(201);
    expect(res.body.metadata?.name).toBe('dry');
    expect((await c.client.get(`${NS}/configmaps/dry`)).status).toBe(404);
  });
});

describe('optimistic concurrency', () => {
  it('409 Conflict on a stale resourceVersion; PUT without one is unconditional', async () => {
    const created = (await c.client.post(`${NS}/configmaps`, configMap('cas'))).body;
    const first = await c.client.put(`${NS}/configmaps/cas`, { ...created, data: { k: '1' } });
    expect(first.status).toBe(200);
    const stale = await c.client.put<Status>(`${NS}/configmaps/cas`, { ...created, data: { k: '2' } });
    expect(stale.status).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
    expect(stale.body.message).toBe(
      'Operation cannot be fulfilled on configmaps "cas": the object has been modified; please apply your changes to the latest version and try again',
    );
    const unconditional = await c.client.put(`${NS}/configmaps/cas`, { ...created, metadata: { name: 'cas' }, data: { k: '3' } });
    expect(unconditional.status).toBe(200);
    expect(unconditional.body.data).toEqual({ k: '3' });
  });

  it('PUT of a missing object is 404 (no create on update)', async () => {
    const res = await c.client.put<Status>(`${NS}/configmaps/missing`, configMap('missing'));
    expect(res.status).toBe(404);
  });

  it('a no-op update keeps the resourceVersion', async () => {
    const created = (await c.client.post(`${NS}/configmaps`, configMap('noop'))).body;
    const same = await c.client.put(`${NS}/configmaps/noop`, created);
    expect(same.body.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
  });
});

describe('list', () => {
  beforeAll(async () => {
    await c.client.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'paging' } });
    for (let i = 0; i < 7; i++) await c.client.post('/api/v1/namespaces/paging/configmaps', configMap(`cm-${i}`, { i: String(i) }, { parity: i % 2 ? 'odd' : 'even' }));
  });

  it('pages with limit + continue and keeps the first page revision', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let rv: string | undefined;
    do {
      const res = await c.client.get<KubeList>(`/api/v1/namespaces/paging/configmaps?limit=3${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      rv ??= res.body.metadata.resourceVersion;
      expect(res.body.metadata.resourceVersion).toBe(rv);
      seen.push(...res.body.items.map((i) => i.metadata?.name ?? ''));
      token = res.body.metadata.continue;
    } while (token);
    expect(seen).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6']);
  });

  it('serves later pages from the first page\'s snapshot, and 410s with a token to go on once it is compacted', async () => {
    const url = '/api/v1/namespaces/paging/configmaps?limit=4';
    const first = await c.client.get<KubeList>(url);
    expect(first.body.items.map((i) => i.metadata?.name)).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-3']);
    const token = first.body.metadata.continue!;
    // Changes after the first page: none of them shows in its continuation.
    await c.client.delete('/api/v1/namespaces/paging/configmaps/cm-5');
    await c.client.post('/api/v1/namespaces/paging/configmaps', configMap('cm-55', { i: '55' }));
    const rest = await c.client.get<KubeList>(`${url}&continue=${encodeURIComponent(token)}`);
    expect(rest.status).toBe(200);
    expect(rest.body.items.map((i) => i.metadata?.name)).toEqual(['cm-4', 'cm-5', 'cm-6']);
    expect(rest.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);

    await c.store.compact(await c.store.currentRevision());
    const expired = await c.client.get<Status>(`${url}&continue=${encodeURIComponent(token)}`);
    expect(expired.status).toBe(410);
    expect(expired.body.reason).toBe('Expired');
    expect(expired.body.message).toContain('The provided continue parameter is too old to display a consistent list result');
    const onward = await c.client.get<KubeList>(`${url}&continue=${encodeURIComponent(String(expired.body.metadata.continue))}`);
    expect(onward.body.items.map((i) => i.metadata?.name)).toEqual(['cm-4', 'cm-55', 'cm-6']);
    // Put the collection back as the other tests expect it.
    await c.client.delete('/api/v1/namespaces/paging/configmaps/cm-55');
    await c.client.post('/api/v1/namespaces/paging/configmaps', configMap('cm-5', { i: '5' }, { parity: 'odd' }));
  });

  it('resourceVersionMatch=Exact lists the collection as it was at that resourceVersion', async () => {
    const created = await c.client.post<KubeObject>('/api/v1/namespaces/paging/configmaps', configMap('exact', { v: 'old' }));
    const rv = String(created.body.metadata?.resourceVersion);
    await c.client.patch('/api/v1/namespaces/paging/configmaps/exact', { data: { v: 'new' } }, 'application/merge-patch+json');
    const url = (query: string): string => `/api/v1/namespaces/paging/configmaps?fieldSelector=metadata.name%3Dexact&${query}`;
    const then = await c.client.get<KubeList>(url(`resourceVersion=${rv}&resourceVersionMatch=Exact`));
    expect(then.status).toBe(200);
    expect(then.body.metadata.resourceVersion).toBe(rv);
    expect(then.body.items.map((i) => i.data)).toEqual([{ v: 'old' }]);
    const now = await c.client.get<KubeList>(url(`resourceVersion=${rv}&resourceVersionMatch=NotOlderThan`));
    expect(now.body.items.map((i) => i.data)).toEqual([{ v: 'new' }]);

    for (const [query, message] of [
      ['resourceVersionMatch=Exact', 'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided'],
      ['resourceVersion=0&resourceVersionMatch=Exact', 'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"'],
    ]) {
      const bad = await c.client.get<Status>(url(query!));
      expect(bad.status).toBe(400);
      expect(bad.body.message).toBe(message);
    }
    await c.store.compact(await c.store.currentRevision());
    const gone = await c.client.get<Status>(url(`resourceVersion=${rv}&resourceVersionMatch=Exact`));
    expect(gone.status).toBe(410);
    expect(gone.body.reason).toBe('Expired');
    await c.client.delete('/api/v1/namespaces/paging/configmaps/exact');
  });

  it('filters by label and field selectors, and pages filtered lists', async () => {
    const odd = await c.client.get<KubeList>('/api/v1/namespaces/paging/configmaps?labelSelector=parity%3Dodd');
    expect(odd.body.items.map((i) => i.metadata?.name)).toEqual(['cm-1', 'cm-3', 'cm-5']);
    const byName = await c.client.get<KubeList>('/api/v1/configmaps?fieldSelector=metadata.name%3Dcm-4');
    expect(byName.body.items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`)).toEqual(['paging/cm-4']);
    const page = await c.client.get<KubeList>('/api/v1/namespaces/paging/configmaps?labelSelector=parity%3Deven&limit=2');
    expect(page.body.items.map((i) => i.metadata?.name)).toEqual(['cm-0', 'cm-2']);
    expect(page.body.metadata.continue).toBeTruthy();
    const bad = await c.client.get<Status>('/api/v1/configmaps?fieldSelector=spec.foo%3Dx');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('field label not supported: spec.foo');
  });

  it('an empty list still has items: []', async () => {
    const res = await c.client.get('/api/v1/namespaces/paging/secrets');
    expect(res.text).toContain('"items":[]');
  });

  it('deletecollection deletes what the selector matches', async () => {
    const res = await c.client.delete<KubeList>('/api/v1/namespaces/paging/configmaps?labelSelector=parity%3Dodd');
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(3);
    const left = await c.client.get<KubeList>('/api/v1/namespaces/paging/configmaps');
    expect(left.body.items.map((i) => i.metadata?.name)).toEqual(['cm-0', 'cm-2', 'cm-4', 'cm-6']);
  });
});

describe('status subresource', () => {
  it('PUT/PATCH /status change only status; the main resource keeps status', async () => {
    const created = (await c.client.post(`${NS}/pods`, pod('status-pod'))).body;
    const withStatus = { ...created, metadata: { ...created.metadata, labels: { ignored: 'yes' } }, status: { phase: 'Running' } };
    const put = await c.client.put(`${NS}/pods/status-pod/status`, withStatus);
    expect(put.status, put.text).toBe(200);
    expect(put.body.status).toMatchObject({ phase: 'Running' });
    expect(put.body.metadata?.labels).toBeUndefined();

    const patched = await c.client.patch(`${NS}/pods/status-pod/status`, { status: { podIP: '10.0.0.5' } }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    expect(patched.body.status).toMatchObject({ phase: 'Running', podIP: '10.0.0.5' });

    const main = await c.client.patch(`${NS}/pods/status-pod`, { status: { phase: 'Failed' }, metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json');
    expect(main.body.status).toMatchObject({ phase: 'Running' });
    expect(main.body.metadata?.labels).toEqual({ a: 'b' });

    const get = await c.client.get(`${NS}/pods/status-pod/status`);
    expect(get.body.status).toMatchObject({ phase: 'Running' });
  });

  it('ConfigMaps have no /status', async () => {
    await c.client.post(`${NS}/configmaps`, configMap('nostatus'));
    expect((await c.client.get(`${NS}/configmaps/nostatus/status`)).status).toBe(404);
  });
});

describe('patch', () => {
  it('json, merge and strategic merge patches; 415 for other types', async () => {
    await c.client.post(`${NS}/pods`, pod('patch-pod', { metadata: { name: 'patch-pod', labels: { a: '1' } } }));
    const json = await c.client.patch(`${NS}/pods/patch-pod`, [{ op: 'add', path: '/metadata/labels/b', value: '2' }], 'application/json-patch+json');
    expect(json.status, json.text).toBe(200);
    expect(json.body.metadata?.labels).toEqual({ a: '1', b: '2' });
    const merge = await c.client.patch(`${NS}/pods/patch-pod`, { metadata: { labels: { a: null } } }, 'application/merge-patch+json');
    expect(merge.body.metadata?.labels).toEqual({ b: '2' });
    const smp = await c.client.patch(`${NS}/pods/patch-pod`, { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } }, 'application/strategic-merge-patch+json');
    expect(smp.status, smp.text).toBe(200);
    const containers = (smp.body.spec as { containers: { name: string; image: string }[] }).containers;
    expect(containers).toHaveLength(1);
    expect(containers[0]).toMatchObject({ name: 'c', image: 'busybox:2', imagePullPolicy: 'Always' });
    const bad = await c.client.patch<Status>(`${NS}/pods/patch-pod`, '{}', 'text/plain');
    expect(bad.status).toBe(415);
    expect(bad.body.reason).toBe('UnsupportedMediaType');
    const missing = await c.client.patch<Status>(`${NS}/pods/nope`, {}, 'application/merge-patch+json');
    expect(missing.status).toBe(404);
  });

  it('a patch that pins a stale resourceVersion is a 409', async () => {
    const created = (await c.client.post(`${NS}/configmaps`, configMap('pinned'))).body;
    await c.client.patch(`${NS}/configmaps/pinned`, { data: { k: 'x' } }, 'application/merge-patch+json');
    const res = await c.client.patch<Status>(`${NS}/configmaps/pinned`, { metadata: { resourceVersion: created.metadata?.resourceVersion }, data: { k: 'y' } }, 'application/merge-patch+json');
    expect(res.status).toBe(409);
  });

  it('server-side apply creates and then updates', async () => {
    const doc = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  a: "1"\n';
    const created = await c.client.patch(`${NS}/configmaps/applied?fieldManager=test`, doc, 'application/apply-patch+yaml');
    expect(created.status, created.text).toBeLessThan(300);
    expect(created.body.data).toEqual({ a: '1' });
    const updated = await c.client.patch(`${NS}/configmaps/applied?fieldManager=test`, doc.replace('"1"', '"2"'), 'application/apply-patch+yaml');
    expect(updated.body.data).toEqual({ a: '2' });
  });
});

describe('scale subresource', () => {
  it('GET, PATCH (as kubectl scale) and PUT /scale', async () => {
    const deploy = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    };
    const base = '/apis/apps/v1/namespaces/default/deployments/web';
    expect((await c.client.post('/apis/apps/v1/namespaces/default/deployments', deploy)).status).toBe(201);
    const scale = await c.client.get(`${base}/scale`);
    expect(scale.body).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 1 }, status: { replicas: 0, selector: 'app=web' } });
    const patched = await c.client.patch(`${base}/scale`, { spec: { replicas: 3 } }, 'application/merge-patch+json');
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.spec).toEqual({ replicas: 3 });
    const put = await c.client.put(`${base}/scale`, { ...patched.body, spec: { replicas: 5 } });
    expect(put.body.spec).toEqual({ replicas: 5 });
    const d = await c.client.get(base);
    expect((d.body.spec as { replicas: number }).replicas).toBe(5);
    expect(d.body.metadata?.generation).toBe(3);
    expect((await c.client.get(`${NS}/configmaps/nostatus/scale`)).status).toBe(404);
  });
});

describe('auth and errors', () => {
  it('401 Status without or with a wrong token; health is open', async () => {
    for (const token of [null, 'wrong']) {
      const res = await c.client.get<Status>('/api/v1/namespaces', { token });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
    }
    expect((await c.client.get('/version', { token: null })).status).toBe(401);
    for (const p of ['/healthz', '/livez', '/readyz']) {
      const res = await c.client.get(p, { token: null });
      expect(res.status).toBe(200);
      expect(res.text).toBe('ok');
    }
  });

  it('unknown paths and resources are 404 Status', async () => {
    for (const p of ['/nope', '/api/v2', '/apis/foo/v1/bars', '/api/v1/widgets', '/api/v1/pods/x']) {
      const res = await c.client.get<Status>(p);
      expect(res.status, p).toBe(404);
      expect(res.body.kind).toBe('Status');
    }
  });

  it('405 for a verb the resource does not serve', async () => {
    const res = await c.client.delete<Status>('/api/v1/namespaces');
    expect(res.status).toBe(405);
  });
});
