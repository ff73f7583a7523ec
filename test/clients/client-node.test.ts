/**
 * `@kubernetes/client-node` 2.x (the official JavaScript client, unmodified) against a real kactus
 * master over etcd with a Docker node: typed list with a label selector, a raw watch in order, an
 * informer that relists when its resourceVersion was compacted away (410 Expired), exec over the
 * WebSocket channel protocol (stdin, stdout, stderr, exit code), logs (whole and followed), and
 * a view-only ServiceAccount's token (list allowed, create 403), which skips, saying so, while the
 * server does not serve rbac.authorization.k8s.io.
 */
import { PassThrough, Readable, Writable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException, ApisApi, CoreV1Api, Exec, KubeConfig, ListWatch, Log, RbacAuthorizationV1Api, Watch,
  type KubernetesObject, type V1ConfigMap, type V1ConfigMapList, type V1Status,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.ts';
import { dockerClient, dockerRequired, isDockerUp } from '../support/docker.ts';
import { etcdTestsEnabled } from '../support/etcd.ts';
import { waitFor } from '../support/wait.ts';
import { uniqueName } from '../e2e/harness.ts';
import { startMasterOverEtcd, type ClientCluster } from './cluster.ts';

const enabled = (dockerRequired() || (await isDockerUp(dockerClient()))) && etcdTestsEnabled();
const POD_DEADLINE_MS = 30_000;

let dir: string;
let cluster: ClientCluster | undefined;
let kc: KubeConfig;
let core: CoreV1Api;
const ns = uniqueName('cn-');

function configMap(name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}

/** A busybox pod on the test's node running `script`. */
async function createPod(name: string, script: string, restartPolicy: 'Always' | 'Never' = 'Always'): Promise<void> {
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        nodeName: cluster!.nodeName,
        terminationGracePeriodSeconds: 1,
        restartPolicy,
        containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script] }],
      },
    },
  });
  await waitFor(`pod ${name} Running`, async () => (await core.readNamespacedPod({ name, namespace: ns })).status?.phase === 'Running', POD_DEADLINE_MS, 200);
}

/** A Writable that keeps what it is given as text. */
function collector(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { stream, text: () => text };
}

describe.skipIf(!enabled)('@kubernetes/client-node 2.x against kactus', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-client-node-'));
    cluster = await startMasterOverEtcd(dir, uniqueName('cn-node-'));
    kc = new KubeConfig();
    kc.loadFromFile(cluster.server.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    await waitFor(
      'the node Ready',
      async () => (await core.readNode({ name: cluster!.nodeName }).catch(() => undefined))?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      POD_DEADLINE_MS,
      200,
    );
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('lists typed objects with a label selector, and a missing one is an ApiException 404 with the Status', async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('list-a', { tier: 'web' }, { k: 'a' }) });
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('list-b', { tier: 'db' }) });
    const all = await core.listNamespacedConfigMap({ namespace: ns });
    expect(all.items.map((c) => c.metadata?.name).sort()).toEqual(expect.arrayContaining(['list-a', 'list-b']));
    expect(Number(all.metadata?.resourceVersion)).toBeGreaterThan(0);
    const web = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'tier=web' });
    expect(web.items.map((c) => c.metadata?.name)).toEqual(['list-a']);
    expect(web.items[0]!.data).toEqual({ k: 'a' });
    // Typed deserialization: dates become Date objects.
    expect(web.items[0]!.metadata?.creationTimestamp).toBeInstanceOf(Date);

    const missing = await core.readNamespacedConfigMap({ name: 'nope', namespace: ns }).catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(ApiException);
    const ex = missing as ApiException<string>;
    expect(ex.code).toBe(404);
    expect(JSON.parse(ex.body)).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'configmaps "nope" not found' });
  });

  it('watches a namespace: ADDED, MODIFIED, DELETED in order, from the list\'s resourceVersion', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'watched=yes' });
    const events: Array<{ type: string; name?: string; data?: Record<string, string> }> = [];
    const done: { err?: unknown; ended: boolean } = { ended: false };
    const req = await new Watch(kc).watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { resourceVersion: list.metadata!.resourceVersion, labelSelector: 'watched=yes' },
      (type: string, obj: V1ConfigMap) => events.push({ type, name: obj.metadata?.name, data: obj.data }),
      (err: unknown) => Object.assign(done, { err, ended: true }),
    );
    try {
      await core.createNamespacedConfigMap({ namespace: ns, body: configMap('w', { watched: 'yes' }, { n: '1' }) });
      await core.patchNamespacedConfigMap({ name: 'w', namespace: ns, body: [{ op: 'replace', path: '/data/n', value: '2' }] });
      await core.deleteNamespacedConfigMap({ name: 'w', namespace: ns });
      await waitFor('three watch events', () => events.length >= 3, 10_000);
      expect(events).toEqual([
        { type: 'ADDED', name: 'w', data: { n: '1' } },
        { type: 'MODIFIED', name: 'w', data: { n: '2' } },
        { type: 'DELETED', name: 'w', data: { n: '2' } },
      ]);
      expect(done.ended).toBe(false);
    } finally {
      req.abort();
    }
  });

  it('an informer whose resourceVersion was compacted away gets 410 Expired and relists: its cache is right again', async () => {
    const informerNs = uniqueName('cn-inf-');
    await core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: informerNs } } });
    await core.createNamespacedConfigMap({ namespace: informerNs, body: configMap('kept') });
    await core.createNamespacedConfigMap({ namespace: informerNs, body: configMap('gone') });
    const path = `/api/v1/namespaces/${informerNs}/configmaps`;
    let lists = 0;
    const errors: unknown[] = [];
    const added: string[] = [];
    const deleted: string[] = [];
    const informer = new ListWatch<V1ConfigMap>(path, new Watch(kc), async () => {
      lists++;
      return (await core.listNamespacedConfigMap({ namespace: informerNs })) as V1ConfigMapList & { items: V1ConfigMap[] };
    }, false);
    informer.on('add', (o: KubernetesObject) => added.push(o.metadata!.name!));
    informer.on('delete', (o: KubernetesObject) => deleted.push(o.metadata!.name!));
    informer.on('error', (err: unknown) => errors.push(err));
    await informer.start();
    try {
      // Every namespace also holds kube-root-ca.crt (the root CA publisher's).
      const names = (): string => informer.list(informerNs).map((o) => o.metadata!.name).filter((n) => n !== 'kube-root-ca.crt').sort().join();
      await waitFor('the informer\'s first list', () => names() === 'gone,kept', 10_000);
      expect(lists).toBe(1);
      const seenVersion = informer.latestResourceVersion();

      // While the informer is stopped, change its namespace and compact the store past what it saw.
      await informer.stop();
      await core.deleteNamespacedConfigMap({ name: 'gone', namespace: informerNs });
      await core.createNamespacedConfigMap({ namespace: informerNs, body: configMap('new') });
      const store = await openStore(cluster!.etcd!.uri);
      try {
        await store.compact(await store.currentRevision());
      } finally {
        await store.close();
      }
      // A watch from the old version is what the informer is about to send: the server expires it.
      const expired = await new Promise<{ type: string; obj: V1Status }>((resolve, reject) => {
        void new Watch(kc).watch(path, { resourceVersion: seenVersion }, (type: string, obj: V1Status) => resolve({ type, obj }), (err: unknown) => err && reject(err));
      });
      expect(expired.type).toBe('ERROR');
      expect(expired.obj).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
      expect(expired.obj.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);

      // start() watches from the version it had; the 410 makes it list again.
      await informer.start();
      await waitFor('the informer relisted', () => lists === 2 && names() === 'kept,new', 15_000);
      expect(deleted).toEqual(['gone']);
      expect(added.filter((n) => n !== 'kube-root-ca.crt').sort()).toEqual(['gone', 'kept', 'new']);
      expect(Number(informer.latestResourceVersion())).toBeGreaterThan(Number(seenVersion));
      // And it watches again from the new list: a change now arrives without another list.
      await core.createNamespacedConfigMap({ namespace: informerNs, body: configMap('after') });
      await waitFor('the informer saw a change after relisting', () => informer.get('after', informerNs), 10_000);
      expect(lists).toBe(2);
      // stop() aborts the open watch, which the informer reports as an AbortError; nothing else went wrong.
      expect(errors.filter((e) => !(e instanceof Error && e.name === 'AbortError'))).toEqual([]);
    } finally {
      await informer.stop();
    }
  }, 60_000);

  it('exec runs a command in a Docker pod: stdin in, stdout and stderr apart, the exit code in the final Status', async () => {
    await createPod('shell', "trap 'exit 0' TERM; sleep 3600 & wait");
    const out = collector();
    const err = collector();
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(kc)
        .exec(ns, 'shell', 'main', ['sh', '-c', 'read line; echo "got $line"; echo oops >&2; exit 3'], out.stream, err.stream, Readable.from(['hello\n']), false, resolve)
        .catch(reject);
    });
    expect(out.text()).toBe('got hello\n');
    expect(err.text()).toBe('oops\n');
    expect(status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });

    const ok = collector();
    const success = await new Promise<V1Status>((resolve, reject) => {
      new Exec(kc).exec(ns, 'shell', 'main', ['cat', '/etc/passwd'], ok.stream, null, null, false, resolve).catch(reject);
    });
    expect(success.status).toBe('Success');
    expect(ok.text()).toContain('root:x:0:0:root:/root:/bin/sh');
  }, 60_000);

  it('logs: the whole log through the typed API, then followed as lines arrive until the container exits', async () => {
    // Ticks until told to stop (a file exec creates), then says bye and exits: the followed stream ends.
    await createPod('ticker', 'i=0; while [ ! -e /tmp/stop ]; do echo tick $i; i=$((i+1)); sleep 0.2; done; echo bye', 'Never');
    const whole = await waitFor('two lines logged', async () => {
      const text = await core.readNamespacedPodLog({ name: 'ticker', namespace: ns, container: 'main' });
      return text.split('\n').length > 2 ? text : undefined;
    }, POD_DEADLINE_MS, 200);
    expect(whole.startsWith('tick 0\ntick 1\n')).toBe(true);
    const last = Number(/tick (\d+)\n$/.exec(whole)![1]);

    const followed = new PassThrough();
    let text = '';
    followed.on('data', (c: Buffer) => (text += c.toString('utf8')));
    const ended = new Promise<void>((resolve) => followed.on('end', resolve));
    await new Log(kc).log(ns, 'ticker', 'main', followed, { follow: true, tailLines: 1 });
    // Lines the container prints after the request arrive on the open stream.
    await waitFor('followed lines', () => text.includes(`tick ${last + 5}\n`), 15_000);
    await new Promise<V1Status>((resolve, reject) => {
      new Exec(kc).exec(ns, 'ticker', 'main', ['touch', '/tmp/stop'], collector().stream, null, null, false, resolve).catch(reject);
    });
    await ended;
    const lines = text.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('bye');
    // tailLines 1: the followed stream starts at the line last printed when it was asked, then every line in order.
    const first = Number(/^tick (\d+)$/.exec(lines[0]!)![1]);
    expect(first).toBeGreaterThanOrEqual(last);
    expect(lines.slice(0, -1)).toEqual(Array.from({ length: lines.length - 1 }, (_, i) => `tick ${first + i}`));
  }, 60_000);

  it('a ServiceAccount bound to the view ClusterRole lists pods with its token, and creating one is 403 Forbidden with Kubernetes\' message', async ({ skip }) => {
    // Needs the RBAC kinds (and the API server's RBAC authorizer): asked of the server's discovery.
    const groups = (await kc.makeApiClient(ApisApi).getAPIVersions()).groups.map((g) => g.name);
    skip(!groups.includes('rbac.authorization.k8s.io'), 'the server does not serve rbac.authorization.k8s.io yet (RBAC not merged)');
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'viewer' } } });
    await kc.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'viewer-view' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: ns }],
      },
    });
    const token = (await core.createNamespacedServiceAccountToken({ name: 'viewer', namespace: ns, body: { spec: { audiences: [] } } })).status!.token;
    const asViewer = new KubeConfig();
    asViewer.loadFromOptions({
      clusters: [kc.getCurrentCluster()!],
      users: [{ name: 'viewer', token }],
      contexts: [{ name: 'viewer', cluster: kc.getCurrentCluster()!.name, user: 'viewer' }],
      currentContext: 'viewer',
    });
    const viewerCore = asViewer.makeApiClient(CoreV1Api);
    const pods = await viewerCore.listNamespacedPod({ namespace: ns });
    expect(pods.items.map((p) => p.metadata?.name).sort()).toEqual(['shell', 'ticker']);
    const refused = await viewerCore
      .createNamespacedPod({ namespace: ns, body: { metadata: { name: 'not-allowed' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } })
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ApiException);
    expect((refused as ApiException<string>).code).toBe(403);
    expect(JSON.parse((refused as ApiException<string>).body)).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      message: `pods is forbidden: User "system:serviceaccount:${ns}:viewer" cannot create resource "pods" in API group "" in the namespace "${ns}"`,
    });
  });
});
