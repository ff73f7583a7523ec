/**
 * What a pod needs of the API server: a serving certificate that names the `kubernetes` Service
 * as pods dial it (its ClusterIP and DNS names, for the cluster's service range and domain), a
 * second listener (`listenAlso`, what `kactus up` opens on the pod bridge's gateway) serving the
 * same API with the same certificate and authentication, closed with the server; a data dir
 * whose serving certificate lacks those names gets a new one from the same CA.
 */
import { X509Certificate } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { request } from 'node:https';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceRanges } from '../../src/registry/allocators/ranges.ts';
import { startTestCluster, type TestCluster } from './harness.ts';

// A second loopback address: the stand-in for the pod bridge's gateway.
const EXTRA_HOST = '127.0.0.2';

/** The TLS handshake to host:port verifying the chain against `ca` and the name `servername`. */
function verifiedPeer(host: string, port: number, ca: string, servername: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port, ca, servername }, () => {
      const peer = socket.getPeerCertificate();
      socket.end();
      resolve(peer);
    });
    socket.on('error', reject);
  });
}

/** GET path on host:port as `name` (SNI + identity check), with a bearer token. */
function get(host: string, port: number, ca: string, name: string, path: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, ca, servername: name, headers: { Authorization: `Bearer ${token}`, Host: name } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    // Identity is checked against `servername`, not the address dialled.
    req.end();
  });
}

describe('the API server as pods reach it', () => {
  let c: TestCluster;

  beforeAll(async () => {
    c = await startTestCluster({ server: { serviceRanges: serviceRanges({ clusterIPRange: '10.100.0.0/16' }), clusterDomain: 'example.test', serviceAccountAdmission: false } });
    await c.server.listenAlso(EXTRA_HOST);
  });
  afterAll(async () => {
    await c?.close();
  });

  it('names the kubernetes Service in its serving certificate: first service IP, kubernetes[.default[.svc[.<domain>]]]', async () => {
    const cert = new X509Certificate(await readFile(join(c.dir, 'pki', 'apiserver.crt')));
    const sans = (cert.subjectAltName ?? '').split(', ');
    expect(sans).toEqual(expect.arrayContaining(['IP Address:10.100.0.1', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.example.test']));
  });

  it('serves the same API on the extra address: the chain and each in-cluster name verify against the CA', async () => {
    const port = c.server.port;
    for (const name of ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.example.test']) {
      const res = await get(EXTRA_HOST, port, c.server.caCertPem, name, '/api/v1/namespaces/default/pods', c.server.adminToken);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ kind: 'PodList', apiVersion: 'v1' });
    }
    // A client dialling the ClusterIP checks the IP SAN (what Node's client does for an IP host).
    const peer = await verifiedPeer(EXTRA_HOST, port, c.server.caCertPem, 'kubernetes.default.svc');
    expect(checkServerIdentity('10.100.0.1', peer)).toBeUndefined();
    expect(checkServerIdentity('10.100.0.2', peer)).toBeInstanceOf(Error);
    // A name the certificate does not carry fails verification.
    await expect(get(EXTRA_HOST, port, c.server.caCertPem, 'kubernetes.other', '/version', c.server.adminToken)).rejects.toThrow(/altnames/);
  });

  it('authenticates on the extra address as on the first: a ServiceAccount token lists pods, a wrong token is 401', async () => {
    const created = await c.client.request('POST', '/api/v1/namespaces/default/serviceaccounts', { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader' } } });
    expect(created.status).toBe(201);
    const { token } = await c.server.serviceAccountTokens.issue({ namespace: 'default', serviceAccountName: 'reader' });
    const port = c.server.port;
    const ok = await get(EXTRA_HOST, port, c.server.caCertPem, 'kubernetes.default.svc', '/api/v1/namespaces/default/pods', token);
    expect(ok.status).toBe(200);
    const bad = await get(EXTRA_HOST, port, c.server.caCertPem, 'kubernetes.default.svc', '/api/v1/namespaces/default/pods', `${token.slice(0, -4)}AAAA`);
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.body)).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized' });
  });

  it('takes SHA-1 signatures (what TLS 1.2 clients naming no algorithms get, e.g. busybox wget) on the pod-facing listener only', async () => {
    const sha1Only = (host: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = tlsConnect({ host, port: c.server.port, ca: c.server.caCertPem, servername: 'kubernetes', maxVersion: 'TLSv1.2', sigalgs: 'ECDSA+SHA1', ciphers: 'DEFAULT@SECLEVEL=0' }, () => {
          const cipher = socket.getCipher().name;
          socket.end();
          resolve(cipher);
        });
        socket.on('error', reject);
      });
    await expect(sha1Only(EXTRA_HOST)).resolves.toMatch(/^ECDHE-ECDSA-/);
    await expect(sha1Only('127.0.0.1')).rejects.toThrow(/handshake failure|no shared/i);
  });

  it('listenAlso twice on one host is one listener', async () => {
    await expect(c.server.listenAlso(EXTRA_HOST)).resolves.toBeUndefined();
  });
});

it('closes the extra listener with the server', async () => {
  const c = await startTestCluster();
  await c.server.listenAlso(EXTRA_HOST);
  const port = c.server.port;
  await c.close();
  await expect(
    new Promise((resolve, reject) => {
      const s = netConnect({ host: EXTRA_HOST, port }, () => {
        s.destroy();
        resolve('connected');
      });
      s.on('error', reject);
    }),
  ).rejects.toThrow(/ECONNREFUSED/);
});

it('re-issues a serving certificate that lacks the in-cluster names from the same CA', async () => {
  const first = await startTestCluster({ server: { clusterDomain: 'one.test' } });
  const dir = first.dir;
  const caBefore = first.server.caCertPem;
  await first.server.close();
  // A second server on the same data dir, another domain: its name must be added.
  const { startApiServer } = await import('../../src/apiserver/server.ts');
  const pino = (await import('pino')).default;
  const again = await startApiServer({ store: first.store, dataDir: dir, port: 0, clusterDomain: 'two.test', logger: pino({ level: 'silent' }) });
  try {
    expect(again.caCertPem).toBe(caBefore);
    const cert = new X509Certificate(await readFile(join(dir, 'pki', 'apiserver.crt')));
    expect(cert.subjectAltName).toContain('DNS:kubernetes.default.svc.two.test');
    expect(cert.checkIssued(new X509Certificate(caBefore))).toBe(true);
  } finally {
    await again.close();
    await first.close();
  }
});
