/**
 * Pod volumes and env through a whole node daemon (process runtime: real host processes, the
 * mountPaths rewritten to the host directories) and a test master that serves ConfigMaps and
 * Secrets on its watch channel and answers token requests:
 * a ConfigMap volume followed by a running container within the sync period, env from a Secret,
 * a Service's variables, a missing ConfigMap keeping the pod Pending (FailedMount) until it is
 * created, a missing env source (CreateContainerConfigError) until it is created, the projected
 * ServiceAccount token (and its refusal without an issuer), and the pod's files removed with it.
 * The same on Docker with kubectl: test/e2e/volumes.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lstat, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNodeDaemon, type NodeDaemon } from './daemon.ts';
import { TestMaster, waitFor } from './test-master.ts';
import { containerOf, deleting, phaseOf, testPod, type TestPod } from './test-pods.ts';
import { configMap, secret } from './test-objects.ts';

let master: TestMaster;
let dir: string;
const daemons: NodeDaemon[] = [];
const SYNC_MS = 200;

beforeAll(async () => {
  master = await TestMaster.start();
  dir = await mkdtemp(join(tmpdir(), 'kactus-node-volumes-'));
  master.put('services', { metadata: { namespace: 'default', name: 'kubernetes' }, spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } });
});

afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.close()));
});

afterAll(async () => {
  await master.stop();
  await rm(dir, { recursive: true, force: true });
});

async function node(name: string): Promise<NodeDaemon> {
  const d = await startNodeDaemon({ dataDir: join(dir, name), join: [master.addr], token: master.token, runtime: 'process', name, heartbeatIntervalMs: 200, volumeSyncPeriodMs: SYNC_MS });
  daemons.push(d);
  await waitFor('the actor channel', () => master.hasChannelFrom(d.peerId));
  return d;
}

/** A file the pod's `data` emptyDir holds. */
function dataFile(nodeName: string, pod: TestPod, file: string): Promise<string> {
  return readFile(join(dir, nodeName, 'pods', pod.metadata.uid, 'volumes', 'data', file), 'utf8').catch(() => '');
}

const phase = (pod: TestPod) => phaseOf(master.statusOf(pod.metadata.uid));
const eventsOf = (pod: TestPod) => master.events.filter((e) => e.involvedObject.uid === pod.metadata.uid);

describe('node daemon: pod volumes and env (process runtime)', () => {
  it('a ConfigMap volume follows an update inside the running container; env from a Secret, fieldRef and Services', async () => {
    await node('vol-a');
    master.put('configmaps', configMap('default', 'web-config', { greeting: 'hello' }));
    master.put('secrets', secret('default', 'web-secret', { password: 's3cr3t' }));
    const pod = testPod('vol-a', 'web', 'Always', [{ name: 'app', script: 'echo "$PASSWORD $POD_NAME $KUBERNETES_SERVICE_HOST" > /data/env; while :; do cat /etc/cfg/greeting > /data/seen; sleep 0.05; done' }], {
      volumes: [
        { name: 'cfg', configMap: { name: 'web-config' } },
        { name: 'data', emptyDir: {} },
      ],
    });
    const spec = pod.spec as { containers: Record<string, unknown>[] };
    spec.containers[0]!.volumeMounts = [
      { name: 'cfg', mountPath: '/etc/cfg' },
      { name: 'data', mountPath: '/data' },
    ];
    spec.containers[0]!.env = [
      { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'web-secret', key: 'password' } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ];
    await master.assign(pod);
    await waitFor('Running', () => phase(pod) === 'Running');
    await waitFor('the env written', async () => (await dataFile('vol-a', pod, 'env')) === 's3cr3t web 10.96.0.1\n');
    await waitFor('the first greeting', async () => (await dataFile('vol-a', pod, 'seen')) === 'hello');

    const changedAt = Date.now();
    master.put('configmaps', configMap('default', 'web-config', { greeting: 'bonjour' }));
    await waitFor('the updated greeting seen by the container', async () => (await dataFile('vol-a', pod, 'seen')) === 'bonjour');
    // Within the sync period, with slack for a loaded machine.
    expect(Date.now() - changedAt).toBeLessThan(SYNC_MS + 3000);
  });

  it('a missing ConfigMap keeps the pod Pending with FailedMount until it is created', async () => {
    await node('vol-b');
    const pod = testPod('vol-b', 'waits', 'Always', [{ name: 'app', script: 'cat /etc/cfg/key > /data/out; sleep 3600' }], {
      volumes: [
        { name: 'cfg', configMap: { name: 'late-config' } },
        { name: 'data', emptyDir: {} },
      ],
    });
    (pod.spec as { containers: Record<string, unknown>[] }).containers[0]!.volumeMounts = [
      { name: 'cfg', mountPath: '/etc/cfg' },
      { name: 'data', mountPath: '/data' },
    ];
    await master.assign(pod);
    await waitFor('FailedMount', () => eventsOf(pod).some((e) => e.reason === 'FailedMount'));
    const failed = eventsOf(pod).find((e) => e.reason === 'FailedMount')!;
    expect(failed.type).toBe('Warning');
    expect(failed.message).toBe('MountVolume.SetUp failed for volume "cfg" : configmap "late-config" not found');
    expect(phase(pod)).toBe('Pending');
    expect(containerOf(master.statusOf(pod.metadata.uid), 'app')?.state.waiting?.reason).toBe('ContainerCreating');

    master.put('configmaps', configMap('default', 'late-config', { key: 'finally' }));
    await waitFor('Running once the ConfigMap exists', () => phase(pod) === 'Running');
    await waitFor('its content read', async () => (await dataFile('vol-b', pod, 'out')) === 'finally');
  });

  it('a missing env source: CreateContainerConfigError until it exists', async () => {
    await node('vol-c');
    const pod = testPod('vol-c', 'envwait', 'Always', [{ name: 'app', script: 'echo "$MODE" > /data/mode; sleep 3600' }], { volumes: [{ name: 'data', emptyDir: {} }] });
    const c = (pod.spec as { containers: Record<string, unknown>[] }).containers[0]!;
    c.volumeMounts = [{ name: 'data', mountPath: '/data' }];
    c.envFrom = [{ configMapRef: { name: 'env-config' } }];
    await master.assign(pod);
    await waitFor('CreateContainerConfigError', () => containerOf(master.statusOf(pod.metadata.uid), 'app')?.state.waiting?.reason === 'CreateContainerConfigError');
    expect((containerOf(master.statusOf(pod.metadata.uid), 'app')?.state.waiting as { message?: string }).message).toBe('configmap "env-config" not found');
    expect(eventsOf(pod).some((e) => e.reason === 'Failed' && e.message === 'Error: configmap "env-config" not found')).toBe(true);
    expect(phase(pod)).toBe('Pending');
    master.put('configmaps', configMap('default', 'env-config', { MODE: 'fast' }));
    await waitFor('Running once the ConfigMap exists', () => phase(pod) === 'Running');
    await waitFor('the env', async () => (await dataFile('vol-c', pod, 'mode')) === 'fast\n');
  });

  it('a projected ServiceAccount token from the master; refused without an issuer; files removed with the pod', async () => {
    const d = await node('vol-d');
    master.put('configmaps', configMap('default', 'kube-root-ca.crt', { 'ca.crt': 'CA PEM' }));
    const access = {
      name: 'kube-api-access-x1y2z',
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    };
    const withToken = (name: string) => {
      const pod = testPod('vol-d', name, 'Always', [{ name: 'app', script: 'cat /var/run/secrets/kubernetes.io/serviceaccount/token > /data/token; sleep 3600' }], {
        serviceAccountName: 'builder',
        volumes: [access, { name: 'data', emptyDir: {} }],
      });
      (pod.spec as { containers: Record<string, unknown>[] }).containers[0]!.volumeMounts = [
        { name: 'kube-api-access-x1y2z', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
        { name: 'data', mountPath: '/data' },
      ];
      return pod;
    };

    const refused = withToken('no-issuer');
    await master.assign(refused);
    await waitFor('FailedMount for the token', () => eventsOf(refused).some((e) => e.reason === 'FailedMount'));
    expect(eventsOf(refused).find((e) => e.reason === 'FailedMount')?.message).toBe(
      'MountVolume.SetUp failed for volume "kube-api-access-x1y2z" : failed to fetch token: unavailable: this master has no ServiceAccount token issuer',
    );

    master.tokens = (req) => ({ token: `jwt-for-${req.serviceAccountName}-${req.boundPod.name}`, expirationTimestamp: new Date(Date.now() + 3607_000).toISOString(), caCertPem: 'CA PEM' });
    const pod = withToken('with-token');
    await master.assign(pod);
    await waitFor('Running', () => phase(pod) === 'Running');
    await waitFor('the token read', async () => (await dataFile('vol-d', pod, 'token')) === 'jwt-for-builder-with-token');
    // The refused pod retries meanwhile: its request may come after this one.
    expect(master.tokenRequests.find((r) => r.boundPod.name === 'with-token')).toMatchObject({ namespace: 'default', serviceAccountName: 'builder', expirationSeconds: 3607, boundPod: { name: 'with-token', uid: pod.metadata.uid } });
    // The refused pod got its token on a retry too.
    await waitFor('the first pod Running as well', () => phase(refused) === 'Running', 15_000);

    const podFiles = join(dir, d.nodeName, 'pods', pod.metadata.uid);
    await master.assign(deleting(pod, 0));
    await waitFor('pod.terminated', () => master.terminated.some((t) => t.uid === pod.metadata.uid));
    await expect(lstat(podFiles)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
