/**
 * A node's reach, end to end: a real master (API server with the Node authorizer and
 * NodeRestriction, the gateway, the watch channel) and two real node daemons (hollow runtime).
 *
 * - The mesh: node A's watch channel (opened with node A's own peer key) is sent the Secrets and
 *   ConfigMaps A's pods use, never one only node B's pods use — also as pods come and go; node A's
 *   actor channel is assigned only its pods, and the status it reports for B's pod, or B's pod's
 *   termination, is not written.
 * - The API: node A's client certificate (issued at join, kept in its data dir) reads its own pod
 *   and the Secret it mounts, and is refused B's pod, B's pod's status, B's Secret, any other
 *   Secret, creating pods and touching B's Node — with the real kubectl too.
 * - Identity: a peer cannot join as another peer's Ready Node, nor under a second name; a revoked
 *   token (`kactus token delete`) joins nothing; a deleted Node's peer is cut off.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeDaemon, type NodeDaemon } from '../../node-daemon/daemon.ts';
import { findKind, type ResourceInfo } from '../../src/api/kinds.ts';
import { isRecord, type KubeObject } from '../../src/api/object.ts';
import { buildKubeconfig } from '../../src/apiserver/kubeconfig.ts';
import { startMaster, type Master } from '../../src/master/master.ts';
import { openChannel, type Channel } from '../../src/net/channel.ts';
import type { Envelope } from '../../src/net/codec.ts';
import { JoinRefusedError } from '../../src/net/errors.ts';
import { createMeshHost, type MeshHost } from '../../src/net/host.ts';
import { requestJoin } from '../../src/net/join.ts';
import type { WatchEvent } from '../../src/net/messages.ts';
import { PROTOCOL_ACTOR, PROTOCOL_WATCH } from '../../src/net/protocols.ts';
import { openEmbeddedStore } from '../../src/store/embedded/index.ts';
import type { Store } from '../../src/store/types.ts';
import { waitFor } from '../support/wait.ts';
import { runKactus } from '../support/kactus-cli.ts';
import { recordFigure } from '../support/figures.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;
const NODES = findKind('v1', 'Node') as ResourceInfo;
const SECRETS = findKind('v1', 'Secret') as ResourceInfo;
const CONFIGMAPS = findKind('v1', 'ConfigMap') as ResourceInfo;
const CAPACITY = { cpu: '2', memory: '4Gi', pods: '110' };

let dir: string;
let store: Store;
let master: Master;
let nodeA: NodeDaemon;
let nodeB: NodeDaemon;
let token: string;
const hosts: MeshHost[] = [];

const secret = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, data: { value: Buffer.from(`${name}-value`).toString('base64') } });
const configMap = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: name } });
const pod = (name: string, nodeName: string, secretName: string, configMapName?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: {
    nodeName,
    containers: [{ name: 'c', image: 'busybox', ...(configMapName ? { envFrom: [{ configMapRef: { name: configMapName } }] } : {}) }],
    volumes: [{ name: 's', secret: { secretName } }],
  },
});
const phaseOf = (p: KubeObject): unknown => (isRecord(p.status) ? p.status.phase : undefined);
const registry = () => master.api.registry;
const nameOf = (e: WatchEvent): string => ((e.object as KubeObject).metadata?.name ?? '');

async function running(name: string): Promise<void> {
  await waitFor(`pod ${name} Running`, async () => phaseOf(await registry().get(PODS, 'default', name)) === 'Running', 20_000);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kactus-node-authz-'));
  store = await openEmbeddedStore(join(dir, 'store'), { fsync: false });
  master = await startMaster({ store, dataDir: join(dir, 'master'), port: 0, name: 'm1', serviceAccountAdmission: false, leaseRetryPeriodMs: 100 });
  token = (await master.createJoinToken(600)).token;
  const start = (name: string) =>
    startNodeDaemon({ dataDir: join(dir, name), join: master.meshAddrs, token, runtime: 'hollow', name, listen: [], heartbeatIntervalMs: 500 });
  [nodeA, nodeB] = await Promise.all([start('node-a'), start('node-b')]);
  for (const s of ['secret-a', 'secret-b', 'secret-b2', 'secret-other']) await registry().create(SECRETS, 'default', secret(s));
  await registry().create(CONFIGMAPS, 'default', configMap('config-b'));
  await registry().create(PODS, 'default', pod('pod-a', 'node-a', 'secret-a'));
  await registry().create(PODS, 'default', pod('pod-b', 'node-b', 'secret-b', 'config-b'));
  await Promise.all([running('pod-a'), running('pod-b')]);
}, 60_000);

afterAll(async () => {
  for (const h of hosts) await Promise.resolve(h.stop()).catch(() => undefined);
  await nodeA?.close();
  await nodeB?.close();
  await master?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

const asNodeHosts = new Map<string, MeshHost>();
/** A mesh host with node `name`'s own peer key (its data dir): what the master sees as that node. One per name: two hosts with one key would confuse each other's connections. */
async function asNode(name: string): Promise<MeshHost> {
  let host = asNodeHosts.get(name);
  if (!host) {
    host = await createMeshHost({ dataDir: join(dir, name), listen: [] });
    hosts.push(host);
    asNodeHosts.set(name, host);
  }
  return host;
}

/** HTTPS to the API with node A's certificate and key (from its data dir); no token. */
async function asNodeA(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> {
  const paths = nodeA.credentials.paths;
  const [cert, key] = await Promise.all([readFile(paths.cert, 'utf8'), readFile(paths.key, 'utf8')]);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, master.api.url),
      { method, ca: master.api.caCertPem, cert, key, headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) } : {}) } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe("a node's credentials and channels reach only what its pods use", () => {
  it('each node got a client certificate for its own name at join, kept in its data dir', () => {
    for (const [node, name] of [[nodeA, 'node-a'], [nodeB, 'node-b']] as const) {
      const cert = new X509Certificate(node.credentials.certificate ?? '');
      expect(cert.subject).toBe(`CN=system:node:${name}\nO=system:nodes`);
      expect(cert.checkIssued(new X509Certificate(master.api.caCertPem))).toBe(true);
    }
  });

  it("node A's watch channel carries the Secrets and ConfigMaps of A's pods only, as pods come and go", async () => {
    const host = await asNode('node-a');
    const events: WatchEvent[] = [];
    const synced = new Set<string>();
    const ch: Channel = await openChannel(host, master.meshAddrs[0]!, PROTOCOL_WATCH, (env: Envelope) => {
      if (env.type === 'watch.event') events.push(env.body as WatchEvent);
      if (env.type === 'watch.synced') synced.add((env.body as { resource: string }).resource);
    });
    try {
      await ch.send('watch.start', { resources: ['secrets', 'configmaps'] });
      await waitFor('the list synced', () => synced.size === 2);
      const names = (resource: string) => events.filter((e) => e.resource === resource).map((e) => `${e.type} ${nameOf(e)}`);
      expect(names('secrets')).toEqual(['ADDED secret-a']);
      expect(names('configmaps')).toEqual([]);

      // B gets another pod with another Secret: A hears nothing. A gets a pod using B's Secret: A is sent it, and loses it with the pod.
      await registry().create(PODS, 'default', pod('pod-b2', 'node-b', 'secret-b2'));
      await running('pod-b2');
      await registry().create(PODS, 'default', pod('pod-a2', 'node-a', 'secret-b', 'config-b'));
      await waitFor('secret-b sent to A for pod-a2', () => names('secrets').includes('ADDED secret-b'));
      await running('pod-a2');
      expect(names('configmaps')).toEqual(['ADDED config-b']);
      // A change of a Secret A uses reaches A; of one it does not use, never.
      await registry().patch(SECRETS, 'default', 'secret-b', 'application/merge-patch+json', { data: { value: Buffer.from('rotated').toString('base64') } });
      await registry().patch(SECRETS, 'default', 'secret-other', 'application/merge-patch+json', { data: { value: Buffer.from('x').toString('base64') } });
      await waitFor('the rotated secret-b sent to A', () => names('secrets').includes('MODIFIED secret-b'));
      await registry().delete(PODS, 'default', 'pod-a2', { gracePeriodSeconds: 0 });
      await waitFor('secret-b withdrawn from A', () => names('secrets').includes('DELETED secret-b'));
      expect(names('configmaps')).toEqual(['ADDED config-b', 'DELETED config-b']);

      const leaked = events.filter((e) => ['secret-b2', 'secret-other'].includes(nameOf(e)));
      expect(leaked).toEqual([]);
      expect(names('secrets')).toEqual(['ADDED secret-a', 'ADDED secret-b', 'MODIFIED secret-b', 'DELETED secret-b']);
      recordFigure("node authz: Secrets sent on node A's channel that only node B's pods use", leaked.length);
    } finally {
      await ch.close().catch(() => undefined);
    }
  });

  it("node A's certificate reads its own pod and Secret, and is refused B's pod, its status, other Secrets, pod creation and B's Node", async () => {
    const cases: [string, string, number, unknown?, string?][] = [
      ['GET', '/api/v1/namespaces/default/pods/pod-a', 200],
      ['GET', '/api/v1/namespaces/default/secrets/secret-a', 200],
      ['GET', '/api/v1/nodes/node-b', 200],
      ['GET', '/api/v1/namespaces/default/pods', 200],
      ['GET', '/api/v1/namespaces/default/pods/pod-b', 403],
      ['GET', '/api/v1/namespaces/default/pods/pod-b/status', 403],
      ['PATCH', '/api/v1/namespaces/default/pods/pod-b/status', 403, { status: { phase: 'Failed' } }, 'application/merge-patch+json'],
      ['DELETE', '/api/v1/namespaces/default/pods/pod-b', 403],
      ['GET', '/api/v1/namespaces/default/secrets/secret-b', 403],
      ['GET', '/api/v1/namespaces/default/secrets/secret-other', 403],
      ['GET', '/api/v1/namespaces/default/secrets', 403],
      ['GET', '/api/v1/namespaces/default/configmaps/config-b', 403],
      ['POST', '/api/v1/namespaces/default/pods', 403, pod('sneaky', 'node-a', 'secret-b')],
      ['PATCH', '/api/v1/nodes/node-b', 403, { metadata: { labels: { evil: 'yes' } } }, 'application/merge-patch+json'],
      ['PATCH', '/api/v1/nodes/node-a', 403, { metadata: { labels: { 'node-restriction.kubernetes.io/pool': 'x' } } }, 'application/merge-patch+json'],
      ['GET', '/apis/apps/v1/namespaces/default/deployments', 403],
    ];
    let refused = 0;
    for (const [method, path, expected, body, type] of cases) {
      const r = await asNodeA(method, path, body, type);
      expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBe(expected);
      if (expected === 403) {
        refused++;
        expect(r.body).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
      }
    }
    expect((await asNodeA('GET', '/api/v1/namespaces/default/pods/pod-b')).body.message).toBe(
      'pods "pod-b" is forbidden: User "system:node:node-a" cannot get resource "pods" in API group "" in the namespace "default": no relationship found between node \'node-a\' and this object',
    );
    expect(phaseOf(await registry().get(PODS, 'default', 'pod-b'))).toBe('Running');
    recordFigure("node authz: API requests with node A's certificate refused as expected", refused);
    recordFigure("node authz: API requests with node A's certificate checked", cases.length);
  });

  it("the real kubectl with node A's credentials gets its pod and is Forbidden B's", async () => {
    const kubeconfig = join(dir, 'node-a.kubeconfig');
    await writeFile(kubeconfig, buildKubeconfig({ url: master.api.url, caCertPem: master.api.caCertPem, clientCertificatePem: nodeA.credentials.certificate!, clientKeyPem: await readFile(nodeA.credentials.paths.key, 'utf8'), userName: 'node-a' }));
    const kubectl = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'kube-cache'), ...args], { timeout: 30_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? 1 : 0, stdout, stderr }),
        ),
      );
    const own = await kubectl(['get', 'pod', 'pod-a', '-o', 'name']);
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout.trim()).toBe('pod/pod-a');
    const other = await kubectl(['get', 'pod', 'pod-b']);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('Error from server (Forbidden): pods "pod-b" is forbidden: User "system:node:node-a" cannot get resource "pods"');
    const secrets = await kubectl(['get', 'secret', 'secret-b']);
    expect(secrets.stderr).toContain('Forbidden');
  });

  it("node A's actor channel gets only its pods, and cannot write B's pod status or end B's pod", async () => {
    // The daemon steps aside; its own key speaks for node A now.
    await nodeA.close({ keepContainers: true });
    const host = await asNode('node-a');
    const received: Envelope[] = [];
    const ch = await openChannel(host, master.meshAddrs[0]!, PROTOCOL_ACTOR, (env) => void received.push(env));
    try {
      const podA = await registry().get(PODS, 'default', 'pod-a');
      const podB = await registry().get(PODS, 'default', 'pod-b');
      await waitFor('the assignments and the sync', () => received.some((e) => e.type === 'pods.sync'));
      const assigned = received.filter((e) => e.type === 'pod.assign').map((e) => ((e.body as { pod: KubeObject }).pod.metadata?.name ?? ''));
      expect(assigned).toEqual(['pod-a']);
      expect((received.find((e) => e.type === 'pods.sync')!.body as { uids: string[] }).uids).toEqual([podA.metadata?.uid]);

      const ref = (p: KubeObject) => ({ namespace: 'default', name: p.metadata?.name ?? '', uid: p.metadata?.uid ?? '' });
      await ch.send('pod.status', { ...ref(podB), status: { ...(podB.status as object), phase: 'Failed', message: 'forged by node-a' } });
      await ch.send('pod.terminated', ref(podB));
      // Messages of one node are applied in order: once this marker is written, the two above were handled.
      await ch.send('pod.status', { ...ref(podA), status: { ...(podA.status as object), message: 'marker' } });
      await waitFor('the marker written', async () => ((await registry().get(PODS, 'default', 'pod-a')).status as { message?: string } | undefined)?.message === 'marker');
      const after = await registry().get(PODS, 'default', 'pod-b');
      expect(phaseOf(after)).toBe('Running');
      expect(after.metadata?.uid).toBe(podB.metadata?.uid);
      recordFigure("node authz: forged gateway writes for another node's pod applied", 0);
    } finally {
      await ch.close().catch(() => undefined);
    }
  });

  it("binds a peer to its node name: no second name, no taking a Ready Node's name", async () => {
    const holderOfA = await asNode('node-a');
    const stranger = await createMeshHost({ dataDir: join(dir, 'stranger'), listen: [] });
    hosts.push(stranger);
    const join1 = await requestJoin(holderOfA, master.meshAddrs[0]!, { token, nodeName: 'node-z', capacity: CAPACITY, addresses: [] }).catch((e: unknown) => e);
    expect(join1).toBeInstanceOf(JoinRefusedError);
    expect((join1 as JoinRefusedError).reason).toMatch(/is already registered as node node-a/);
    const join2 = await requestJoin(stranger, master.meshAddrs[0]!, { token, nodeName: 'node-b', capacity: CAPACITY, addresses: [] }).catch((e: unknown) => e);
    expect(join2).toBeInstanceOf(JoinRefusedError);
    expect((join2 as JoinRefusedError).reason).toMatch(/A Node with name "node-b" and status "Ready" already exists/i);
  });

  it('revoked tokens join nothing; a deleted Node is cut off the mesh', async () => {
    const kubeconfig = join(dir, 'admin.kubeconfig');
    await writeFile(kubeconfig, buildKubeconfig({ url: master.api.url, caCertPem: master.api.caCertPem, token: master.api.adminToken }));
    const id = token.slice(0, 6);
    const listed = await runKactus(kubeconfig, ['token', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+\\d+m\\S*\\s+\\S+\\s+authentication\\s+kactus join token$`, 'm'));
    expect(listed.stdout).not.toContain(token.slice(7));
    const deleted = await runKactus(kubeconfig, ['token', 'delete', token]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe(`bootstrap token "${id}" deleted\n`);
    const stranger = await createMeshHost({ dataDir: join(dir, 'newcomer'), listen: [] });
    hosts.push(stranger);
    const refused = await requestJoin(stranger, master.meshAddrs[0]!, { token, nodeName: 'newcomer', capacity: CAPACITY, addresses: [] }).catch((e: unknown) => e);
    expect((refused as JoinRefusedError).reason).toBe('invalid token');

    // Node B's Node goes: its daemon's connections are closed, and its key opens nothing any more (the token is gone too).
    expect(master.gateway.connectedNodes()).toContain('node-b');
    await registry().delete(NODES, undefined, 'node-b');
    // The gateway heard the Node go (its directory's informer) and closed the peer's connections.
    await waitFor('node B cut off', () => master.gateway.cutOffPeers >= 1 && !master.gateway.connectedNodes().includes('node-b'));
    const hostB = await asNode('node-b');
    // Not admitted: the master resets the stream and never answers (admitted, it would list at once).
    const heard: Envelope[] = [];
    const outcome = await openChannel(hostB, master.meshAddrs[0]!, PROTOCOL_WATCH, (env) => void heard.push(env))
      .then(async (ch) => {
        await ch.send('watch.start', { resources: ['secrets'] }).catch(() => undefined);
        await ch.closed;
        return 'ended';
      })
      .catch(() => 'refused');
    expect(outcome === 'ended' || outcome === 'refused').toBe(true);
    expect(heard).toEqual([]);
    recordFigure('node authz: deleted Node peers cut off the mesh', master.gateway.cutOffPeers);
  });
});
