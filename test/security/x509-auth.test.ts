/**
 * x509 client-certificate authentication against a real API server: a certificate signed by the
 * cluster CA, within its validity and made for clientAuth is its subject's user (CN) in its
 * groups (O) — with the real kubectl from a kubeconfig `kactus certs create user` wrote; one from
 * another CA, an expired one, or the server's own serving certificate is nobody (401); bearer
 * tokens keep working; a node's certificate request is signed for the name the master picks.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { UserInfo } from '../../src/api/user.ts';
import { CertificateRequestError, ClientCertificateIssuer, createKeyAndRequest, nodeSubject } from '../../src/apiserver/client-certificates.ts';
import { buildKubeconfig } from '../../src/apiserver/kubeconfig.ts';
import { loadOrCreatePki } from '../../src/apiserver/pki.ts';
import type { AuthorizationAttributes, Authorizer } from '../../src/registry/authorization/types.ts';
import { startTestCluster, type TestCluster } from '../apiserver/harness.ts';
import { runKactus } from '../support/kactus-cli.ts';
import { recordFigure } from '../support/figures.ts';

let c: TestCluster;
let issuer: ClientCertificateIssuer;
const seen: UserInfo[] = [];
/** Records who asked; refuses user `mallory` every resource (discovery stays open, as system:discovery), to see kubectl print the 403. */
const recorder: Authorizer = {
  authorize(attrs: AuthorizationAttributes) {
    seen.push(attrs.user);
    return attrs.user.name === 'mallory' && attrs.resourceRequest ? { decision: 'no-opinion', reason: '' } : { decision: 'allow', reason: 'test' };
  },
};

beforeAll(async () => {
  c = await startTestCluster({ server: { authorizer: recorder } });
  const pki = await loadOrCreatePki(c.dir);
  issuer = new ClientCertificateIssuer(pki.caCertPem, pki.caKeyPem);
});
afterAll(async () => {
  await c?.close();
});

/** GET `path` presenting `cert`/`key` (and no token); resolves the status and the user the server saw. */
async function getWithCert(path: string, cert: string, key: string): Promise<{ status: number; user: UserInfo | undefined }> {
  seen.length = 0;
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(new URL(path, c.server.url), { method: 'GET', ca: c.server.caCertPem, cert, key, headers: { Accept: 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
  return { status, user: seen.at(-1) };
}

function kubectl(kubeconfig: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(c.dir, `cache-${Math.random()}`), ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('x509 client certificates', () => {
  it('kactus certs create user writes a kubeconfig the real kubectl authenticates with as that user and groups', async () => {
    const out = join(c.dir, 'alice.kubeconfig');
    const run = await runKactus(c.kubeconfigPath, ['certs', 'create', 'user', '--name', 'alice', '--group', 'dev', '--group', 'qa', '--data-dir', c.dir, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const doc = parse(await readFile(out, 'utf8')) as { users: { name: string; user: Record<string, string> }[] };
    expect(doc.users[0]?.name).toBe('alice');
    expect(Object.keys(doc.users[0]!.user).sort()).toEqual(['client-certificate-data', 'client-key-data']);

    seen.length = 0;
    const r = await kubectl(out, ['get', 'pods']);
    expect(r.code, r.stderr).toBe(0);
    expect(seen.length).toBeGreaterThan(0);
    for (const user of seen) expect(user).toEqual({ name: 'alice', groups: ['dev', 'qa', 'system:authenticated'] });
    recordFigure('x509: kubectl requests authenticated by client certificate', seen.length);
  });

  it("a certificate's user the authorizer refuses gets Kubernetes' 403 in kubectl", async () => {
    const { certPem, keyPem } = await issuer.createKeyAndCertificate({ commonName: 'mallory', organizations: [] }, 3600);
    const path = join(c.dir, 'mallory.kubeconfig');
    await writeFile(path, buildKubeconfig({ url: c.server.url, caCertPem: c.server.caCertPem, clientCertificatePem: certPem, clientKeyPem: keyPem }));
    const r = await kubectl(path, ['get', 'pods', '-n', 'kube-system']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Error from server (Forbidden): pods is forbidden: User "mallory" cannot list resource "pods" in API group "" in the namespace "kube-system"');
  });

  it('refuses certificates from another CA, expired ones, and the serving certificate (no clientAuth)', async () => {
    const otherDir = await mkdtemp(join(tmpdir(), 'kactus-other-ca-'));
    try {
      const other = await loadOrCreatePki(otherDir);
      const foreign = await new ClientCertificateIssuer(other.caCertPem, other.caKeyPem).createKeyAndCertificate({ commonName: 'alice', organizations: ['system:masters'] }, 3600);
      expect((await getWithCert('/api/v1/namespaces', foreign.certPem, foreign.keyPem)).status).toBe(401);

      const longAgo = new ClientCertificateIssuer(c.server.caCertPem, (await loadOrCreatePki(c.dir)).caKeyPem, () => new Date(Date.now() - 10 * 24 * 3600_000));
      const expired = await longAgo.createKeyAndCertificate({ commonName: 'alice', organizations: ['system:masters'] }, 24 * 3600);
      expect((await getWithCert('/api/v1/namespaces', expired.certPem, expired.keyPem)).status).toBe(401);

      const serving = await loadOrCreatePki(c.dir);
      expect((await getWithCert('/api/v1/namespaces', serving.serverCertPem, serving.serverKeyPem)).status).toBe(401);

      const good = await issuer.createKeyAndCertificate({ commonName: 'alice', organizations: ['dev'] }, 3600);
      const ok = await getWithCert('/api/v1/namespaces', good.certPem, good.keyPem);
      expect(ok.status).toBe(200);
      expect(ok.user?.name).toBe('alice');
      recordFigure('x509: bad certificates refused (other CA, expired, no clientAuth)', 3);
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('keeps bearer tokens working beside certificates', async () => {
    const r = await c.client.get('/api/v1/namespaces');
    expect(r.status).toBe(200);
    expect((await c.client.get('/api/v1/namespaces', { token: 'not-a-token' })).status).toBe(401);
  });

  it("signs a node's request for its own key with the name the master gives, whatever the request says", async () => {
    const { keyPem, csrPem } = await createKeyAndRequest('system:node:someone-else');
    const certPem = await issuer.signRequest(csrPem, nodeSubject('n1'), 3600);
    const r = await getWithCert('/api/v1/nodes', certPem, keyPem);
    expect(r.status).toBe(200);
    expect(r.user).toEqual({ name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] });

    // A request whose signature does not match its key (tampered) is refused.
    const other = await createKeyAndRequest('x');
    const tampered = csrPem.slice(0, 80) + (csrPem[80] === 'A' ? 'B' : 'A') + csrPem.slice(81);
    await expect(issuer.signRequest(tampered, nodeSubject('n1'), 3600)).rejects.toBeInstanceOf(CertificateRequestError);
    await expect(issuer.signRequest('not a csr', nodeSubject('n1'), 3600)).rejects.toBeInstanceOf(CertificateRequestError);
    expect(other.csrPem).toContain('BEGIN CERTIFICATE REQUEST');
  });
});
