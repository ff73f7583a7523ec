/** `/ui/`: the dashboard's files from the bundle directory, without a token, and nothing outside it. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startTestCluster, type TestCluster } from './harness.ts';

describe('GET /ui/', () => {
  let cluster: TestCluster;
  let dir: string;
  let anonymous: ApiClient;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-ui-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><kactus-app></kactus-app>');
    await writeFile(join(dir, 'app.js'), 'export {};');
    await writeFile(join(dir, '.hidden.js'), 'secret');
    cluster = await startTestCluster({ server: { uiDir: dir } });
    anonymous = new ApiClient(cluster.server.url, cluster.server.caCertPem, '');
  });
  afterAll(async () => {
    await cluster?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html at /ui/ and the bundle beside it, without a token, kept to this origin', async () => {
    const index = await anonymous.get('/ui/', { token: null });
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.text).toContain('<kactus-app>');
    expect(index.headers['content-security-policy']).toContain("default-src 'self'");
    expect(index.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const js = await anonymous.get('/ui/app.js', { token: null });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.text).toBe('export {};');
  });

  it('redirects /ui to /ui/ so the page\'s relative URLs resolve', async () => {
    const res = await anonymous.get('/ui', { token: null });
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/ui/');
  });

  it.each(['/ui/missing.js', '/ui/.hidden.js', '/ui/%2e%2e%2fpackage.json', '/ui/sub/app.js', '/ui/index.exe'])('answers %s with a 404 Status', async (path) => {
    const res = await anonymous.get<{ kind: string; code: number }>(path, { token: null });
    expect(res.status).toBe(404);
    expect(res.body.kind).toBe('Status');
  });

  it('refuses writes', async () => {
    const res = await cluster.client.post<{ code: number }>('/ui/app.js', {});
    expect(res.status).toBe(405);
  });

  it('says how to build the UI when the bundle is missing', async () => {
    const bare = await startTestCluster({ server: { uiDir: join(dir, 'nowhere') } });
    try {
      const res = await bare.client.get<{ message: string }>('/ui/', { token: null });
      expect(res.status).toBe(404);
      expect(res.body.message).toContain('scripts/build-ui.sh');
    } finally {
      await bare.close();
    }
  });

  it('still requires a token for the API', async () => {
    expect((await anonymous.get('/api/v1/pods', { token: null })).status).toBe(401);
  });
});
