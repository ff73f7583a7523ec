/**
 * The Service data path against its anchor, in one run on one `kactus up` (Docker, pod network):
 * HTTP requests, each on a new TCP connection (connect + request + response + close), to
 *   - the pods directly by pod IP (the anchor: what the kernel costs without a Service), and
 *   - the Service's ClusterIP (kernel DNAT by the node's nftables proxy, random endpoint),
 * at concurrency 1 and 16, interleaved in rounds so machine load hits both alike; and DNS A
 * queries for the Service's name against the node's DNS server (UDP). The load comes from this
 * process, in the node's network namespace (as a pod's traffic does, it crosses the pod bridge).
 * Goal (issue 9): the Service path ≥ 90% of direct throughput, p99 ≤ 1.2× direct.
 *
 * `node --import tsx bench/services.ts [--requests N]`; needs root and Docker.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { DnsUdpClient, question } from '../node-daemon/network/dns/test-client.ts';
import { markdownTable, measure, type Measurement } from './lib.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const argRequests = process.argv.indexOf('--requests');
const REQUESTS = argRequests > 0 ? Number(process.argv[argRequests + 1]) : 3000;
const ROUNDS = 5;
const BLOCK = 251; // 10.251.0.0/16: pod and service CIDRs of this run
const node = `bench-svc-${randomBytes(3).toString('hex')}`;

const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  replicas: 2
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: busybox
        command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"]
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {tcpSocket: {port: http}, periodSeconds: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: loadgen}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: idle
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{name: http, port: 80, targetPort: http}]
`;

/** One measurement by bench/http-load.ts, from the loadgen pod's network namespace or from the node's. */
function load(fromPid: number | undefined, targets: string[], concurrency: number, requests: number): Promise<Measurement> {
  const node = [process.execPath, '--import', 'tsx', join(ROOT, 'bench/http-load.ts'), targets.join(','), String(concurrency), String(requests)];
  const argv = fromPid === undefined ? node : ['nsenter', '-t', String(fromPid), '-n', '--', ...node];
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { cwd: ROOT, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${argv.join(' ')}: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Measurement);
    });
  });
}

async function kubectl(kubeconfig: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)));
    child.stdin?.end(input ?? '');
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function median(ms: Measurement[]): Measurement {
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { opsPerSec: mid(ms.map((m) => m.opsPerSec)), p50: mid(ms.map((m) => m.p50)), p99: mid(ms.map((m) => m.p99)) };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/services.ts needs root (the pod network)');
  const dir = await mkdtemp(join(tmpdir(), 'kactus-bench-svc-'));
  const up = spawn(
    process.execPath,
    [join(ROOT, 'bin/kactus.js'), 'up', '--data-dir', dir, '--port', '0', '--node-name', node, '--cluster-cidr', `10.${BLOCK}.0.0/17`, '--service-cluster-ip-range', `10.${BLOCK}.128.0/20`],
    { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, KACTUS_LOG_LEVEL: 'warn' } },
  );
  let out = '';
  up.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  try {
    await until('kactus up ready', async () => (out.includes('kactus: ready') ? true : undefined));
    const kubeconfig = join(dir, 'kubeconfig');
    await kubectl(kubeconfig, ['apply', '-f', '-'], manifests);
    const pods = await until('two ready endpoints', async () => {
      const text = await kubectl(kubeconfig, ['get', 'endpointslices', '-l', 'kubernetes.io/service-name=echo', '-o', 'jsonpath={range .items[*].endpoints[?(@.conditions.ready==true)]}{.addresses[0]} {end}']);
      const ips = text.trim().split(/\s+/).filter(Boolean);
      return ips.length === 2 ? ips : undefined;
    });
    const clusterIP = (await kubectl(kubeconfig, ['get', 'svc', 'echo', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const podCIDR = (await kubectl(kubeconfig, ['get', 'node', node, '-o', 'jsonpath={.spec.podCIDR}'])).trim();
    const dnsServer = podCIDR.replace(/0\/24$/, '1');
    const docker = new Docker({ socketPath: '/var/run/docker.sock' });
    const loadgenPid = await until('the loadgen pod sandbox', async () => {
      const [sandbox] = await docker.listContainers({ filters: { label: ['io.kactus.pod-name=loadgen', 'io.kactus.role=sandbox'], status: ['running'] } });
      if (!sandbox || !(sandbox.Labels['io.kactus.node'] ?? '').startsWith(`${node}-`)) return undefined;
      return ((await docker.getContainer(sandbox.Id).inspect()) as { State: { Pid: number } }).State.Pid;
    });

    const rows: string[][] = [];
    for (const [from, pid] of [['pod', loadgenPid], ['node', undefined]] as const) {
      for (const concurrency of [1, 16]) {
        const direct: Measurement[] = [];
        const service: Measurement[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          direct.push(await load(pid, pods.map((ip) => `${ip}:8080`), concurrency, REQUESTS));
          service.push(await load(pid, [`${clusterIP}:80`], concurrency, REQUESTS));
        }
        const d = median(direct);
        const s = median(service);
        rows.push([from, 'pod IP direct (anchor)', String(concurrency), d.opsPerSec.toFixed(0), d.p50.toFixed(2), d.p99.toFixed(2), '1.00x', '1.00x']);
        rows.push([from, 'Service ClusterIP (nftables DNAT)', String(concurrency), s.opsPerSec.toFixed(0), s.p50.toFixed(2), s.p99.toFixed(2), `${(s.opsPerSec / d.opsPerSec).toFixed(2)}x`, `${(s.p99 / d.p99).toFixed(2)}x`]);
      }
    }
    console.log(`HTTP GET, a new TCP connection per request, ${REQUESTS} per measurement, to 2 busybox httpd pods; median of ${ROUNDS} interleaved rounds\n`);
    console.log(markdownTable(['from', 'path', 'concurrency', 'req/s', 'p50 ms', 'p99 ms', 'throughput vs direct', 'p99 vs direct'], rows));

    const dns = new DnsUdpClient(53, dnsServer);
    const name = 'echo.default.svc.cluster.local';
    const dnsRows: string[][] = [];
    for (const concurrency of [1, 64]) {
      const rounds: Measurement[] = [];
      for (let r = 0; r < ROUNDS; r++) rounds.push(await measure(concurrency, 20_000, () => dns.query(question(name, 'A'))));
      const m = median(rounds);
      dnsRows.push([`A ${name}`, String(concurrency), m.opsPerSec.toFixed(0), (m.p50 * 1000).toFixed(0), (m.p99 * 1000).toFixed(0)]);
    }
    dns.close();
    console.log(`\nDNS over UDP to the node's DNS server (${dnsServer}:53, in the kactus process), from the node\n`);
    console.log(markdownTable(['query', 'concurrency', 'queries/s', 'p50 µs', 'p99 µs'], dnsRows));
    await kubectl(kubeconfig, ['delete', '-f', '-', '--wait=false'], manifests).catch(() => undefined);
  } finally {
    up.kill('SIGTERM');
    await new Promise((r) => up.once('exit', r));
    const docker = new Docker({ socketPath: '/var/run/docker.sock' });
    for (const c of await docker.listContainers({ all: true, filters: { label: ['io.kactus.node'] } })) {
      if ((c.Labels['io.kactus.node'] ?? '').startsWith(`${node}-`)) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    }
    for (const n of (await docker.listNetworks({ filters: { label: ['io.kactus.node'] } })) as { Id: string; Labels?: Record<string, string> }[]) {
      if ((n.Labels?.['io.kactus.node'] ?? '').startsWith(`${node}-`)) await docker.getNetwork(n.Id).remove().catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
