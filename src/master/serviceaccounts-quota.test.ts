/**
 * The master as `kactus master` runs it (no node daemon needed): its leader makes `default`
 * ServiceAccounts and `kube-root-ca.crt`, its API server admits pods through ServiceAccount,
 * LimitRanger and ResourceQuota, counts quotas, mints tokens that kubectl then uses (once RBAC
 * lets the account read). Real kubectl.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKubeconfig } from '../apiserver/kubeconfig.ts';
import { openEmbeddedStore } from '../store/embedded/index.ts';
import type { Store } from '../store/types.ts';
import { waitFor } from '../registry/test-support.ts';
import { startMaster, type Master } from './master.ts';

let dir: string;
let store: Store;
let master: Master;
let kubeconfig: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kactus-master-sa-'));
  store = await openEmbeddedStore(join(dir, 'store'), { fsync: false });
  master = await startMaster({ store, dataDir: dir, port: 0, name: 'm1', leaseRetryPeriodMs: 100, logger: pino({ level: 'silent' }) });
  kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, buildKubeconfig({ url: master.api.url, caCertPem: master.api.caCertPem, token: master.api.adminToken }), { mode: 0o600 });
});
afterAll(async () => {
  await master?.close();
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'kube-cache'), ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

describe('a master: ServiceAccounts, tokens and quota', () => {
  it('its leader gives a new namespace its default account and CA bundle; pods there run as that account', async () => {
    expect((await kubectl(['create', 'namespace', 'shop'])).code).toBe(0);
    await waitFor('default account', async () => (await kubectl(['get', 'sa', 'default', '-n', 'shop'])).code === 0);
    await waitFor('kube-root-ca.crt', async () => (await kubectl(['get', 'cm', 'kube-root-ca.crt', '-n', 'shop'])).code === 0);
    const run = await kubectl(['run', 'web', '-n', 'shop', '--image', 'busybox']);
    expect(run.stderr).toBe('');
    const volume = (await kubectl(['get', 'pod', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.serviceAccountName} {.spec.volumes[0].name}'])).stdout;
    expect(volume).toMatch(/^default kube-api-access-\w{5}$/);
  });

  it('mints tokens kubectl can use, and its quota controller and admission hold pods to a ResourceQuota', async () => {
    const token = (await kubectl(['create', 'token', 'default', '-n', 'shop'])).stdout.trim();
    // The master authorizes with RBAC: the account may read pods once it is bound to `view` there.
    const refused403 = await kubectl(['--token', token, 'get', 'pods', '-n', 'shop', '-o', 'name']);
    expect(refused403.stderr.trim()).toBe('Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:shop:default" cannot list resource "pods" in API group "" in the namespace "shop"');
    expect((await kubectl(['create', 'rolebinding', 'default-view', '--clusterrole=view', '--serviceaccount=shop:default', '-n', 'shop'])).code).toBe(0);
    await waitFor('view in force', async () => (await kubectl(['--token', token, 'get', 'pods', '-n', 'shop', '-o', 'name'])).stdout === 'pod/web\n');
    expect((await kubectl(['create', 'quota', 'two', '-n', 'shop', '--hard=pods=2'])).code).toBe(0);
    await waitFor('the quota counted', async () => (await kubectl(['get', 'quota', 'two', '-n', 'shop', '-o', 'jsonpath={.status.used.pods}'])).stdout === '1');
    expect((await kubectl(['run', 'api', '-n', 'shop', '--image', 'busybox'])).code).toBe(0);
    const refused = await kubectl(['run', 'db', '-n', 'shop', '--image', 'busybox']);
    expect(refused.stderr.trim()).toBe('Error from server (Forbidden): pods "db" is forbidden: exceeded quota: two, requested: pods=1, used: pods=2, limited: pods=2');
    expect((await kubectl(['delete', 'pod', 'api', '-n', 'shop'])).code).toBe(0);
    await waitFor('usage given back', async () => (await kubectl(['get', 'quota', 'two', '-n', 'shop', '-o', 'jsonpath={.status.used.pods}'])).stdout === '1');
    expect((await kubectl(['run', 'db', '-n', 'shop', '--image', 'busybox'])).code).toBe(0);
  });
});
