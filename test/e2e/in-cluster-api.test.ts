/**
 * A pod reads the API with its mounted ServiceAccount token, from a user's seat: `kactus up` with
 * real Docker and the pod network, the real kubectl for setup. A busybox pod (the `default`
 * ServiceAccount's projected token, ca.crt and namespace at the Kubernetes path) lists pods with
 * `wget` at `https://kubernetes.default.svc` and at `$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`
 * — kernel DNAT from the `kubernetes` Service's ClusterIP:443 to the API on the node's pod bridge
 * gateway — and gets a PodList; a wrong token gets 401. busybox wget cannot verify TLS, so the
 * chain is verified from the host: the pod's own ca.crt (copied out with `kubectl exec cat`)
 * against the certificate the Service's endpoint serves, for the Service's DNS names and its
 * ClusterIP.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkServerIdentity, connect, type PeerCertificate } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp } from '../support/docker.ts';
import { eventually, kubectlFor, ok, startKactusUp, uniqueName, type KactusServer, type Kubectl } from './harness.ts';
import { removeNodeLeftovers } from './node-containers.ts';

const docker = dockerClient();
const enabled = (dockerRequired() || (await isDockerUp(docker))) && process.getuid?.() === 0;
if (!enabled && dockerRequired()) throw new Error('CI=true: the in-cluster API e2e test needs Docker and root');
const nodeName = uniqueName('e2e-incl-');
const DEADLINE_MS = 60_000;
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

const CLIENT = `apiVersion: v1
kind: Pod
metadata: {name: api-client}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: client
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`;

/** busybox wget of the pod list at `base` with `token` (a shell expression), inside the pod; `timeout 5` since busybox 1.35's `-T` crashes. */
function wgetPods(base: string, token: string): string[] {
  const script = `timeout 5 wget -q -O - --no-check-certificate --header "Authorization: Bearer ${token}" "${base}/api/v1/namespaces/default/pods"`;
  return ['exec', 'api-client', '--', 'sh', '-c', script];
}

/** The TLS handshake to host:port, the chain verified against `ca` and the certificate checked for `servername`. */
function verifiedPeer(host: string, port: number, ca: string, servername: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, ca, servername }, () => {
      const peer = socket.getPeerCertificate();
      socket.end();
      resolve(peer);
    });
    socket.on('error', reject);
  });
}

let dir: string;
let up: KactusServer | undefined;
let kubectl: Kubectl;

async function get(resource: string, path: string): Promise<string> {
  return ok(await kubectl(['get', ...resource.split(' '), '-o', `jsonpath=${path}`]));
}

describe.skipIf(!enabled)('a pod reads the API with its ServiceAccount token', () => {
  beforeAll(async () => {
    await ensureBusyboxImage(docker);
    dir = await mkdtemp(join(tmpdir(), 'kactus-incluster-'));
    up = await startKactusUp(join(dir, 'up'), { args: ['--node-name', nodeName] });
    kubectl = kubectlFor(up.kubeconfig, dir);
    await eventually('the default ServiceAccount', () => kubectl(['get', 'serviceaccount', 'default']), (r) => r.code === 0, DEADLINE_MS);
    // RBAC: the pod's account reads pods once bound to `view` (as on any Kubernetes cluster).
    ok(await kubectl(['create', 'rolebinding', 'default-view', '--clusterrole=view', '--serviceaccount=default:default']));
    ok(await kubectl(['apply', '-f', '-'], CLIENT));
    await eventually('api-client Running', () => get('pod api-client', '{.status.phase}'), (p) => p === 'Running', DEADLINE_MS);
  }, 120_000);

  afterAll(async () => {
    await up?.proc.kill('SIGTERM');
    await up?.proc.exited;
    await removeNodeLeftovers(docker, nodeName);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('advertises the node pod bridge gateway, not loopback, as the kubernetes Service endpoint', async () => {
    const podCIDR = await get(`node ${nodeName}`, '{.spec.podCIDR}');
    const gateway = podCIDR.replace(/\.0\/\d+$/, '.1');
    const endpoint = await eventually('the kubernetes Endpoints on the gateway', () => get('endpoints kubernetes', '{.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}'), (e) => e.startsWith(`${gateway}:`), DEADLINE_MS);
    expect(endpoint).toBe(`${gateway}:${up!.port}`);
    expect(await get('service kubernetes', '{.spec.ports[0].port} {.spec.ports[0].targetPort}')).toBe(`443 ${up!.port}`);
  }, 90_000);

  it('lists pods at https://kubernetes.default.svc with the mounted token: 200 and a PodList', async () => {
    const out = await eventually(
      'a PodList through kubernetes.default.svc',
      async () => (await kubectl(wgetPods('https://kubernetes.default.svc', `$(cat ${SA_DIR}/token)`))).stdout,
      (o) => o.includes('"kind":"PodList"'),
      DEADLINE_MS,
    );
    const list = JSON.parse(out) as { kind: string; items: { metadata: { name: string } }[] };
    expect(list.kind).toBe('PodList');
    expect(list.items.map((p) => p.metadata.name)).toContain('api-client');
  }, 90_000);

  it('lists pods at $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, the Service ClusterIP and 443', async () => {
    const clusterIP = await get('service kubernetes', '{.spec.clusterIP}');
    expect(ok(await kubectl(['exec', 'api-client', '--', 'sh', '-c', 'echo $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT'])).trim()).toBe(`${clusterIP}:443`);
    const out = await eventually(
      'a PodList through the env address',
      async () => (await kubectl(wgetPods('https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT', `$(cat ${SA_DIR}/token)`))).stdout,
      (o) => o.includes('"kind":"PodList"'),
      DEADLINE_MS,
    );
    expect((JSON.parse(out) as { items: { metadata: { name: string } }[] }).items.map((p) => p.metadata.name)).toContain('api-client');
  }, 90_000);

  it('a wrong token gets 401', async () => {
    const r = await kubectl(wgetPods('https://kubernetes.default.svc', 'not-a-token'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/401 Unauthorized/);
    // And one that looks right but was not signed by the cluster.
    const forged = await kubectl(wgetPods('https://kubernetes.default.svc', `$(cat ${SA_DIR}/token | sed 's/.....$/AAAAA/')`));
    expect(forged.stderr).toMatch(/401 Unauthorized/);
  }, 30_000);

  it('the endpoint serves a certificate the pod\'s ca.crt verifies for the Service names and ClusterIP', async () => {
    const ca = ok(await kubectl(['exec', 'api-client', '--', 'cat', `${SA_DIR}/ca.crt`]));
    expect(ok(await kubectl(['exec', 'api-client', '--', 'cat', `${SA_DIR}/namespace`]))).toBe('default');
    const [ip, port] = (await get('endpoints kubernetes', '{.subsets[0].addresses[0].ip} {.subsets[0].ports[0].port}')).split(' ');
    const clusterIP = await get('service kubernetes', '{.spec.clusterIP}');
    for (const name of ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local']) {
      const peer = await verifiedPeer(ip!, Number(port), ca, name);
      expect(checkServerIdentity(clusterIP, peer)).toBeUndefined();
    }
    // A name the certificate does not carry fails: the check is real.
    await expect(verifiedPeer(ip!, Number(port), ca, 'kubernetes.other')).rejects.toThrow(/altnames/);
    // The pod's ca.crt is the cluster CA kubectl trusts.
    const kubeconfigCa = ok(await kubectl(['config', 'view', '--raw', '-o', 'jsonpath={.clusters[0].cluster.certificate-authority-data}']));
    expect(Buffer.from(kubeconfigCa, 'base64').toString('utf8')).toBe(ca);
  });
});
