import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { isRecord, recordList, type KubeObject } from '../api/object.ts';
import { openChannel, type Channel } from '../net/channel.ts';
import type { Envelope } from '../net/codec.ts';
import { JoinRefusedError } from '../net/errors.ts';
import { createMeshHost, type MeshHost } from '../net/host.ts';
import { requestJoin, type JoinRequest } from '../net/join.ts';
import type { NodeHeartbeat } from '../net/messages.ts';
import { PROTOCOL_ACTOR, PROTOCOL_HEARTBEAT } from '../net/protocols.ts';
import { openEmbeddedStore } from '../store/embedded/index.ts';
import type { Store } from '../store/types.ts';
import { sharedInformerUsers } from '../registry/informers.ts';
import { startMaster, type Master } from './master.ts';
import { waitFor } from '../registry/test-support.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;
const NODES = findKind('v1', 'Node') as ResourceInfo;
const EVENTS = findKind('v1', 'Event') as ResourceInfo;
const LEASES = findKind('coordination.k8s.io/v1', 'Lease') as ResourceInfo;
const SECRETS = findKind('v1', 'Secret') as ResourceInfo;
const SERVICES = findKind('v1', 'Service') as ResourceInfo;
const ENDPOINTS = findKind('v1', 'Endpoints') as ResourceInfo;

const CAPACITY = { cpu: '2', memory: '4Gi', pods: '110' };
const conditionOf = (obj: KubeObject, type: string) => recordList(isRecord(obj.status) ? obj.status : undefined, 'conditions').find((c) => c.type === type);

/** A node daemon stand-in: a real libp2p host that joins and speaks the message vocabulary. */
class FakeNode {
  readonly received: Envelope[] = [];
  actor?: Channel;
  heartbeatChannel?: Channel;
  private beating?: NodeJS.Timeout;

  constructor(
    readonly host: MeshHost,
    readonly name: string,
  ) {}

  joinRequest(token: string): JoinRequest {
    return { token, nodeName: this.name, capacity: CAPACITY, addresses: this.host.getMultiaddrs().map(String) };
  }

  async openChannels(masterAddr: string): Promise<void> {
    this.actor = await openChannel(this.host, masterAddr, PROTOCOL_ACTOR, (env) => void this.received.push(env));
    this.heartbeatChannel = await openChannel(this.host, masterAddr, PROTOCOL_HEARTBEAT, () => {});
  }

  heartbeat(ready = true): NodeHeartbeat {
    return {
      nodeName: this.name,
      ready,
      capacity: CAPACITY,
      allocatable: CAPACITY,
      nodeInfo: { kubeletVersion: 'kactus-test', containerRuntimeVersion: 'hollow://0', operatingSystem: 'linux', architecture: 'amd64' },
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: this.name }],
      time: new Date().toISOString(),
    };
  }

  startHeartbeats(periodMs = 100): void {
    const beat = (): void => void this.heartbeatChannel?.send('node.heartbeat', this.heartbeat()).catch(() => undefined);
    beat();
    this.beating = setInterval(beat, periodMs);
  }

  stopHeartbeats(): void {
    clearInterval(this.beating);
  }

  ofType(type: string): Envelope[] {
    return this.received.filter((e) => e.type === type);
  }
}

describe('master: join, gateway, scheduler, node controller', () => {
  let dir: string;
  let store: Store;
  let master: Master;
  let node: FakeNode;
  let stranger: MeshHost;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-master-'));
    store = await openEmbeddedStore(join(dir, 'store'));
    master = await startMaster({
      store,
      dataDir: join(dir, 'master'),
      port: 0,
      name: 'm1',
      nodeMonitorGracePeriodSeconds: 1,
      podEvictionTimeoutSeconds: 1,
      leaseRetryPeriodMs: 100,
      podSyncIntervalMs: 300,
    });
    node = new FakeNode(await createMeshHost({ dataDir: join(dir, 'node') }), 'node-a');
    stranger = await createMeshHost({ dataDir: join(dir, 'stranger') });
  });

  afterAll(async () => {
    node?.stopHeartbeats();
    await node?.host.stop();
    await stranger?.stop();
    await master?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const registry = () => master.api.registry;

  /** One JSON request to the master's API as the admin. */
  const httpsJson = (method: string, path: string, body: unknown) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = request(`${master.api.url}${path}`, {
        method,
        ca: master.api.caCertPem,
        headers: { Authorization: `Bearer ${master.api.adminToken}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
      }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
      });
      req.on('error', reject);
      req.end(payload);
    });

  it('becomes leader and holds kube-system/kactus-controller-manager', async () => {
    await waitFor('leadership', () => master.isLeader());
    const lease = await registry().get(LEASES, 'kube-system', 'kactus-controller-manager');
    expect(lease.spec).toMatchObject({ holderIdentity: 'm1', leaseDurationSeconds: 1 });
  });

  it('publishes its API address; the leader keeps default/kubernetes pointing at it', async () => {
    const svc = await waitFor('default/kubernetes', () => registry().get(SERVICES, 'default', 'kubernetes').catch(() => undefined));
    expect(svc.spec).toMatchObject({ clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: master.api.port }] });
    const ep = await waitFor('its Endpoints', () => registry().get(ENDPOINTS, 'default', 'kubernetes').catch(() => undefined));
    expect(ep.subsets).toEqual([{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: master.api.port, protocol: 'TCP' }] }]);
  });

  it('runs one Pod informer on the leader, shared by the gateway, the scheduler and the controllers', async () => {
    // The node graph, gateway, scheduler, ReplicaSet, ReplicationController, Deployment, DaemonSet, StatefulSet, Job, HPA, GC, Service, PersistentVolume, taint eviction.
    await waitFor('every pod watcher started', () => sharedInformerUsers(store, PODS) === 14);
  });

  it('creates bootstrap tokens as kubeadm does and prints the join line', async () => {
    const { token, joinCommand } = await master.createJoinToken(600);
    expect(token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(joinCommand).toBe(`kactus node --data-dir DIR --join ${master.meshAddrs.join(',')} --token ${token}`);
    const secret = await registry().get(SECRETS, 'kube-system', `bootstrap-token-${token.slice(0, 6)}`);
    expect(secret.type).toBe('bootstrap.kubernetes.io/token');
    const data = secret.data as Record<string, string>;
    expect(Buffer.from(data['token-secret'], 'base64').toString()).toBe(token.slice(7));
    expect(Buffer.from(data['usage-bootstrap-authentication'], 'base64').toString()).toBe('true');
  });

  it('refuses a wrong secret, an unknown id and an expired token, recording a Warning event', async () => {
    const { token } = await master.createJoinToken(600);
    const wrong = `${token.slice(0, 7)}${'0'.repeat(16)}`;
    const expired = await master.createJoinToken(-1);
    for (const [t, reason] of [
      [wrong, 'invalid token'],
      ['zzzzzz.0123456789abcdef', 'invalid token'],
      [expired.token, 'token has expired'],
    ]) {
      const err = await requestJoin(stranger, master.meshAddrs[0]!, { token: t!, nodeName: 'intruder', capacity: CAPACITY, addresses: [] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JoinRefusedError);
      expect((err as JoinRefusedError).reason).toBe(reason);
    }
    await expect(registry().get(NODES, undefined, 'intruder')).rejects.toMatchObject({ code: 404 });
    const events = (await registry().list(EVENTS, 'default')).items.filter((e) => e.reason === 'JoinRefused');
    expect(events.length).toBe(2); // the two 'invalid token' refusals with the same message are aggregated
    expect(events.map((e) => e.count).sort()).toEqual([1, 2]);
  });

  it('refuses a join whose certificate request does not verify, registering nothing', async () => {
    const { token } = await master.createJoinToken(600);
    const err = await requestJoin(stranger, master.meshAddrs[0]!, { token, nodeName: 'bad-csr', capacity: CAPACITY, addresses: [], csr: 'not a certificate request' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JoinRefusedError);
    expect((err as JoinRefusedError).reason).toMatch(/^malformed certificate request/);
    await expect(registry().get(NODES, undefined, 'bad-csr')).rejects.toMatchObject({ code: 404 });
  });

  it('a peer that never joined cannot open the actor channel', async () => {
    const ch = await openChannel(stranger, master.meshAddrs[0]!, PROTOCOL_ACTOR, () => {});
    await ch.send('pod.status', { namespace: 'default', name: 'x', uid: 'u', status: {} }).catch(() => undefined);
    await ch.closed;
    expect(master.gateway.connectedNodes()).toEqual([]);
  });

  it('admits a node with a valid token and registers its Node', async () => {
    const { token } = await master.createJoinToken();
    const accepted = await requestJoin(node.host, master.meshAddrs[0]!, node.joinRequest(token));
    expect(accepted).toEqual({ nodeName: 'node-a', clusterCIDR: '10.244.0.0/16', masterPeerId: master.mesh.peerId.toString() });
    const n = await registry().get(NODES, undefined, 'node-a');
    expect(n.metadata?.labels).toMatchObject({ 'kubernetes.io/hostname': 'node-a', 'kubernetes.io/os': 'linux' });
    expect(n.metadata?.annotations).toMatchObject({ 'kactus.io/peer-id': node.host.peerId.toString() });
    expect(n.status).toMatchObject({ capacity: CAPACITY, allocatable: CAPACITY });
    expect(master.gateway.nodePeer('node-a')).toEqual({ peerId: node.host.peerId.toString(), addresses: node.host.getMultiaddrs().map(String) });

    // The same peer under another name is refused.
    const again = await requestJoin(node.host, master.meshAddrs[0]!, { ...node.joinRequest(token), nodeName: 'node-b' }).catch((e: unknown) => e);
    expect((again as JoinRefusedError).reason).toMatch(/already registered as node node-a/);
  });

  it('heartbeats make the Node Ready and renew its Lease; status is written only on change', async () => {
    await node.openChannels(master.meshAddrs[0]!);
    await waitFor('actor channel at the master', () => master.gateway.connectedNodes().includes('node-a'));
    // On open the master lists the pods the node should run: none yet.
    await waitFor('pods.sync on open', () => node.ofType('pods.sync')[0]);
    expect(node.ofType('pods.sync')[0]!.body).toEqual({ uids: [] });
    node.startHeartbeats();
    const ready = await waitFor('Ready True', async () => {
      const n = await registry().get(NODES, undefined, 'node-a');
      return conditionOf(n, 'Ready')?.status === 'True' ? n : undefined;
    });
    expect(conditionOf(ready, 'Ready')).toMatchObject({ reason: 'KubeletReady' });
    expect(ready.status).toMatchObject({ nodeInfo: { kubeletVersion: 'kactus-test', machineID: '' }, addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'node-a' }] });
    const lease = await registry().get(LEASES, 'kube-node-lease', 'node-a');
    expect(lease.spec).toMatchObject({ holderIdentity: 'node-a', leaseDurationSeconds: 40 });
    const renewed = await waitFor('lease renewed', async () => {
      const l = await registry().get(LEASES, 'kube-node-lease', 'node-a');
      return (l.spec as { renewTime: string }).renewTime !== (lease.spec as { renewTime: string }).renewTime ? l : undefined;
    });
    expect(renewed).toBeDefined();
    expect((await registry().get(NODES, undefined, 'node-a')).metadata?.resourceVersion).toBe(ready.metadata?.resourceVersion);
  });

  it('schedules a pod onto the node, assigns it over the channel and stores the status the node reports', async () => {
    const created = await registry().create(PODS, 'default', { metadata: { name: 'web' }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m' } } }] } });
    const uid = created.metadata?.uid;
    const assign = await waitFor('pod.assign', () => node.ofType('pod.assign').find((e) => isRecord(e.body) && isRecord(e.body.pod) && (e.body.pod as KubeObject).metadata?.uid === uid));
    expect(((assign.body as { pod: KubeObject }).pod.spec as { nodeName: string }).nodeName).toBe('node-a');
    await waitFor('periodic pods.sync listing it', () => node.ofType('pods.sync').some((e) => (e.body as { uids: string[] }).uids.includes(uid!)));

    const status = { phase: 'Running', podIP: '10.0.0.5', conditions: [{ type: 'Ready', status: 'True' }] };
    await node.actor!.send('pod.status', { namespace: 'default', name: 'web', uid, status });
    const running = await waitFor('Running in the store', async () => {
      const p = await registry().get(PODS, 'default', 'web');
      return isRecord(p.status) && p.status.phase === 'Running' ? p : undefined;
    });
    expect(running.status).toMatchObject({ podIP: '10.0.0.5' });
    // A report for another uid (an older pod of that name) is dropped.
    await node.actor!.send('pod.status', { namespace: 'default', name: 'web', uid: 'not-the-uid', status: { phase: 'Failed' } });
    await node.actor!.send('event.recorded', {
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid },
      type: 'Normal', reason: 'Started', message: 'Started container c', time: new Date().toISOString(), source: 'kubelet',
    });
    const started = await waitFor('kubelet event', async () => (await registry().list(EVENTS, 'default')).items.find((e) => e.reason === 'Started'));
    expect(started).toMatchObject({ source: { component: 'kubelet', host: 'node-a' }, involvedObject: { name: 'web', uid }, count: 1 });
    expect(((await registry().get(PODS, 'default', 'web')).status as { phase: string }).phase).toBe('Running');
  });

  it('completes a graceful delete when the node reports the pod terminated', async () => {
    await registry().create(PODS, 'default', { metadata: { name: 'gone' }, spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'busybox' }] } });
    const marked = await registry().delete(PODS, 'default', 'gone', {});
    expect(marked.metadata?.deletionTimestamp).toBeDefined();
    await waitFor('pod.assign with deletionTimestamp', () =>
      node.ofType('pod.assign').some((e) => (e.body as { pod: KubeObject }).pod.metadata?.name === 'gone' && (e.body as { pod: KubeObject }).pod.metadata?.deletionTimestamp),
    );
    await node.actor!.send('pod.terminated', { namespace: 'default', name: 'gone', uid: marked.metadata?.uid });
    await waitFor('pod removed', async () => (await registry().get(PODS, 'default', 'gone').then(() => false, () => true)) || undefined);
  });

  it('serves POST pods/<name>/binding over HTTPS', async () => {
    await registry().create(PODS, 'default', { metadata: { name: 'manual' }, spec: { schedulerName: 'nobody', containers: [{ name: 'c', image: 'busybox' }] } });
    const post = (body: unknown) =>
      new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
        const payload = JSON.stringify(body);
        const req = request(`${master.api.url}/api/v1/namespaces/default/pods/manual/binding`, {
          method: 'POST',
          ca: master.api.caCertPem,
          headers: { Authorization: `Bearer ${master.api.adminToken}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
        }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
        });
        req.on('error', reject);
        req.end(payload);
      });
    const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'manual' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' } };
    expect(await post(binding)).toEqual({ status: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } });
    const second = await post(binding);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ kind: 'Status', reason: 'Conflict' });
  });

  it('heartbeats stop: Ready Unknown and the unreachable taint after the grace, pods Failed after the second', async () => {
    node.stopHeartbeats();
    const unknown = await waitFor('Ready Unknown', async () => {
      const n = await registry().get(NODES, undefined, 'node-a');
      return conditionOf(n, 'Ready')?.status === 'Unknown' ? n : undefined;
    }, 5000);
    expect(conditionOf(unknown, 'Ready')).toMatchObject({ reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    const tainted = await waitFor('taint', async () => {
      const n = await registry().get(NODES, undefined, 'node-a');
      return recordList(n.spec as Record<string, unknown>, 'taints').some((t) => t.key === 'node.kubernetes.io/unreachable') ? n : undefined;
    });
    expect(recordList(tainted.spec as Record<string, unknown>, 'taints').map((t) => t.effect).sort()).toEqual(['NoExecute', 'NoSchedule']);

    const failed = await waitFor('web Failed', async () => {
      const p = await registry().get(PODS, 'default', 'web');
      return isRecord(p.status) && p.status.phase === 'Failed' ? p : undefined;
    }, 5000);
    expect(failed.status).toMatchObject({ reason: 'NodeLost', message: 'Node node-a which was running pod web is unresponsive' });
    await waitFor('NodeLost event for the pod', async () =>
      (await registry().list(EVENTS, 'default')).items.find((e) => e.reason === 'NodeLost' && (e.involvedObject as { kind: string }).kind === 'Pod'),
    );

    // The node comes back and resends what its pod was doing: the gateway refuses to revive it...
    const uid = failed.metadata?.uid ?? '';
    const refusedBefore = master.gateway.refusedStatusReports;
    await node.actor!.send('pod.status', { namespace: 'default', name: 'web', uid, status: { phase: 'Running', podIP: '10.0.0.5' } });
    await node.actor!.send('event.recorded', {
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid },
      type: 'Normal', reason: 'AfterResend', message: 'sent after the resend', time: new Date().toISOString(), source: 'kubelet',
    });
    await waitFor('the message after the resend', async () => (await registry().list(EVENTS, 'default')).items.find((e) => e.reason === 'AfterResend'));
    expect(master.gateway.refusedStatusReports).toBe(refusedBefore + 1);
    expect(((await registry().get(PODS, 'default', 'web')).status as { phase: string }).phase).toBe('Failed');
    // ...and so does the API, naming the field (as Kubernetes' 422 Invalid).
    const unconditional = { ...failed, metadata: { ...failed.metadata, resourceVersion: undefined } };
    const put = await httpsJson('PUT', '/api/v1/namespaces/default/pods/web/status', { ...unconditional, status: { ...(failed.status as object), phase: 'Running' } });
    expect(put.status).toBe(422);
    expect(put.body).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      message: 'Pod "web" is invalid: status.phase: Forbidden: may not be transitioned from terminal phase Failed to Running',
      details: { causes: [{ reason: 'FieldValueForbidden', field: 'status.phase' }] },
    });

    // Heartbeats come back: Ready True again and the taint goes.
    node.startHeartbeats();
    await waitFor('recovered', async () => {
      const n = await registry().get(NODES, undefined, 'node-a');
      const taints = recordList(n.spec as Record<string, unknown>, 'taints');
      return conditionOf(n, 'Ready')?.status === 'True' && taints.length === 0;
    }, 5000);
  });

  it('a Node deleted through the API has its pods deleted', async () => {
    await registry().create(PODS, 'default', { metadata: { name: 'orphan' }, spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'busybox' }] } });
    node.stopHeartbeats();
    await registry().delete(NODES, undefined, 'node-a');
    await waitFor('pods of the node deleted', async () => {
      const pods = await registry().list(PODS, 'default', { fieldSelector: 'spec.nodeName=node-a' });
      return pods.items.length === 0;
    });
  });
});
