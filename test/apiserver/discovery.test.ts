/**
 * Discovery (aggregated and legacy), /version, /openapi/v3, /metrics, the PKI (CA chain checked
 * by every request of the harness's client; reused on restart) and the system namespaces.
 */
import { X509Certificate } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allResources } from '../../src/api/kinds.ts';
import { loadOrCreatePki } from '../../src/apiserver/pki.ts';
import { startTestCluster, type TestCluster } from './harness.ts';

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(async () => {
  await c?.close();
});

interface DiscoveryResource {
  resource: string;
  scope: string;
  verbs: string[];
  subresources?: { subresource: string; responseKind: { kind: string } }[];
}
interface DiscoveryList {
  kind: string;
  items: { metadata: { name?: string }; versions: { version: string; resources: DiscoveryResource[] }[] }[];
}

const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

describe('discovery', () => {
  it('aggregated /api and /apis list every registry resource and echo the media type', async () => {
    const core = await c.client.get<DiscoveryList>('/api', { accept: AGGREGATED });
    const groups = await c.client.get<DiscoveryList>('/apis', { accept: AGGREGATED });
    for (const res of [core, groups]) {
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
      expect(res.body.kind).toBe('APIGroupDiscoveryList');
    }
    const served = new Set<string>();
    for (const item of [...core.body.items, ...groups.body.items]) {
      for (const v of item.versions) for (const r of v.resources) served.add(`${item.metadata.name ?? ''}/${v.version}/${r.resource}`);
    }
    expect([...served].sort()).toEqual(allResources().map((r) => `${r.group}/${r.version}/${r.resource}`).sort());
    const deployments = groups.body.items.find((i) => i.metadata.name === 'apps')?.versions[0].resources.find((r) => r.resource === 'deployments');
    expect(deployments?.scope).toBe('Namespaced');
    expect(deployments?.subresources?.find((s) => s.subresource === 'scale')?.responseKind.kind).toBe('Scale');

    const beta = await c.client.get('/apis', { accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList' });
    expect(beta.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
  });

  it('legacy documents', async () => {
    const api = await c.client.get('/api');
    expect(api.body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const apis = await c.client.get('/apis');
    expect(apis.body.kind).toBe('APIGroupList');
    const group = await c.client.get('/apis/apps');
    expect(group.body).toMatchObject({ kind: 'APIGroup', name: 'apps', preferredVersion: { groupVersion: 'apps/v1' } });
    const list = await c.client.get<{ resources: { name: string; kind: string }[] }>('/api/v1');
    const names = list.body.resources.map((r) => r.name);
    expect(names).toContain('pods');
    expect(names).toContain('pods/status');
    expect(list.body.resources.find((r) => r.name === 'replicationcontrollers/scale')?.kind).toBe('Scale');
    expect((await c.client.get('/apis/apps/v1')).body.kind).toBe('APIResourceList');
  });

  it('/version', async () => {
    const res = await c.client.get('/version');
    expect(res.body).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.0-kactus' });
  });

  it('/openapi/v3 index and a group-version document', async () => {
    const index = await c.client.get<{ paths: Record<string, { serverRelativeURL: string }> }>('/openapi/v3');
    expect(index.status).toBe(200);
    const url = index.body.paths['api/v1'].serverRelativeURL;
    const doc = await c.client.get<{ openapi: string }>(url);
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect((await c.client.get('/openapi/v3/apis/nope/v1')).status).toBe(404);
  });

  it('/metrics counts requests per verb, resource and code', async () => {
    await c.client.get('/api/v1/namespaces/default/pods');
    await c.client.get('/api/v1/namespaces/default/pods/missing');
    const res = await c.client.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/apiserver_request_total\{verb="LIST",resource="pods",code="200"\} \d+/);
    expect(res.text).toMatch(/apiserver_request_total\{verb="GET",resource="pods",code="404"\} \d+/);
    expect(res.text).toContain('apiserver_request_duration_seconds_bucket');
    expect(res.text).toMatch(/apiserver_storage_request_duration_seconds_count\{operation="list"\} \d+/);
  });
});

describe('pki', () => {
  it('serves a certificate issued by the persisted CA, reused on restart, keys 0600', async () => {
    const pki = await loadOrCreatePki(c.dir);
    expect(pki.caCertPem).toBe(c.server.caCertPem);
    expect(pki.adminToken).toBe(c.server.adminToken);
    const cert = new X509Certificate(pki.serverCertPem);
    expect(cert.checkIssued(new X509Certificate(pki.caCertPem))).toBe(true);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    for (const f of ['ca.key', 'apiserver.key', 'admin.token']) {
      expect((await stat(join(c.dir, 'pki', f))).mode & 0o777).toBe(0o600);
    }
    // A new SAN re-issues the serving certificate from the same CA.
    const more = await loadOrCreatePki(c.dir, { sans: ['kactus.example'] });
    expect(more.caCertPem).toBe(pki.caCertPem);
    expect(new X509Certificate(more.serverCertPem).checkHost('kactus.example')).toBe('kactus.example');
  });
});
