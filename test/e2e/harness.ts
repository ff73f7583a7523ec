/**
 * End-to-end harness: runs `bin/kactus.js` and `kubectl` as real child processes, waits on
 * their output with deadlines (never sleeps), and kills only the processes it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { claimAddressBlock } from '../support/address-blocks.ts';
import { ensureDefaultEncryptionConfig } from '../../src/registry/encryption/config-file.ts';
import { parse } from 'yaml';

/** The repository root and the kactus entry point. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const kactusBin = fileURLToPath(new URL('../../bin/kactus.js', import.meta.url));

/** The environment for children: no KUBECONFIG leaking in from the developer's shell. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.KUBECONFIG;
  return env;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (killed after `timeoutMs`), feeding `input` on stdin. */
export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 30_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A command that exits without reading its input (kubectl rejecting its flags) closes the
    // pipe first: EPIPE on stdin is then expected, not a failure of the run.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** A long-running child whose combined output can be awaited line by line. */
export class Background {
  private output = '';
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    const onData = (c: string): void => {
      this.output += c;
      for (const w of this.waiters) w();
    };
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.stderr?.setEncoding('utf8').on('data', onData);
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        resolve(code);
        for (const w of this.waiters) w();
      }),
    );
  }

  /** Everything printed so far (stdout and stderr). */
  get text(): string {
    return this.output;
  }

  /** Resolves with the first match of `pattern` in the output; rejects at the deadline or on exit. */
  waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = this.output.match(pattern);
        if (m) finish(() => resolve(m));
        else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          finish(() => reject(new Error(`process exited before printing ${pattern}:\n${this.output}`)));
        }
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${this.output}`))), timeoutMs);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Sends a signal to this child (by its PID) and waits for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** Starts a command in the background. */
export function background(cmd: string, args: string[]): Background {
  return new Background(spawn(cmd, args, { cwd: repoRoot, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** A running `kactus up` or `kactus master` and what it printed. */
export interface KactusServer {
  proc: Background;
  url: string;
  port: number;
  kubeconfig: string;
}

/** Starts `kactus ARGS...` (up or master) and waits for its URL, kubeconfig and ready lines. */
export async function startKactusServer(args: string[], timeoutMs = 30_000): Promise<KactusServer> {
  const proc = background(process.execPath, [kactusBin, ...args]);
  try {
    const [, url, portText] = await proc.waitFor(/kactus: API server listening on (https:\/\/127\.0\.0\.1:(\d+))/, timeoutMs);
    const [, kubeconfig] = await proc.waitFor(/kactus: kubeconfig written to (\S+)/, timeoutMs);
    await proc.waitFor(/kactus: ready/, timeoutMs);
    return { proc, url: url!, port: Number(portText), kubeconfig: kubeconfig! };
  } catch (err) {
    await proc.kill('SIGKILL');
    throw err;
  }
}

/**
 * `kactus up --data-dir DIR --port PORT ARGS...` (ARGS: `--node-name`, grace periods, ...), with pod
 * and service CIDRs of an address block no parallel test holds (unless ARGS name their own): test
 * clusters share this machine's network namespace.
 */
export function startKactusUp(dataDir: string, opts: { port?: number; args?: string[] } = {}): Promise<KactusServer> {
  const args = opts.args ?? [];
  return startKactusServer(['up', '--data-dir', dataDir, '--port', String(opts.port ?? 0), ...clusterRanges(args), ...args]);
}

/** `--cluster-cidr`/`--service-cluster-ip-range` from a claimed block, unless `args` has them. */
function clusterRanges(args: string[]): string[] {
  if (args.includes('--cluster-cidr')) return [];
  const block = claimAddressBlock();
  return ['--cluster-cidr', block.clusterCIDR, '--service-cluster-ip-range', block.serviceCIDR];
}

/**
 * `kactus master --data-dir DIR --store URI --port 0 --name NAME`; over etcd also
 * `--encryption-provider-config`, one file beside the masters' data dirs that they all share.
 */
export async function startKactusMaster(dataDir: string, store: string, name: string, extraArgs: string[] = []): Promise<KactusServer> {
  const shared = store.startsWith('etcd://') ? ['--encryption-provider-config', (await ensureDefaultEncryptionConfig(dirname(dataDir))).path] : [];
  return startKactusServer(['master', '--data-dir', dataDir, '--store', store, '--port', '0', '--name', name, ...shared, ...extraArgs]);
}

/** The stdout of a command that must succeed (its stderr is the failure message otherwise). */
export function ok(r: RunResult): string {
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** A kubectl bound to one kubeconfig, with its own discovery cache under `cacheRoot`. */
export type Kubectl = (args: string[], input?: string) => Promise<RunResult>;

/** The real kubectl against a cluster: `--kubeconfig` and a private `--cache-dir` (discovery is cached 10 min). */
export function kubectlFor(kubeconfig: string, cacheRoot: string): Kubectl {
  return (args, input) => run('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(cacheRoot, 'kubectl-cache'), ...args], { input });
}

/** A name no other test run uses: `prefix` plus six random lowercase letters and digits (DNS-1123 safe). */
export function uniqueName(prefix: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return prefix + Array.from(randomBytes(6), (b) => alphabet[b % alphabet.length]).join('');
}

/**
 * Polls `probe` until `accept` holds for its value, and returns that value; fails at the deadline
 * with the last value seen. Polling a predicate, not sleeping for a guessed time.
 */
export async function eventually<T>(what: string, probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (accept(last)) return last;
    if (Date.now() >= deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`);
    await delay(250);
  }
}

/** One event of an API watch stream, as the server sent it. */
export interface ApiWatchEvent {
  type: string;
  object: Record<string, unknown>;
}

/** An open `?watch=1` stream straight from the API server, collecting every event it sends. */
export interface ApiWatch {
  /** Every event received so far, in stream order. */
  readonly events: ApiWatchEvent[];
  /** Resolves once some prefix of the events satisfies `accept` (checked on every event); rejects at the deadline. */
  until(what: string, accept: (events: ApiWatchEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Ends the stream. */
  close(): void;
}

/**
 * Opens `GET <path>?watch=1&...` against the cluster a kubeconfig names, trusting its CA and
 * sending its bearer token, and collects the newline-delimited events. Used where a test must see
 * every intermediate state (a kubectl poll would miss them). `query` is added to `watch=1`.
 */
export async function watchApi(kubeconfigPath: string, path: string, query: Record<string, string>): Promise<ApiWatch> {
  const cfg = parse(await readFile(kubeconfigPath, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { token: string } }[];
  };
  const cluster = cfg.clusters[0]!.cluster;
  const url = new URL(path, cluster.server);
  url.searchParams.set('watch', '1');
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const events: ApiWatchEvent[] = [];
  const waiters = new Set<() => void>();
  let failure: Error | undefined;
  const notify = (): void => {
    for (const w of waiters) w();
  };
  const req = httpsRequest(url, {
    ca: Buffer.from(cluster['certificate-authority-data'], 'base64'),
    headers: { authorization: `Bearer ${cfg.users[0]!.user.token}`, accept: 'application/json' },
  });
  await new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`watch ${url.href}: HTTP ${res.statusCode}`));
        res.resume();
        return;
      }
      let buffered = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) events.push(JSON.parse(line) as ApiWatchEvent);
        }
        notify();
      });
      res.on('close', () => {
        failure ??= new Error(`watch ${url.href} ended`);
        notify();
      });
      resolve();
    });
    req.on('error', (err) => {
      failure ??= err;
      notify();
      reject(err);
    });
    req.end();
  });
  return {
    events,
    until(what, accept, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const finish = (settle: () => void): void => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        const check = (): void => {
          if (accept(events)) finish(resolve);
          else if (failure) finish(() => reject(new Error(`${what}: ${failure!.message} after ${events.length} events`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`${what}: not seen within ${timeoutMs} ms (${events.length} events)`))), timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      failure ??= new Error('watch closed');
      req.destroy();
    },
  };
}
