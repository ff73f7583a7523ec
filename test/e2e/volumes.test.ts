/**
 * Pod volumes and env from a user's seat: `kactus up` with a Docker node and the real kubectl.
 * A ConfigMap mounted as a volume shows an updated key inside the running container within the
 * sync period (a subPath mount of the same key keeps the old one, as Kubernetes); env from a
 * Secret and a ConfigMap key; a downwardAPI file follows a label; `medium: Memory` is a tmpfs;
 * content volumes are read-only; the projected ServiceAccount token (the admission's
 * kube-api-access volume) is a JWT bound to the pod that the API accepts; a pod naming a missing ConfigMap stays Pending
 * (ContainerCreating) with a FailedMount Event and starts once the ConfigMap is created; a pod
 * whose env names a missing Secret waits in CreateContainerConfigError until it exists; deleting
 * the pods removes their files and unmounts their tmpfs.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp } from '../support/docker.ts';
import { mountsUnder, unmountAll } from '../../node-daemon/volumes/tmpfs.ts';
import { eventually, kubectlFor, ok, startKactusUp, uniqueName, type KactusServer, type Kubectl } from './harness.ts';
import { removeNodeLeftovers } from './node-containers.ts';

const SOURCES = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: hello
---
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
stringData:
  password: s3cr3t
`;

const WEB = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: cfg
    configMap:
      name: web-config
  - name: cache
    emptyDir:
      medium: Memory
      sizeLimit: 16Mi
  - name: info
    downwardAPI:
      items:
      - path: labels
        fieldRef:
          fieldPath: metadata.labels
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    env:
    - name: PASSWORD
      valueFrom:
        secretKeyRef:
          name: web-secret
          key: password
    - name: GREETING
      valueFrom:
        configMapKeyRef:
          name: web-config
          key: greeting
    - name: MESSAGE
      value: "$(GREETING), $(POD_NAME)"
    - name: POD_NAME
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
    volumeMounts:
    - name: cfg
      mountPath: /etc/cfg
    - name: cfg
      mountPath: /etc/greeting.txt
      subPath: greeting
    - name: cache
      mountPath: /cache
    - name: info
      mountPath: /etc/podinfo
`;

const WAITER = `apiVersion: v1
kind: Pod
metadata:
  name: waiter
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: late
    configMap:
      name: late-config
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    volumeMounts:
    - name: late
      mountPath: /etc/late
`;

const ENV_WAITER = `apiVersion: v1
kind: Pod
metadata:
  name: env-waiter
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    envFrom:
    - secretRef:
        name: late-secret
`;

const POD_DEADLINE_MS = 30_000;
/** The node's default volume sync period. */
const SYNC_PERIOD_MS = 1000;

const docker = dockerClient();
const enabled = dockerRequired() || (await isDockerUp(docker));
const nodeName = uniqueName('e2e-vol-');
let dir: string;
let up: KactusServer | undefined;
let kubectl: Kubectl;

const execIn = async (pod: string, ...command: string[]) => kubectl(['exec', pod, '--', ...command]);
const field = async (kind: string, name: string, path: string) => (await kubectl(['get', kind, name, '-o', `jsonpath=${path}`])).stdout;
const podStatusColumn = async (name: string) => (await kubectl(['get', 'pod', name, '--no-headers'])).stdout.trim().split(/\s+/)[2] ?? '';

function podPhase(name: string, phase: string): Promise<string> {
  return eventually(`pod ${name} ${phase}`, () => field('pod', name, '{.status.phase}'), (p) => p === phase, POD_DEADLINE_MS);
}

describe.skipIf(!enabled)('pod volumes and env with a Docker node', () => {
  beforeAll(async () => {
    await ensureBusyboxImage(docker);
    dir = await mkdtemp(join(tmpdir(), 'kactus-e2e-volumes-'));
    up = await startKactusUp(join(dir, 'data'), { args: ['--node-name', nodeName] });
    kubectl = kubectlFor(up.kubeconfig, dir);
  }, 60_000);

  afterAll(async () => {
    await up?.proc.kill('SIGKILL');
    await removeNodeLeftovers(docker, nodeName);
    // A killed daemon leaves its pods' tmpfs mounts (as a kubelet would, for a restart to adopt).
    if (dir) await unmountAll(dir);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a ConfigMap volume follows an update within the sync period; env from a Secret and a ConfigMap', async () => {
    ok(await kubectl(['apply', '-f', '-'], SOURCES));
    ok(await kubectl(['apply', '-f', '-'], WEB));
    await podPhase('web', 'Running');

    expect(ok(await execIn('web', 'cat', '/etc/cfg/greeting'))).toBe('hello');
    // MESSAGE names POD_NAME before it is defined: left as written, as the kubelet does.
    expect(ok(await execIn('web', 'sh', '-c', 'echo "$PASSWORD|$GREETING|$MESSAGE"'))).toBe('s3cr3t|hello|hello, $(POD_NAME)\n');
    // As the kubelet writes them: the key a link into ..data, the data in a timestamped directory.
    expect(ok(await execIn('web', 'readlink', '/etc/cfg/greeting'))).toBe('..data/greeting\n');
    expect(ok(await execIn('web', 'readlink', '/etc/cfg/..data'))).toMatch(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\w+\n$/);

    ok(await kubectl(['patch', 'configmap', 'web-config', '--type', 'merge', '-p', '{"data":{"greeting":"bonjour"}}']));
    const patchedAt = Date.now();
    await eventually('the new greeting inside the container', async () => (await execIn('web', 'cat', '/etc/cfg/greeting')).stdout, (t) => t === 'bonjour', 15_000);
    // The sync period, plus kubectl exec round trips on a busy machine.
    expect(Date.now() - patchedAt).toBeLessThan(SYNC_PERIOD_MS + 6_000);
    // A subPath mount does not follow (as Kubernetes); env is fixed at the start.
    expect(ok(await execIn('web', 'cat', '/etc/greeting.txt'))).toBe('hello');
    expect(ok(await execIn('web', 'sh', '-c', 'echo "$GREETING"'))).toBe('hello\n');
  }, 90_000);

  it('downwardAPI labels follow the pod; medium Memory is a tmpfs; content volumes are read-only', async () => {
    expect(ok(await execIn('web', 'cat', '/etc/podinfo/labels'))).toBe('app="web"');
    ok(await kubectl(['label', 'pod', 'web', 'tier=front']));
    await eventually('the new label in the file', async () => (await execIn('web', 'cat', '/etc/podinfo/labels')).stdout, (t) => t === 'app="web"\ntier="front"', 15_000);

    const cacheMount = ok(await execIn('web', 'sh', '-c', "grep ' /cache ' /proc/mounts"));
    expect(cacheMount).toMatch(/^tmpfs \/cache tmpfs rw.*size=16384k/);
    ok(await execIn('web', 'sh', '-c', 'echo kept > /cache/f'));
    const write = await execIn('web', 'sh', '-c', 'echo x > /etc/cfg/new');
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/Read-only file system/);
  }, 60_000);

  it('the ServiceAccount token the node projects: a JWT bound to the pod that the API accepts, with the CA and namespace', async () => {
    const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
    const token = ok(await execIn('web', 'cat', `${dir}/token`));
    expect(token.split('.')).toHaveLength(3);
    expect(ok(await execIn('web', 'cat', `${dir}/namespace`))).toBe('default');
    expect(ok(await execIn('web', 'cat', `${dir}/ca.crt`))).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string; 'kubernetes.io': { pod: { name: string } } };
    expect(claims.sub).toBe('system:serviceaccount:default:default');
    expect(claims['kubernetes.io'].pod.name).toBe('web');
    // The API takes it: what the pod would send (the node's service proxy is what makes the API reachable from inside);
    // RBAC lets the account read pods once it is bound to `view`.
    ok(await kubectl(['create', 'rolebinding', 'default-view', '--clusterrole=view', '--serviceaccount=default:default']));
    const read = await eventually('the token reads its pod', () => kubectl(['--token', token, 'get', 'pod', 'web', '-o', 'jsonpath={.metadata.name}']), (r) => r.code === 0, 15_000);
    expect(read.stdout).toBe('web');
  }, 60_000);

  it('a missing ConfigMap: Pending (ContainerCreating) with FailedMount until it is created', async () => {
    ok(await kubectl(['apply', '-f', '-'], WAITER));
    const failed = await eventually(
      'a FailedMount Event',
      async () => (await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=waiter,reason=FailedMount', '-o', 'jsonpath={.items[*].message}'])).stdout,
      (m) => m !== '',
      POD_DEADLINE_MS,
    );
    expect(failed).toContain('MountVolume.SetUp failed for volume "late" : configmap "late-config" not found');
    expect(await field('pod', 'waiter', '{.status.phase}')).toBe('Pending');
    expect(await eventually('STATUS ContainerCreating', () => podStatusColumn('waiter'), (s) => s === 'ContainerCreating', POD_DEADLINE_MS)).toBe('ContainerCreating');
    expect(ok(await kubectl(['describe', 'pod', 'waiter']))).toMatch(/Warning\s+FailedMount\s+.*MountVolume\.SetUp failed for volume "late" : configmap "late-config" not found/);

    ok(await kubectl(['create', 'configmap', 'late-config', '--from-literal=ready=yes']));
    await podPhase('waiter', 'Running');
    expect(ok(await execIn('waiter', 'cat', '/etc/late/ready'))).toBe('yes');
  }, 90_000);

  it('env from a missing Secret: CreateContainerConfigError until it exists', async () => {
    ok(await kubectl(['apply', '-f', '-'], ENV_WAITER));
    await eventually('CreateContainerConfigError', () => podStatusColumn('env-waiter'), (s) => s === 'CreateContainerConfigError', POD_DEADLINE_MS);
    expect(await field('pod', 'env-waiter', '{.status.containerStatuses[0].state.waiting.message}')).toBe('secret "late-secret" not found');
    ok(await kubectl(['create', 'secret', 'generic', 'late-secret', '--from-literal=TOKEN=abc']));
    await podPhase('env-waiter', 'Running');
    expect(ok(await execIn('env-waiter', 'sh', '-c', 'echo "$TOKEN"'))).toBe('abc\n');
  }, 90_000);

  it('deleting the pods removes their files and unmounts their tmpfs; the token bound to one no longer works', async () => {
    const uid = await field('pod', 'web', '{.metadata.uid}');
    const token = ok(await execIn('web', 'cat', '/var/run/secrets/kubernetes.io/serviceaccount/token'));
    const podsDir = join(dir, 'data', 'node', 'pods');
    expect(await readdir(podsDir)).toContain(uid);
    expect((await mountsUnder(join(podsDir, uid))).length).toBe(1);
    ok(await kubectl(['delete', 'pod', 'web', 'waiter', 'env-waiter', '--wait=true', '--timeout=60s']));
    await eventually('the pod files gone', () => readdir(podsDir).catch(() => [] as string[]), (names) => !names.includes(uid), POD_DEADLINE_MS);
    expect(await mountsUnder(join(dir, 'data'))).toEqual([]);
    // Nothing of it left in the node's data dir.
    await expect(readFile(join(podsDir, uid, 'volumes', 'cache', 'f'))).rejects.toMatchObject({ code: 'ENOENT' });
    // Its token was bound to it: the API refuses it now (so the check above really used it).
    const refused = await kubectl(['--token', token, 'get', 'pods']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Unauthorized|must be logged in/);
  }, 90_000);
});
