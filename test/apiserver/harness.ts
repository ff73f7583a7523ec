/**
 * Test harness for the API server: a real server on port 0 over a real embedded store in a
 * temp dir, an HTTPS client that trusts the generated CA (so the chain is checked on every
 * request), a line-by-line watch reader, and a kubectl runner with its own kubeconfig and cache.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildKubeconfig } from '../../src/apiserver/kubeconfig.ts';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../../src/apiserver/server.ts';
import { openEmbeddedStore, type EmbeddedOptions } from '../../src/store/embedded/index.ts';
import type { Store } from '../../src/store/types.ts';
import type { KubeObject } from '../../src/api/object.ts';

export interface Response<T = KubeObject> {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** Parsed JSON body, typed as the caller expects (tests assert on it). */
  body: T;
}

/** One watch event line. */
export interface WatchLine {
  type: string;
  object: KubeObject;
}

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** Bearer token; default the admin token; null sends none. */
  token?: string | null;
  /** More request headers (`Impersonate-User` …). */
  headers?: Record<string, string>;
}

/** Polls until a condition holds (test/support/wait.ts). */
export { waitFor } from '../support/wait.ts';

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly ca: string,
    private readonly token: string,
  ) {}

  private open(method: string, path: string, opts: RequestOptions): { req: ReturnType<typeof httpsRequest>; res: Promise<IncomingMessage> } {
    const url = new URL(path, this.baseUrl);
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json', ...opts.headers };
    const token = opts.token === undefined ? this.token : opts.token;
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    let payload: string | Buffer | undefined;
    if (opts.body !== undefined) {
      payload = typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body : JSON.stringify(opts.body);
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      // Node sends DELETE bodies without chunking: the length must be explicit.
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    let req!: ReturnType<typeof httpsRequest>;
    const res = new Promise<IncomingMessage>((resolve, reject) => {
      req = httpsRequest(url, { method, headers, ca: this.ca }, resolve);
      req.on('error', reject);
    });
    req.end(payload);
    return { req, res };
  }

  async request<T = KubeObject>(method: string, path: string, opts: RequestOptions = {}): Promise<Response<T>> {
    const res = await this.open(method, path, opts).res;
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.statusCode ?? 0, headers: res.headers, text, body: body as T };
  }

  get<T = KubeObject>(path: string, opts?: RequestOptions): Promise<Response<T>> {
    return this.request<T>('GET', path, opts);
  }
  post<T = KubeObject>(path: string, body: unknown, opts?: RequestOptions): Promise<Response<T>> {
    return this.request<T>('POST', path, { ...opts, body });
  }
  put<T = KubeObject>(path: string, body: unknown, opts?: RequestOptions): Promise<Response<T>> {
    return this.request<T>('PUT', path, { ...opts, body });
  }
  patch<T = KubeObject>(path: string, body: unknown, contentType: string, opts?: RequestOptions): Promise<Response<T>> {
    return this.request<T>('PATCH', path, { ...opts, body, contentType });
  }
  delete<T = KubeObject>(path: string, body?: unknown, opts?: RequestOptions): Promise<Response<T>> {
    return this.request<T>('DELETE', path, { ...opts, body });
  }

  /** Opens a watch; resolves when the response headers arrived. */
  async watch(path: string, opts: RequestOptions = {}): Promise<WatchReader> {
    const { req, res } = this.open('GET', path, opts);
    return new WatchReader(req, await res);
  }
}

/** Reads a watch response one JSON line at a time. */
export class WatchReader {
  readonly events: WatchLine[] = [];
  ended = false;
  private buffer = '';
  private waiters: (() => void)[] = [];

  constructor(
    private readonly req: ReturnType<typeof httpsRequest>,
    readonly res: IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line) this.events.push(JSON.parse(line) as WatchLine);
      }
      this.wake();
    });
    const finish = (): void => {
      this.ended = true;
      this.wake();
    };
    res.on('end', finish);
    res.on('close', finish);
    res.on('error', finish);
  }

  get status(): number {
    return this.res.statusCode ?? 0;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `count` events arrived (or the stream ended), with a deadline. */
  async waitForCount(count: number, timeoutMs = 10_000): Promise<WatchLine[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count && !this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${count} watch events; got ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.events;
  }

  /** Waits for the first event matching `predicate`. */
  async waitFor(predicate: (e: WatchLine) => boolean, timeoutMs = 10_000): Promise<WatchLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      if (this.ended) throw new Error(`watch ended without a matching event; got ${JSON.stringify(this.events)}`);
      await this.waitForCount(this.events.length + 1, Math.max(1, deadline - Date.now()));
    }
  }

  /** Waits until the server ends the stream. */
  async waitForEnd(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) await this.waitForCount(this.events.length + 1, Math.max(1, deadline - Date.now()));
  }

  close(): void {
    this.req.destroy();
  }
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestCluster {
  server: ApiServer;
  store: Store;
  dir: string;
  client: ApiClient;
  kubeconfigPath: string;
  /** Runs kubectl against this server (own kubeconfig and discovery cache). */
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  /** Starts kubectl and returns the process (for `get -w`, `port-forward`); `env` replaces the environment. */
  spawnKubectl(args: string[], env?: NodeJS.ProcessEnv): ChildProcess;
  close(): Promise<void>;
}

export interface TestClusterOptions {
  store?: EmbeddedOptions;
  server?: Partial<Omit<ApiServerOptions, 'store' | 'dataDir' | 'port'>>;
}

export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'kactus-apiserver-'));
  const store = await openEmbeddedStore(join(dir, 'store'), { fsync: false, ...opts.store });
  const server = await startApiServer({ store, dataDir: dir, port: 0, logger: pino({ level: 'silent' }), ...opts.server });
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, buildKubeconfig({ url: server.url, caCertPem: server.caCertPem, token: server.adminToken }), { mode: 0o600 });
  const baseArgs = ['--kubeconfig', kubeconfigPath, '--cache-dir', join(dir, 'kube-cache')];
  const children = new Set<ChildProcess>();
  return {
    server,
    store,
    dir,
    client: new ApiClient(server.url, server.caCertPem, server.adminToken),
    kubeconfigPath,
    kubectl(args, input) {
      return new Promise((resolve) => {
        const child = execFile('kubectl', [...baseArgs, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        });
        if (input !== undefined) child.stdin?.end(input);
      });
    },
    spawnKubectl(args, env) {
      const child = spawn('kubectl', [...baseArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    },
    async close() {
      for (const child of children) child.kill();
      await server.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
