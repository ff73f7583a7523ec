/**
 * Services from a user's seat, on `kactus up` with real Docker and the real kubectl: pods on the
 * node's pod bridge reach a Deployment through its Service by DNS name (kernel DNAT, both backends
 * answer), nslookup resolves a ClusterIP, a headless Service's pod IPs and an SRV record, a pod whose
 * readiness probe fails leaves the EndpointSlice within one period plus 100 ms and comes back, a
 * NodePort answers on the node's address, and a client sending requests through the Service during
 * a rolling update sees no failure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp } from '../support/docker.ts';
import { eventually, kubectlFor, ok, startKactusUp, uniqueName, watchApi, type KactusServer, type Kubectl } from './harness.ts';
import { removeNodeLeftovers } from './node-containers.ts';

const docker = dockerClient();
const enabled = (dockerRequired() || (await isDockerUp(docker))) && process.getuid?.() === 0;
if (!enabled && dockerRequired()) throw new Error('CI=true: the services e2e test needs Docker and root');
const nodeName = uniqueName('e2e-svc-');
const DEADLINE_MS = 60_000;

let dir: string;
let up: KactusServer | undefined;
let kubectl: Kubectl;

/**
 * A web server that says which pod answered, ready once /tmp/ready exists, and that drains on
 * SIGTERM (keeps serving 2 s, as an application with a graceful shutdown does), so a rolling update
 * can be loss-free.
 */
const webTemplate = (version: string) => `
    metadata:
      labels: {app: web}
      annotations: {version: "${version}"}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: httpd
        image: busybox
        command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && touch /tmp/ready && httpd -f -p 8080 -h /www & pid=$!; trap 'sleep 2; kill $pid; exit 0' TERM; wait"]
        ports: [{name: http, containerPort: 8080}]
        readinessProbe:
          exec: {command: [test, -f, /tmp/ready]}
          periodSeconds: 1
          failureThreshold: 1`;

const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}
  template:${webTemplate('1')}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-headless}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-nodeport}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: tools}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: tools
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`;

async function get(resource: string, path: string): Promise<string> {
  return ok(await kubectl(['get', ...resource.split(' '), '-o', `jsonpath=${path}`]));
}

async function webPods(): Promise<{ name: string; ip: string }[]> {
  const out = await get('pods -l app=web', '{range .items[*]}{.metadata.name} {.status.podIP} {.metadata.deletionTimestamp}{"\\n"}{end}');
  return out
    .split('\n')
    .map((l) => l.trim().split(' '))
    .filter((f) => f.length === 2 && f[1] !== '')
    .map(([name, ip]) => ({ name: name!, ip: ip! }));
}

async function readyAddresses(service: string): Promise<string[]> {
  const out = await get(`endpointslices -l kubernetes.io/service-name=${service}`, '{range .items[*].endpoints[*]}{.addresses[0]} {.conditions.ready}{"\\n"}{end}');
  return out
    .split('\n')
    .map((l) => l.trim().split(' '))
    .filter(([, ready]) => ready === 'true')
    .map(([ip]) => ip!)
    .sort();
}

describe.skipIf(!enabled)('Services, pod network and cluster DNS on one node', () => {
  beforeAll(async () => {
    await ensureBusyboxImage(docker);
    dir = await mkdtemp(join(tmpdir(), 'kactus-svc-'));
    up = await startKactusUp(join(dir, 'up'), { args: ['--node-name', nodeName] });
    kubectl = kubectlFor(up.kubeconfig, dir);
    ok(await kubectl(['apply', '-f', '-'], manifests));
    await eventually('two web pods ready in the slice', async () => (await readyAddresses('web')).length, (n) => n === 2, DEADLINE_MS);
    await eventually('tools Running', () => get('pod tools', '{.status.phase}'), (p) => p === 'Running', DEADLINE_MS);
  }, 120_000);

  afterAll(async () => {
    await up?.proc.kill('SIGTERM');
    await up?.proc.exited;
    await removeNodeLeftovers(docker, nodeName);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gives pods addresses of the node pod CIDR and the Service a ClusterIP from the service range', async () => {
    const podCIDR = await get(`node ${nodeName}`, '{.spec.podCIDR}');
    const prefix = podCIDR.replace(/\.0\/24$/, '.');
    for (const pod of await webPods()) expect(pod.ip.startsWith(prefix)).toBe(true);
    expect(await get('service web', '{.spec.clusterIP}')).toMatch(/^10\.\d+\.1(2[89]|3\d|4[0-3])\.\d+$/);
  });

  it('a client pod fetches http://web.default.svc.cluster.local/ 30 times, 0 failures, both backends answering', async () => {
    const out = ok(
      await kubectl([
        'exec',
        'tools',
        '--',
        'sh',
        '-c',
        'for i in $(seq 30); do timeout 5 wget -q -O - http://web.default.svc.cluster.local/ || echo FAIL; done',
      ]),
    );
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(30);
    expect(lines.filter((l) => l === 'FAIL')).toEqual([]);
    const names = (await webPods()).map((p) => p.name).sort();
    expect([...new Set(lines)].sort()).toEqual(names);
  });

  it('nslookup resolves the ClusterIP, the headless Service to pod IPs, and an SRV record; pods get the cluster resolv.conf', async () => {
    const clusterIP = await get('service web', '{.spec.clusterIP}');
    const a = ok(await kubectl(['exec', 'tools', '--', 'nslookup', 'web.default.svc.cluster.local']));
    expect(a).toContain(`Address: ${clusterIP}`);
    expect(a).not.toMatch(/NXDOMAIN|SERVFAIL|can't resolve/);
    // A short name goes through the search list; busybox also prints (and exits 1 for) the
    // NXDOMAIN of the other expansions, as the DNS specification has them.
    const short = (await kubectl(['exec', 'tools', '--', 'nslookup', 'web'])).stdout;
    expect(short).toContain(`Address: ${clusterIP}`);

    const headless = ok(await kubectl(['exec', 'tools', '--', 'nslookup', 'web-headless.default.svc.cluster.local']));
    for (const pod of await webPods()) expect(headless).toContain(`Address: ${pod.ip}`);

    // Absolute (trailing dot): busybox 1.35's nslookup crashes walking the search list for SRV.
    const srv = ok(await kubectl(['exec', 'tools', '--', 'nslookup', '-type=SRV', '_http._tcp.web.default.svc.cluster.local.']));
    expect(srv).toMatch(/web\.default\.svc\.cluster\.local/);
    expect(srv).toMatch(/\b80\b/);

    const resolv = ok(await kubectl(['exec', 'tools', '--', 'cat', '/etc/resolv.conf']));
    expect(resolv).toMatch(/^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/m);
    expect(resolv).toMatch(/^options ndots:5/m);
  });

  it('a pod whose readiness probe fails leaves the EndpointSlice within one period + 100 ms, and comes back', async () => {
    const [victim] = await webPods();
    const watch = await watchApi(up!.kubeconfig, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {
      labelSelector: 'kubernetes.io/service-name=web',
    });
    try {
      const notReady = (events: { object: Record<string, unknown> }[]) =>
        events.some((e) =>
          ((e.object.endpoints ?? []) as { addresses: string[]; conditions?: { ready?: boolean } }[]).some((ep) => ep.addresses[0] === victim!.ip && ep.conditions?.ready === false),
        );
      ok(await kubectl(['exec', victim!.name, '--', 'rm', '/tmp/ready']));
      const removedAt = Date.now();
      await watch.until('the victim not ready in the slice', notReady, 10_000);
      const took = Date.now() - removedAt;
      // periodSeconds 1, failureThreshold 1: the next probe fails at most 1 s after the removal.
      expect(took).toBeLessThanOrEqual(1100);
      expect(await readyAddresses('web')).not.toContain(victim!.ip);
      ok(await kubectl(['exec', victim!.name, '--', 'touch', '/tmp/ready']));
      await eventually('the victim ready again', () => readyAddresses('web'), (ips) => ips.includes(victim!.ip), 5_000);
    } finally {
      watch.close();
    }
  });

  it('a NodePort answers on the node\'s address', async () => {
    const nodePort = Number(await get('service web-nodeport', '{.spec.ports[0].nodePort}'));
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    const podCIDR = await get(`node ${nodeName}`, '{.spec.podCIDR}');
    // The node's own address on its pod bridge (kactus up's InternalIP is loopback, which the kernel
    // does not route to pods).
    const nodeAddress = podCIDR.replace(/\.0\/24$/, '.1');
    const names = (await webPods()).map((p) => p.name);
    const body = await httpGet(`http://${nodeAddress}:${nodePort}/`);
    expect(names).toContain(body.trim());
  });

  it('a client sending requests through the Service during a rolling update sees no failure', async () => {
    ok(await kubectl(['exec', 'tools', '--', 'rm', '-f', '/tmp/stop']));
    const client = kubectl([
      'exec',
      'tools',
      '--',
      'sh',
      '-c',
      'ok=0; failed=0; while [ ! -f /tmp/stop ]; do if timeout 5 wget -q -O /dev/null http://web/; then ok=$((ok+1)); else failed=$((failed+1)); fi; done; echo "ok=$ok failed=$failed"',
    ]);
    const before = (await webPods()).map((p) => p.name);
    ok(await kubectl(['patch', 'deployment', 'web', '--type=merge', '-p', '{"spec":{"template":{"metadata":{"annotations":{"version":"2"}}}}}']));
    ok((await kubectl(['rollout', 'status', 'deployment/web', '--timeout=120s'])));
    await eventually('old pods gone', () => webPods(), (pods) => pods.length === 2 && pods.every((p) => !before.includes(p.name)), DEADLINE_MS);
    ok(await kubectl(['exec', 'tools', '--', 'touch', '/tmp/stop']));
    const out = ok(await client);
    const m = /ok=(\d+) failed=(\d+)/.exec(out);
    expect(m, out).not.toBeNull();
    console.log(`rolling update: ${m![1]} requests through the Service, ${m![2]} failed`);
    expect(Number(m![2])).toBe(0);
    expect(Number(m![1])).toBeGreaterThan(20);
  }, 180_000);
});

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
