/**
 * API create-path benchmark: `node --import tsx bench/api-create.ts`.
 *
 * The full write path a client pays for — HTTPS, bearer auth, decoding, defaulting, validation
 * (kubernetes-models), metadata, CAS create in the store, encoding the answer — measured as
 * ConfigMap creates (1 KB of data) through a `kactus master` process, beside the raw etcd3 `put`
 * of a 1 KB value against the same etcd member in the same run (the anchor). Also `kactus master`
 * over the embedded store. The API servers run as their own processes, as users run them; the
 * load comes from this process over keep-alive HTTPS (as client-go keeps its connections).
 * Goal from the issue: at concurrency 64 the API over etcd reaches at least 50% of the raw put
 * throughput.
 */
import { Agent, request } from 'node:https';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { parse } from 'yaml';
import { startEtcdCluster } from '../test/support/etcd.ts';
import { markdownTable, measure, processCpuMs, type Measurement } from './lib.ts';
import { ensureDefaultEncryptionConfig } from '../src/registry/encryption/config-file.ts';

const VALUE = 'x'.repeat(1024);
const CELLS: readonly [number, number][] = [
  [1, 1000],
  [64, 5000],
];
const WARMUP = 200;

interface Subject {
  name: string;
  op(i: number, cell: string): Promise<unknown>;
  /** The server-side process serving it (the master), if any; etcd's members are counted for all. */
  serverPid?: number;
}

/** CPU each process spent per operation during a cell, in ms: where the time of one op goes. */
interface CpuPerOp {
  loadGenerator: number;
  master: number | undefined;
  etcd: number;
}

interface MasterProcess {
  url: string;
  caCertPem: string;
  adminToken: string;
  child: ChildProcess;
}

const KACTUS = fileURLToPath(new URL('../bin/kactus.js', import.meta.url));

/** Start `kactus master` and read its URL and credentials from the kubeconfig it writes. */
async function startMaster(dataDir: string, storeUri: string): Promise<MasterProcess> {
  // A master over etcd must be told how Secrets are sealed (src/cli/encryption-flag.ts).
  const encryption = storeUri.startsWith('etcd://') ? ['--encryption-provider-config', (await ensureDefaultEncryptionConfig(dataDir)).path] : [];
  const child = spawn(process.execPath, [KACTUS, 'master', '--data-dir', dataDir, '--port', '0', '--store', storeUri, ...encryption], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, KACTUS_LOG_LEVEL: 'warn' },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`kactus master did not start: ${out}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /kactus: API server listening on (\S+)[\s\S]*kactus: kubeconfig written/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`kactus master exited with ${code}: ${out}`)));
  });
  const cfg = parse(await readFile(join(dataDir, 'kubeconfig'), 'utf8')) as {
    clusters: { cluster: { 'certificate-authority-data': string } }[];
    users: { user: { token: string } }[];
  };
  return {
    url,
    child,
    caCertPem: Buffer.from(cfg.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString(),
    adminToken: cfg.users[0]!.user.token,
  };
}

async function stopMaster(m: MasterProcess): Promise<void> {
  if (m.child.exitCode !== null) return;
  const exited = new Promise((r) => m.child.once('exit', r));
  m.child.kill('SIGTERM');
  await exited;
}

/** One keep-alive HTTPS client, as kubectl and client-go keep their connections. */
function apiSubject(name: string, server: MasterProcess): Subject {
  const agent = new Agent({ keepAlive: true, maxSockets: 64, ca: server.caCertPem });
  const url = new URL(server.url);
  return {
    name,
    serverPid: server.child.pid,
    op: (i, cell) =>
      new Promise<void>((resolve, reject) => {
        const body = JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `cm-${cell}-${i}`, namespace: 'default' },
          data: { value: VALUE },
        });
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path: '/api/v1/namespaces/default/configmaps',
            method: 'POST',
            agent,
            headers: {
              authorization: `Bearer ${server.adminToken}`,
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`create answered ${res.statusCode}`))));
          },
        );
        req.on('error', reject);
        req.end(body);
      }),
  };
}

async function runCell(
  subject: Subject,
  concurrency: number,
  n: number,
  cell: string,
  etcdPids: number[],
): Promise<Measurement & { cpu: CpuPerOp }> {
  await measure(concurrency, WARMUP, (i) => subject.op(i, `${cell}-warm`));
  const etcdCpu = (): number => etcdPids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
  const before = { self: process.cpuUsage(), master: subject.serverPid && processCpuMs(subject.serverPid), etcd: etcdCpu() };
  const r = await measure(concurrency, n, (i) => subject.op(i, cell));
  const self = process.cpuUsage(before.self);
  const cpu: CpuPerOp = {
    loadGenerator: (self.user + self.system) / 1000 / n,
    master: subject.serverPid ? (processCpuMs(subject.serverPid) - (before.master || 0)) / n : undefined,
    etcd: (etcdCpu() - before.etcd) / n,
  };
  return { ...r, cpu };
}

const ms = (v: number | undefined): string => (v === undefined ? '–' : v.toFixed(2));

async function main(): Promise<void> {
  const cluster = await startEtcdCluster({ members: 1, heartbeatMs: 100, electionTimeoutMs: 1000 });
  const dirs = await Promise.all([mkdtemp(join(tmpdir(), 'kactus-bench-api-etcd-')), mkdtemp(join(tmpdir(), 'kactus-bench-api-emb-'))]);
  const raw = new Etcd3({ hosts: cluster.endpoints });
  const servers: MasterProcess[] = [];
  try {
    const overEtcd = await startMaster(dirs[0]!, cluster.uri);
    servers.push(overEtcd);
    const overEmbedded = await startMaster(dirs[1]!, `embedded://${join(dirs[1]!, 'store')}`);
    servers.push(overEmbedded);
    const anchor: Subject = { name: 'etcd3 put (anchor)', op: (i, cell) => raw.put(`/bench/raw/${cell}/${i}`).value(VALUE).exec() };
    const subjects = [anchor, apiSubject('API create over etcd', overEtcd), apiSubject('API create over embedded', overEmbedded)];
    const rows: string[][] = [];
    let goal = '';
    for (const [concurrency, n] of CELLS) {
      let anchorResult: Measurement | undefined;
      for (const s of subjects) {
        const r = await runCell(s, concurrency, n, `c${concurrency}`, cluster.pids());
        anchorResult ??= r;
        const ratio = r.opsPerSec / anchorResult.opsPerSec;
        rows.push([s.name, String(concurrency), String(n), r.opsPerSec.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), anchorResult.opsPerSec.toFixed(0), `${ratio.toFixed(2)}x`, ms(r.cpu.loadGenerator), ms(r.cpu.master), ms(r.cpu.etcd)]);
        if (concurrency === 64 && s.name === 'API create over etcd') {
          goal = `goal (API over etcd >= 0.50x raw put at c=64): ${ratio >= 0.5 ? 'met' : 'NOT met'} (${ratio.toFixed(2)}x)`;
        }
      }
    }
    console.log(markdownTable(['subject', 'concurrency', 'n', 'ops/s', 'p50 ms', 'p99 ms', 'anchor ops/s', 'vs anchor', 'CPU ms/op load gen', 'CPU ms/op master', 'CPU ms/op etcd'], rows));
    console.log(goal);
  } finally {
    for (const s of servers) await stopMaster(s);
    raw.close();
    await cluster.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }
}

await main();
