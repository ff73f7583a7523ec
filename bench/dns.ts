/**
 * Cluster DNS benchmark: `node --import tsx bench/dns.ts`.
 *
 * A zone of 1,000 Services (900 ClusterIP with 3 endpoints each, 100 headless with 3 named
 * endpoints) is served on loopback; this process sends A queries for ClusterIP names over UDP
 * at concurrency 1 and 64 and measures queries/s and latency. Each server runs as its own
 * process, so the load generator does not share its event loop:
 * - kactus: `startClusterDnsServer` (node-daemon/network/dns);
 * - dns-packet echo (the floor): decode each query and encode one fixed A answer — what any
 *   Node.js server built on the same DNS library costs at least;
 * - dnsmasq (the anchor, when Debian's dnsmasq-base is installed): the same names from a hosts file.
 * A second table times the records: building 10,000 Services, one change among them (full-list
 * `update` and single `upsertService`), and answering one question from the index.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ClusterDnsRecords } from '../node-daemon/network/dns/records.ts';
import { resolveQuestion } from '../node-daemon/network/dns/resolve.ts';
import { bindUdpAndTcp, startClusterDnsServer } from '../node-daemon/network/dns/server.ts';
import { clusterIPService, endpointSlice, headlessService } from '../node-daemon/network/dns/test-cluster.ts';
import { DnsUdpClient, question } from '../node-daemon/network/dns/test-client.ts';
import { markdownTable, measure, processCpuMs, type Measurement } from './lib.ts';

const SERVICES = 1000;
const HEADLESS_EVERY = 10;
/** [concurrency, queries] per cell. */
const CELLS: readonly [number, number][] = [
  [1, 5000],
  [64, 50_000],
];
const WARMUP = 2000;
const DNSMASQ = '/usr/sbin/dnsmasq';

/** Service i: `svc-<i>.ns-<i % 20>`, ClusterIP 10.96.x.y, or headless every 10th. */
function zone(count: number, version = '1'): { services: Service[]; slices: EndpointSlice[]; names: string[]; ips: string[] } {
  const services: Service[] = [];
  const slices: EndpointSlice[] = [];
  const names: string[] = [];
  const ips: string[] = [];
  for (let i = 0; i < count; i++) {
    const namespace = `ns-${i % 20}`;
    const name = `svc-${i}`;
    const endpoints = [0, 1, 2].map((k) => ({
      ip: `10.${244 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${(i % 256) ^ (k << 6)}`,
      ...(i % HEADLESS_EVERY === 0 ? { hostname: `${name}-${k}` } : {}),
    }));
    const ports = [
      { name: 'http', port: 80, protocol: 'TCP' },
      { name: 'metrics', port: 9090, protocol: 'TCP' },
    ];
    if (i % HEADLESS_EVERY === 0) {
      services.push(headlessService(namespace, name, ports, version));
    } else {
      const ip = `10.${96 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`;
      services.push(clusterIPService(namespace, name, [ip], ports, version));
      names.push(`${name}.${namespace}.svc.cluster.local`);
      ips.push(ip);
    }
    slices.push(endpointSlice(namespace, `${name}-abcde`, name, endpoints, ports, { resourceVersion: version }));
  }
  return { services, slices, names, ips };
}

// ---- server roles (child processes) ----

async function serveKactus(): Promise<number> {
  const server = await startClusterDnsServer({ address: '127.0.0.1', port: 0, upstreams: [] });
  const { services, slices } = zone(SERVICES);
  server.update(services, slices);
  return server.port;
}

async function serveEcho(): Promise<number> {
  const { udp, tcp, port } = await bindUdpAndTcp('127.0.0.1', 'udp4', 0);
  tcp.close();
  udp.on('message', (bytes, peer) => {
    let query;
    try {
      query = dnsPacket.decode(bytes);
    } catch {
      return;
    }
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | (query.flags ?? 0),
      questions: query.questions ?? [],
      answers: [{ name: query.questions?.[0]?.name ?? '.', type: 'A', ttl: 5, data: '10.96.0.1' }],
    });
    udp.send(reply, peer.port, peer.address);
  });
  return port;
}

// ---- load generator ----

interface Subject {
  name: string;
  port: number;
  pid: number;
}

function startRole(role: 'kactus' | 'echo'): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'serve', role], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${role} server exited (${code}) before it listened`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve({ child, port: (JSON.parse(line) as { port: number }).port }));
  });
}

async function freePort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function startDnsmasq(dir: string, names: string[], ips: string[]): Promise<{ child: ChildProcess; port: number }> {
  const hosts = join(dir, 'hosts');
  await writeFile(hosts, names.map((name, i) => `${ips[i]} ${name}\n`).join(''));
  const port = await freePort();
  const child = spawn(
    DNSMASQ,
    [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      `--addn-hosts=${hosts}`,
      '--local=/cluster.local/',
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      `--port=${port}`,
      '--pid-file=',
      '--user=root',
      '--cache-size=10000',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return { child, port };
}

/** One query's reply must be NOERROR with an answer: a benchmark of errors would be fast and meaningless. */
async function checkedQuery(client: DnsUdpClient, name: string): Promise<void> {
  const reply = await client.raw(question(name, 'A'), 5000);
  if ((reply.readUInt16BE(2) & 0xf) !== 0 || reply.readUInt16BE(6) === 0) throw new Error(`bad answer for ${name}: ${JSON.stringify(dnsPacket.decode(reply))}`);
}

async function waitAnswering(client: DnsUdpClient, name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await client.raw(question(name, 'A'), 200);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
}

async function runCell(subject: Subject, names: string[], concurrency: number, n: number): Promise<Measurement & { cpuMsPerOp: number }> {
  const client = new DnsUdpClient(subject.port);
  try {
    await waitAnswering(client, names[0]!);
    await measure(concurrency, WARMUP, (i) => checkedQuery(client, names[i % names.length]!));
    const cpuBefore = processCpuMs(subject.pid);
    const result = await measure(concurrency, n, (i) => checkedQuery(client, names[(i * 7919) % names.length]!));
    return { ...result, cpuMsPerOp: (processCpuMs(subject.pid) - cpuBefore) / n };
  } finally {
    client.close();
  }
}

function time<T>(op: () => T): { ms: number; value: T } {
  const started = performance.now();
  const value = op();
  return { ms: performance.now() - started, value };
}

/** Records maintenance on 10,000 Services, in this process. */
function recordsTable(): string {
  const big = zone(10_000);
  const records = new ClusterDnsRecords();
  const build = time(() => records.update(big.services, big.slices));
  const changedServices = big.services.map((service, i) => (i === 4321 ? clusterIPService('ns-1', 'svc-4321', ['10.200.0.1'], [{ name: 'http', port: 80 }], '2') : service));
  const oneChange = time(() => records.update(changedServices, big.slices));
  const rounds = 1000;
  const upserts = time(() => {
    for (let i = 0; i < rounds; i++) records.upsertService(clusterIPService('ns-1', 'svc-4321', ['10.200.0.1'], [{ name: 'http', port: 80 }], String(3 + i)));
  });
  const lookups = 200_000;
  const lookup = time(() => {
    for (let i = 0; i < lookups; i++) resolveQuestion(records, { name: big.names[i % big.names.length]!, type: 'A' });
  });
  const again = zone(10_000, '9');
  const rebuild = time(() => records.update(again.services, again.slices));
  return markdownTable(
    ['operation (10,000 Services, 10,000 EndpointSlices)', 'ms', 'Services rebuilt'],
    [
      ['first `update` (build everything)', build.ms.toFixed(1), String(build.value.rebuilt)],
      ['`update` with one Service changed (full lists diffed)', oneChange.ms.toFixed(2), String(oneChange.value.rebuilt)],
      ['`upsertService` of one Service', (upserts.ms / rounds).toFixed(4), '1'],
      ['`update` with every object changed (everything rebuilt)', rebuild.ms.toFixed(1), String(rebuild.value.rebuilt)],
      ['`resolveQuestion` A of a ClusterIP name', (lookup.ms / lookups).toFixed(4), '–'],
    ],
  );
}

async function main(): Promise<void> {
  const { names, ips } = zone(SERVICES);
  const dir = await mkdtemp(join(tmpdir(), 'kactus-bench-dns-'));
  const children: ChildProcess[] = [];
  try {
    const subjects: Subject[] = [];
    const echo = await startRole('echo');
    children.push(echo.child);
    subjects.push({ name: 'dns-packet echo (floor)', port: echo.port, pid: echo.child.pid! });
    if (existsSync(DNSMASQ)) {
      const dnsmasq = await startDnsmasq(dir, names, ips);
      children.push(dnsmasq.child);
      const version = /version (\S+)/i.exec(execFileSync(DNSMASQ, ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
      subjects.push({ name: `dnsmasq ${version} (anchor)`, port: dnsmasq.port, pid: dnsmasq.child.pid! });
    } else {
      console.error(`${DNSMASQ} not found: dnsmasq row skipped (apt-get install dnsmasq-base)`);
    }
    const kactus = await startRole('kactus');
    children.push(kactus.child);
    subjects.push({ name: 'kactus cluster DNS', port: kactus.port, pid: kactus.child.pid! });

    const rows: string[][] = [];
    for (const [concurrency, n] of CELLS) {
      let floor: Measurement | undefined;
      for (const subject of subjects) {
        const result = await runCell(subject, names, concurrency, n);
        floor ??= result;
        rows.push([
          subject.name,
          String(concurrency),
          String(n),
          result.opsPerSec.toFixed(0),
          (result.p50 * 1000).toFixed(0),
          (result.p99 * 1000).toFixed(0),
          `${(result.opsPerSec / floor.opsPerSec).toFixed(2)}x`,
          (result.cpuMsPerOp * 1000).toFixed(1),
        ]);
        console.error(`done: ${subject.name} c=${concurrency}`);
      }
    }
    console.log(`cluster DNS, A queries over UDP on loopback, ${SERVICES} Services, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, node ${process.version}`);
    console.log(markdownTable(['server', 'concurrency', 'queries', 'queries/s', 'p50 µs', 'p99 µs', 'vs floor', 'server CPU µs/query'], rows));
    console.log('');
    console.log(recordsTable());
  } finally {
    for (const child of children) child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'serve') {
  const role = process.argv[3];
  const port = role === 'kactus' ? await serveKactus() : await serveEcho();
  process.stdout.write(`${JSON.stringify({ port })}\n`);
} else {
  await main();
}
