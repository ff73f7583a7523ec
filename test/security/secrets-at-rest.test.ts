/**
 * Issue 15: "A search of the data dir and of etcd for a Secret's value finds nothing." A Secret
 * with a unique value is written through kubectl (`create secret` puts it in `data`; `apply`
 * with `stringData` also puts it in the last-applied-configuration annotation), read back, and
 * then every file under the data dirs (the embedded store's WAL and snapshots, etcd's member
 * dir), a raw dump of every etcd key and value (what `etcdctl get --prefix ""` prints), and the
 * server's own output (stdout and debug logs) and its audit log are searched for it — plain, base64, and base64 of
 * base64, at every alignment (value-search.ts). A control run without encryption finds it, so the
 * search is known to see what it looks for.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findResource } from '../../src/api/kinds.ts';
import type { AuditEvent } from '../../src/apiserver/audit/event.ts';
import { SYSTEM_NAMESPACES } from '../../src/api/namespaces.ts';
import type { ProviderConfig } from '../../src/registry/encryption/config.ts';
import { encryptedStore } from '../../src/registry/encryption/encrypted-store.ts';
import { EncryptionTransformers } from '../../src/registry/encryption/transformer.ts';
import { Registry } from '../../src/registry/registry.ts';
import { openEmbeddedStore } from '../../src/store/embedded/index.ts';
import { etcdTestsEnabled, startEtcdCluster, type EtcdCluster } from '../support/etcd.ts';
import { waitFor } from '../support/wait.ts';
import { eventually, kactusBin, kubectlFor, ok, run, startKactusServer, type KactusServer, type Kubectl } from '../e2e/harness.ts';
import { recordFigure } from '../support/figures.ts';
import { memoryMountsUnder, needlesFor, searchBuffer, searchDir, type Hit } from './value-search.ts';
import { unmountAll } from '../../node-daemon/volumes/tmpfs.ts';

const SECRETS = findResource('', 'v1', 'secrets')!;
const CONFIGMAPS = findResource('', 'v1', 'configmaps')!;

/** A value no other test or file on this machine holds. */
const uniqueValue = (): string => `kactus-at-rest-${randomBytes(16).toString('hex')}`;

let totalHits = 0;
let filesSearched = 0;
afterAll(() => {
  recordFigure('secret value found at rest (data dirs, WAL, snapshots, etcd, logs; plain/base64/base64²)', `${totalHits} hits in ${filesSearched} files`);
});

/** Searches, counts for the figure, and shows where on failure. */
async function expectNoHits(what: string, search: () => Promise<{ hits: Hit[]; files: number }>): Promise<void> {
  const { hits, files } = await search();
  totalHits += hits.length;
  filesSearched += files;
  expect(files, `${what}: nothing searched`).toBeGreaterThan(0);
  expect(hits, `${what}: the secret value is readable at rest`).toEqual([]);
}

async function embeddedRegistry(dir: string, providers: ProviderConfig[]): Promise<{ registry: Registry; close(): Promise<void> }> {
  // A snapshot every 20 records: the keyspace image is searched as well as the log.
  const inner = await openEmbeddedStore(dir, { snapshotEveryRecords: 20 });
  const registry = new Registry({ store: encryptedStore(inner, new EncryptionTransformers({ resources: [{ resources: ['secrets'], providers }] })), admission: {} });
  await registry.start(SYSTEM_NAMESPACES);
  return {
    registry,
    async close() {
      registry.close();
      await inner.close();
    },
  };
}

/** One Secret holding `value`, enough other writes that the store takes a snapshot, and the Secret again after it. */
async function writeSecretAndSnapshot(registry: Registry, dir: string, value: string): Promise<void> {
  const data = { password: Buffer.from(value).toString('base64') };
  await registry.create(SECRETS, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'at-rest' }, type: 'Opaque', data });
  for (let i = 0; i < 30; i++) await registry.create(CONFIGMAPS, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `filler-${i}` }, data: { i: String(i) } });
  await waitFor('a snapshot file', async () => (await readdir(dir)).some((f) => f.endsWith('.snap')) || undefined);
  // Written again after the snapshot: the live log segment holds it too.
  await registry.patch(SECRETS, 'default', 'at-rest', 'application/merge-patch+json', { metadata: { labels: { after: 'snapshot' } } });
}

describe('Secrets at rest in the embedded store', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-at-rest-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('control: without encryption the search finds the value in the WAL and the snapshot', async () => {
    const value = uniqueValue();
    const storeDir = join(dir, 'plain');
    const { registry, close } = await embeddedRegistry(storeDir, [{ type: 'identity' }]);
    try {
      await writeSecretAndSnapshot(registry, storeDir, value);
    } finally {
      await close();
    }
    const { hits } = await searchDir(storeDir, needlesFor(value));
    expect(hits.some((h) => h.where.endsWith('.snap'))).toBe(true);
    expect(hits.some((h) => h.where.endsWith('.log'))).toBe(true);
    expect(hits.map((h) => h.form)).toContain('base64@0');
  });

  it('with aesgcm neither the WAL nor the snapshot holds it, and the Secret still reads after a restart', async () => {
    const value = uniqueValue();
    const storeDir = join(dir, 'sealed');
    const providers: ProviderConfig[] = [{ type: 'aesgcm', keys: [{ name: 'k1', secret: randomBytes(32) }] }];
    const first = await embeddedRegistry(storeDir, providers);
    try {
      await writeSecretAndSnapshot(first.registry, storeDir, value);
    } finally {
      await first.close();
    }
    await expectNoHits('embedded store', () => searchDir(storeDir, needlesFor(value)));
    const again = await embeddedRegistry(storeDir, providers);
    try {
      const secret = await again.registry.get(SECRETS, 'default', 'at-rest');
      expect(Buffer.from((secret.data as { password: string }).password, 'base64').toString()).toBe(value);
    } finally {
      await again.close();
    }
  });
});

/** The Secret written as a user would: `create secret generic` (data) and `apply` with stringData (also in the annotation). */
async function writeThroughKubectl(kubectl: Kubectl, value: string): Promise<void> {
  ok(await kubectl(['create', 'secret', 'generic', 'created', `--from-literal=password=${value}`]));
  const manifest = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: applied\ntype: Opaque\nstringData:\n  token: ${value}\n`;
  ok(await kubectl(['apply', '-f', '-'], manifest));
  // The value did go through: the annotation holds it, and the data reads back.
  const applied = JSON.parse(ok(await kubectl(['get', 'secret', 'applied', '-o', 'json']))) as { data: { token: string }; metadata: { annotations: Record<string, string> } };
  expect(applied.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain(value);
  expect(Buffer.from(applied.data.token, 'base64').toString()).toBe(value);
  expect(Buffer.from(ok(await kubectl(['get', 'secret', 'created', '-o', 'jsonpath={.data.password}'])), 'base64').toString()).toBe(value);
  // A rewrite (kactus secrets reencrypt's path) and a label change write it again.
  ok(await kubectl(['label', 'secret', 'created', 'rotated=yes']));
}

const isRoot = process.getuid?.() === 0;

/** A pod (process runtime) with the Secret `created` as a volume. */
const MOUNTING_POD = `apiVersion: v1
kind: Pod
metadata:
  name: reader
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "sleep 3600"]
    volumeMounts:
    - name: creds
      mountPath: /creds
  volumes:
  - name: creds
    secret:
      secretName: created
`;

/** Debug logs too: a log line carrying an object would carry the value. */
const previousLogLevel = process.env.KACTUS_LOG_LEVEL;

describe('kactus up: the data dir', () => {
  let dir: string;
  let up: KactusServer | undefined;
  const value = uniqueValue();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-at-rest-up-'));
    process.env.KACTUS_LOG_LEVEL = 'debug';
    try {
      up = await startKactusServer(['up', '--data-dir', dir, '--port', '0', '--runtime', 'process', '--pod-network', 'none', '--node-name', `at-rest-${process.pid}`, '--audit-log-path', join(dir, 'audit.log')], 60_000);
    } finally {
      if (previousLogLevel === undefined) delete process.env.KACTUS_LOG_LEVEL;
      else process.env.KACTUS_LOG_LEVEL = previousLogLevel;
    }
  }, 90_000);

  afterAll(async () => {
    // After a failure midway: the pod's host process outlives a stopped `kactus up` (it keeps containers), so delete it first.
    if (up && up.proc.child.exitCode === null) await kubectlFor(up.kubeconfig, join(dir, 'kubectl'))(['delete', 'pod', 'reader', '--ignore-not-found', '--grace-period=1', '--wait=true']);
    await up?.proc.kill('SIGKILL');
    if (dir) {
      for (const m of await memoryMountsUnder(dir)) await unmountAll(m);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('by default seals Secrets with a key made in the data dir; no file there and no log line holds the value', async () => {
    expect(up!.proc.text).toMatch(/kactus: encryption at rest: secrets: aesgcm key key1 \(new config .*encryption-config\.yaml\)/);
    const kubectl = kubectlFor(up!.kubeconfig, join(dir, 'kubectl'));
    await writeThroughKubectl(kubectl, value);
    // `kactus secrets reencrypt` leaves current Secrets alone.
    const r = await run(process.execPath, [kactusBin, '--kubeconfig', up!.kubeconfig, 'secrets', 'reencrypt']);
    expect(ok(r)).toMatch(/^0 secret\(s\) rewritten, \d+ already current/);
    const needles = needlesFor(value);
    if (isRoot) {
      // A pod mounting the Secret: the node keeps the volume on a tmpfs, as the kubelet does, never on disk.
      ok(await kubectl(['apply', '-f', '-'], MOUNTING_POD));
      await eventually('the pod running', () => kubectl(['get', 'pod', 'reader', '-o', 'jsonpath={.status.phase} {.metadata.uid}']), (x) => x.stdout.startsWith('Running '), 30_000);
      const uid = ok(await kubectl(['get', 'pod', 'reader', '-o', 'jsonpath={.metadata.uid}'])).trim();
      const volume = join(dir, 'node', 'pods', uid, 'volumes', 'creds');
      expect(await readFile(join(volume, 'password'), 'utf8')).toBe(value);
      const whileRunning = await searchDir(dir, needles);
      expect(whileRunning.memoryMounts).toContain(volume);
      await expectNoHits('kactus up data dir, the pod running', async () => whileRunning);
      ok(await kubectl(['delete', 'pod', 'reader', '--wait=true']));
    }
    // A clean stop flushes everything the process holds.
    expect(await up!.proc.kill('SIGTERM')).toBe(0);
    // The audit log (in the data dir, so searched too) has who created the Secret.
    const audit = (await readFile(join(dir, 'audit.log'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEvent);
    expect(audit.find((e) => e.verb === 'create' && e.objectRef?.resource === 'secrets' && e.responseStatus.code === 201)?.user.username).toBe('admin');
    await expectNoHits('kactus up data dir', () => searchDir(dir, needles));
    await expectNoHits('kactus up output and logs', async () => ({ hits: searchBuffer('stdout+stderr', Buffer.from(up!.proc.text), needles), files: 1 }));
  });
});

const etcdEnabled = etcdTestsEnabled();

describe.skipIf(!etcdEnabled)('kactus master over etcd: etcd\'s data and every key', () => {
  let dir: string;
  let etcd: EtcdCluster | undefined;
  let master: KactusServer | undefined;
  const value = uniqueValue();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-at-rest-etcd-'));
    etcd = await startEtcdCluster({ members: 1, dataDir: join(dir, 'etcd') });
  }, 60_000);

  afterAll(async () => {
    await master?.proc.kill('SIGKILL');
    await etcd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses to start without --encryption-provider-config', async () => {
    const r = await run(process.execPath, [kactusBin, 'master', '--data-dir', join(dir, 'refused'), '--store', etcd!.uri, '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/needs --encryption-provider-config FILE, the same file on every master/);
  });

  it('with a secretbox configuration, neither etcd\'s files nor any key\'s value holds the value', async () => {
    const config = join(dir, 'encryption.yaml');
    const key = randomBytes(32).toString('base64');
    await writeFile(config, `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - secretbox:\n          keys:\n            - name: box1\n              secret: ${key}\n      - identity: {}\n`, { mode: 0o600 });
    process.env.KACTUS_LOG_LEVEL = 'debug';
    try {
      master = await startKactusServer(['master', '--data-dir', join(dir, 'master'), '--store', etcd!.uri, '--port', '0', '--name', 'at-rest', '--encryption-provider-config', config], 60_000);
    } finally {
      if (previousLogLevel === undefined) delete process.env.KACTUS_LOG_LEVEL;
      else process.env.KACTUS_LOG_LEVEL = previousLogLevel;
    }
    expect(master.proc.text).toContain('kactus: encryption at rest: secrets: secretbox key box1');
    const kubectl = kubectlFor(master.kubeconfig, join(dir, 'kubectl'));
    await writeThroughKubectl(kubectl, value);
    const needles = needlesFor(value);
    // What `etcdctl get --prefix ""` prints: every key and value, raw.
    const raw = new Etcd3({ hosts: etcd!.endpoints });
    try {
      const all = await raw.getAll().prefix('').exec();
      const stored = all.kvs.find((kv) => kv.key.toString() === '/registry/core/secrets/default/applied');
      expect(stored?.value.toString()).toMatch(/^k8s:enc:secretbox:v1:box1:/);
      await expectNoHits('etcd keys and values', async () => ({
        hits: all.kvs.flatMap((kv) => searchBuffer(kv.key.toString(), Buffer.concat([kv.key, Buffer.from('\n'), kv.value]), needles)),
        files: all.kvs.length,
      }));
    } finally {
      raw.close();
    }
    expect(await master.proc.kill('SIGTERM')).toBe(0);
    await expectNoHits('etcd data dir', () => searchDir(join(dir, 'etcd'), needles));
    await expectNoHits('master data dir', () => searchDir(join(dir, 'master'), needles));
    await expectNoHits('master output and logs', async () => ({ hits: searchBuffer('stdout+stderr', Buffer.from(master!.proc.text), needles), files: 1 }));
  });

  it('a master given another key refuses to start, naming the key the cluster\'s Secrets are sealed with', async () => {
    const other = join(dir, 'other.yaml');
    await writeFile(other, `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - aesgcm:\n          keys:\n            - name: stranger\n              secret: ${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    const r = await run(process.execPath, [kactusBin, 'master', '--data-dir', join(dir, 'stranger'), '--store', etcd!.uri, '--port', '0', '--encryption-provider-config', other], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/sealed by secretbox key "box1", which the encryption configuration does not list/);
  });
});
