/**
 * `kactus master --cluster-init` / `--server URL --token T`: this machine's etcd member, made
 * ready before the master opens its store on it.
 *
 * DATA_DIR layout:
 * - `etcd/` — etcd's own data dir (`etcd/member/` once the member has started);
 * - `etcd-member.json` — what this member is: name, peer URL, the cluster's token and CA hash;
 * - `pki/etcd/{ca.crt,peer.crt,peer.key}` — the cluster CA and this member's peer certificate;
 * - `etcd.log` — etcd's log; `encryption-config.yaml` — the cluster's keys (made by the first
 *   master, received by joiners).
 *
 * Three cases:
 * - the data dir holds a member (`etcd/member/` exists): restart it as it is — no init, no join,
 *   the token is not needed (but one naming another cluster's CA is an error, as is another
 *   advertise address);
 * - `--cluster-init`: a new single-member cluster, peer certificate signed by the CA in `pki/`;
 * - `--server`: join through an existing master (join-client.ts), then start with
 *   `--initial-cluster-state existing`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../os/files.ts';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createKeyAndRequest } from '../../net/certificate-requests.ts';
import { DataDirLockedError, lockDataDir } from '../../os/dir-lock.ts';
import { loadOrCreatePki } from '../../apiserver/pki.ts';
import { DEFAULT_ENCRYPTION_CONFIG_FILE, ensureDefaultEncryptionConfig } from '../../registry/encryption/config-file.ts';
import { fetchClusterCa, requestMasterJoin } from './join-client.ts';
import { caCertHash, type MasterJoinToken } from './master-token.ts';
import { clientUrlOf, describeExit, EtcdMemberProcess, hostPort, peerUrlOf, type EtcdMemberConfig, type MemberExit } from './member-process.ts';
import { signPeerCertificate, PEER_COMMON_NAME } from './peer-certificates.ts';

export interface LocalMemberOptions {
  /** The master's data dir. */
  dataDir: string;
  /** The master's `--name`, also the member's. */
  name: string;
  /** `--advertise-address`: where peers reach this member. */
  advertise: string;
  /** `--etcd-client-port` (127.0.0.1 only). */
  clientPort: number;
  /** `--etcd-peer-port` (on the advertise address). */
  peerPort: number;
  /** `--etcd-arg KEY=VALUE`s. */
  extraArgs?: readonly string[];
  /** `--server` and `--token`; absent = `--cluster-init`. */
  join?: { server: string; token: MasterJoinToken };
  /** `--encryption-provider-config`, when given: used instead of the made or received one. */
  encryptionFlag?: string;
  /** Output lines (`kactus: …`). */
  log: (line: string) => void;
}

export interface LocalMember {
  /** The running etcd (a new one after each restart). */
  readonly process: EtcdMemberProcess;
  /**
   * Settles when the member is down for good: `stopped` after stop(), `crashing` when etcd exited
   * unexpectedly more than 5 times within a minute (each earlier exit is restarted at once, so a
   * lost etcd process is a blip of the store, not the master's end).
   */
  readonly ended: Promise<{ reason: 'stopped' | 'crashing'; exit: MemberExit }>;
  /** `etcd://127.0.0.1:<client port>`: what the master opens. */
  storeUri: string;
  /** `127.0.0.1:<client port>`. */
  clientEndpoint: string;
  peerURL: string;
  clusterToken: string;
  /** The EncryptionConfiguration file this master must use. */
  encryptionConfigPath: string;
  /** How this start went: a new cluster, a join, or a restart of the member the data dir holds. */
  started: 'initialized' | 'joined' | 'restarted';
  stop(): Promise<MemberExit>;
}

/** What `etcd-member.json` holds. */
interface MemberRecord {
  name: string;
  peerURL: string;
  clusterToken: string;
  /** Hex SHA-256 of the cluster CA's PEM (the `K10` hash of its tokens). */
  clusterCaHash: string;
  initialCluster: string;
}

const RECORD_FILE = 'etcd-member.json';

/** Files of a member under DATA_DIR. */
export function memberPaths(dataDir: string) {
  const pki = join(dataDir, 'pki', 'etcd');
  return {
    etcdDir: join(dataDir, 'etcd'),
    record: join(dataDir, RECORD_FILE),
    log: join(dataDir, 'etcd.log'),
    tls: { caFile: join(pki, 'ca.crt'), certFile: join(pki, 'peer.crt'), keyFile: join(pki, 'peer.key') },
    pkiDir: pki,
  };
}

/** Starts (initialising or joining first when needed) this machine's member; resolves once it is healthy. */
export async function startLocalMember(opts: LocalMemberOptions): Promise<LocalMember> {
  await mkdir(opts.dataDir, { recursive: true });
  // One master per data dir (the kernel drops the lock when the holder dies: a restart after
  // kill -9 is not refused). Without it a second master would find the first one's etcd
  // answering on the client port and take it for its own.
  let unlock: () => void;
  try {
    unlock = await lockDataDir(opts.dataDir);
  } catch (err) {
    if (err instanceof DataDirLockedError) throw new Error(`data dir ${opts.dataDir} is in use by ${err.pid === undefined ? 'another process' : `pid ${err.pid}`} (another kactus master with its etcd member)`);
    throw err;
  }
  try {
    const member = await startLocked(opts);
    void member.ended.then(() => unlock());
    return member;
  } catch (err) {
    unlock();
    throw err;
  }
}

async function startLocked(opts: LocalMemberOptions): Promise<LocalMember> {
  const paths = memberPaths(opts.dataDir);
  const peerURL = peerUrlOf(opts.advertise, opts.peerPort);
  const record = await readRecord(paths.record);
  const hasData = await exists(join(paths.etcdDir, 'member'));
  let started: LocalMember['started'];
  let current: MemberRecord;
  let clusterState: EtcdMemberConfig['clusterState'];
  let encryptionConfigPath = opts.encryptionFlag ?? join(opts.dataDir, DEFAULT_ENCRYPTION_CONFIG_FILE);

  if (hasData) {
    if (!record) throw new Error(`${paths.etcdDir} holds etcd data that kactus did not make (no ${paths.record}): move it away, or use another --data-dir`);
    if (opts.join && opts.join.token.caHash !== record.clusterCaHash) {
      throw new Error(
        `${opts.dataDir} holds etcd member "${record.name}" of another cluster (CA ${record.clusterCaHash.slice(0, 16)}…; the token names ${opts.join.token.caHash.slice(0, 16)}…): ` +
          `remove ${paths.etcdDir} and ${paths.record} to join this one, or use another --data-dir`,
      );
    }
    if (record.peerURL !== peerURL) {
      throw new Error(`etcd member "${record.name}" in ${opts.dataDir} was made with peer URL ${record.peerURL}, not ${peerURL}: start it with the same --advertise-address and --etcd-peer-port`);
    }
    if (record.name !== opts.name) throw new Error(`etcd member in ${opts.dataDir} is named "${record.name}", not "${opts.name}": start it with --name ${record.name}`);
    current = record;
    clusterState = 'existing';
    started = 'restarted';
    if (!(await exists(encryptionConfigPath))) throw new Error(`${encryptionConfigPath} is missing: this master cannot read the cluster's Secrets without it`);
    // An etcd of a master killed a moment ago may still hold them for a few milliseconds.
    await checkPortsFree(opts, 3000);
  } else {
    await checkPortsFree(opts, 0);
    await mkdir(paths.pkiDir, { recursive: true, mode: 0o700 });
    const { keyPem, csrPem } = await createKeyAndRequest(PEER_COMMON_NAME);
    if (opts.join) {
      const { server, token } = opts.join;
      const caCertPem = await fetchClusterCa(server, token);
      const answer = await requestMasterJoin(server, caCertPem, token, { name: opts.name, address: opts.advertise, peerPort: opts.peerPort, csr: csrPem }, {
        onRetry: (message) => opts.log(`kactus: etcd membership: ${message}; trying again`),
      });
      await writeTls(paths.tls, answer.caCertPem, answer.peerCertPem, keyPem);
      if (!opts.encryptionFlag) await writeFileAtomic(encryptionConfigPath, answer.encryptionConfig);
      current = { name: opts.name, peerURL, clusterToken: answer.clusterToken, clusterCaHash: token.caHash, initialCluster: answer.initialCluster };
      clusterState = 'existing';
      started = 'joined';
      opts.log(`kactus: etcd member ${opts.name} added to the cluster through ${server} (member id ${answer.memberId})`);
    } else {
      // The cluster CA is made here, before any store exists; the API server adopts it (pki.ts).
      const pki = await loadOrCreatePki(opts.dataDir);
      const certPem = await signPeerCertificate(pki.caCertPem, pki.caKeyPem, csrPem, opts.advertise);
      await writeTls(paths.tls, pki.caCertPem, certPem, keyPem);
      if (!opts.encryptionFlag) encryptionConfigPath = (await ensureDefaultEncryptionConfig(opts.dataDir)).path;
      current = { name: opts.name, peerURL, clusterToken: `kactus-${randomBytes(8).toString('hex')}`, clusterCaHash: caCertHash(pki.caCertPem), initialCluster: `${opts.name}=${peerURL}` };
      clusterState = 'new';
      started = 'initialized';
    }
    await writeJsonAtomic(paths.record, current);
  }

  const config: EtcdMemberConfig = {
    name: current.name,
    dataDir: paths.etcdDir,
    advertise: opts.advertise,
    clientPort: opts.clientPort,
    peerPort: opts.peerPort,
    initialCluster: current.initialCluster,
    clusterState,
    clusterToken: current.clusterToken,
    tls: paths.tls,
    ...(opts.extraArgs ? { extraArgs: opts.extraArgs } : {}),
  };
  const first = EtcdMemberProcess.start(config, paths.log);
  try {
    await first.waitHealthy((ms) => opts.log(`kactus: waiting for etcd member ${current.name} to reach its peers (${Math.round(ms / 1000)} s; quorum needs a majority of members up)`));
  } catch (err) {
    await first.stop();
    throw err;
  }
  const supervisor = supervise(first, config, paths.log, opts.log);
  return {
    get process() {
      return supervisor.current;
    },
    ended: supervisor.ended,
    storeUri: `etcd://127.0.0.1:${opts.clientPort}`,
    clientEndpoint: hostPort('127.0.0.1', opts.clientPort),
    peerURL,
    clusterToken: current.clusterToken,
    encryptionConfigPath,
    started,
    stop: () => supervisor.stop(),
  };
}

const RESTART_WINDOW_MS = 60_000;
const MAX_RESTARTS_PER_WINDOW = 5;

/** Restarts etcd when it exits on its own (a crash, a kill), until it crashes too often or stop() is called. */
function supervise(first: EtcdMemberProcess, config: EtcdMemberConfig, logFile: string, log: (line: string) => void) {
  let current = first;
  let stopping = false;
  const restarts: number[] = [];
  let end!: (value: { reason: 'stopped' | 'crashing'; exit: MemberExit }) => void;
  const ended = new Promise<{ reason: 'stopped' | 'crashing'; exit: MemberExit }>((resolve) => (end = resolve));
  const watch = (proc: EtcdMemberProcess): void => {
    void proc.exited.then((exit) => {
      if (stopping) return end({ reason: 'stopped', exit });
      const now = Date.now();
      while (restarts.length > 0 && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
      if (restarts.length >= MAX_RESTARTS_PER_WINDOW) {
        log(`kactus: etcd member exited (${describeExit(exit)}) ${restarts.length + 1} times within a minute; giving up:\n${proc.logTail().trim().split('\n').slice(-5).join('\n')}`);
        return end({ reason: 'crashing', exit });
      }
      restarts.push(now);
      current = EtcdMemberProcess.start(config, logFile);
      log(`kactus: etcd member exited (${describeExit(exit)}); restarted it (pid ${current.pid ?? '?'})`);
      watch(current);
    });
  };
  watch(first);
  return {
    get current() {
      return current;
    },
    ended,
    async stop(): Promise<MemberExit> {
      stopping = true;
      const exit = await current.stop();
      return exit;
    },
  };
}

/** The client URL of a member started with `clientPort` (for tools and tests). */
export { clientUrlOf };

async function readRecord(path: string): Promise<MemberRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const r = JSON.parse(text) as Partial<MemberRecord>;
  if (typeof r.name !== 'string' || typeof r.peerURL !== 'string' || typeof r.clusterToken !== 'string' || typeof r.clusterCaHash !== 'string' || typeof r.initialCluster !== 'string') {
    throw new Error(`${path} is not a kactus etcd member record`);
  }
  return r as MemberRecord;
}

/**
 * Fails before etcd starts on a taken port — before the cluster is asked to add a member that
 * could not start, and before a `/health` answered by someone else's etcd on the same port is
 * taken for ours. Tries again for `waitMs`.
 */
async function checkPortsFree(opts: LocalMemberOptions, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (const [host, port, flag] of [['127.0.0.1', opts.clientPort, '--etcd-client-port'], [opts.advertise, opts.peerPort, '--etcd-peer-port']] as const) {
    for (;;) {
      const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
        const server = createServer();
        server.once('error', resolve);
        server.listen(port, host, () => server.close(() => resolve(undefined)));
      });
      if (!error) break;
      if (Date.now() >= deadline) throw new Error(`cannot listen on ${hostPort(host, port)} for etcd (${flag}): ${error.code ?? error.message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function writeTls(tls: EtcdMemberConfig['tls'], caPem: string, certPem: string, keyPem: string): Promise<void> {
  await writeFile(tls.caFile, caPem);
  await writeFile(tls.certFile, certPem);
  await writeFileAtomic(tls.keyFile, keyPem);
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
