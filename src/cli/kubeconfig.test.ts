import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from './errors.ts';
import { adminKubeconfig, kubeconfigPath, readKubeconfig, resolveConnection, writeKubeconfig } from './kubeconfig.ts';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kactus-kubeconfig-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('kubeconfigPath', () => {
  it('prefers the flag, then the first KUBECONFIG entry, then ~/.kube/config', () => {
    expect(kubeconfigPath('/flag', { KUBECONFIG: '/env' })).toBe('/flag');
    expect(kubeconfigPath(undefined, { KUBECONFIG: ':/a:/b' })).toBe('/a');
    expect(kubeconfigPath(undefined, {})).toMatch(/\.kube\/config$/);
  });
});

describe('write then read', () => {
  it('round-trips the admin kubeconfig to a connection with CA, token and namespace', async () => {
    const path = join(dir, 'sub', 'kubeconfig');
    await writeKubeconfig(path, adminKubeconfig('https://127.0.0.1:6443/', CA, 'tok'));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const conn = await resolveConnection(await readKubeconfig(path));
    expect(conn).toEqual({
      server: 'https://127.0.0.1:6443',
      caPem: CA,
      insecureSkipTlsVerify: false,
      token: 'tok',
      clientCertPem: undefined,
      clientKeyPem: undefined,
      namespace: 'default',
    });
  });

  it('reads a kubectl-written file: named context, CA file, insecure flag, context namespace', async () => {
    await writeFile(join(dir, 'ca.pem'), CA);
    await writeFile(
      join(dir, 'config'),
      `apiVersion: v1
kind: Config
current-context: a
clusters:
- name: c1
  cluster: {server: "https://h:1", certificate-authority: ${join(dir, 'ca.pem')}}
- name: c2
  cluster: {server: "https://h:2", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: t}
contexts:
- name: a
  context: {cluster: c1, user: u}
- name: b
  context: {cluster: c2, user: u, namespace: team}
`,
    );
    const cfg = await readKubeconfig(join(dir, 'config'));
    expect(await resolveConnection(cfg)).toMatchObject({ server: 'https://h:1', caPem: CA, namespace: 'default', token: 't' });
    expect(await resolveConnection(cfg, 'b')).toMatchObject({ server: 'https://h:2', insecureSkipTlsVerify: true, namespace: 'team' });
    await expect(resolveConnection(cfg, 'zzz')).rejects.toBeInstanceOf(CliError);
  });

  it('a missing file is a CliError naming the path', async () => {
    await expect(readKubeconfig(join(dir, 'nope'))).rejects.toThrow(/cannot read kubeconfig .*nope/);
  });

  it('an atomic write leaves no temp file behind', async () => {
    const path = join(dir, 'kubeconfig');
    await writeKubeconfig(path, adminKubeconfig('https://x', CA, 'a'));
    await writeKubeconfig(path, adminKubeconfig('https://y', CA, 'b'));
    expect(await readFile(path, 'utf8')).toContain('https://y');
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(dir)).toEqual(['kubeconfig']);
  });
});
