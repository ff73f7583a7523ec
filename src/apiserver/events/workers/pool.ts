/**
 * The main thread's side of the stream workers (README.md): starts them on the API server's port,
 * answers their calls (a token's user, an authorizer's decision), feeds each of them the log from
 * the main thread's hub (every entry once per worker), reads the store for their clients that
 * catch up from an old index, and serves the connections they relay (every request but an event
 * stream's) with the API server's own handlers.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { UserInfo } from '../../../api/user.ts';
import type { Authorizer } from '../../../registry/authorization/types.ts';
import { answerClientError } from '../../http/client-error.ts';
import type { ListenerHandlers } from '../../listeners.ts';
import type { EventHub } from '../hub.ts';
import type { EventStreamLimits } from '../serve.ts';
import { answerDefinitions } from './definitions.ts';
import { toFeedError } from './main-link.ts';
import type { CallRequest, CallResult, StreamWorkerData, ToMain, ToWorker, HubStats } from './protocol.ts';
import { relayServer } from './relay.ts';

/** The default number of stream workers: one fewer than the machine's cores, at least one. */
export function defaultStreamWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

export interface StreamWorkersOptions {
  count: number;
  host: string;
  /** 0: a free port. */
  port: number;
  /** The API server's TLS settings. */
  tls: { cert: string; key: string; ca: string; requestCert: boolean; rejectUnauthorized: boolean };
  /** The main thread's hub: what the workers' hubs follow. */
  hub: EventHub;
  hubOptions: StreamWorkerData['hub'];
  limits: EventStreamLimits;
  checkToken(token: string): Promise<UserInfo | undefined>;
  authorizer?: Authorizer;
  /** A machine kind's definition as JSON (`format=stately`). */
  definitionOf?: (machineKind: string) => string | undefined;
  /** A worker's stream was upgraded (metrics). */
  onUpgraded?: () => void;
  onClosed?: (code: number) => void;
  /** The API server's handlers: relayed connections are served by them. */
  handlers: ListenerHandlers;
  logger: Logger;
}

const WORKER_URL = new URL('./boot.js', import.meta.url);
/** A stopping worker that has not said so by then is terminated. */
const STOP_TIMEOUT_MS = 5_000;

/** One worker and what the main thread holds for it. */
class StreamWorker {
  readonly thread: Worker;
  /** Its open log feeds: id → stop. */
  private readonly feeds = new Map<number, () => void>();
  private readonly statsWaiting = new Map<number, (s: HubStats) => void>();
  private nextStatsId = 1;
  private listening: PromiseWithResolvers<number> = Promise.withResolvers();
  private stopped: PromiseWithResolvers<void> = Promise.withResolvers();
  exited = false;
  private stopping = false;
  private readonly definitions: ReturnType<typeof answerDefinitions>;

  constructor(
    readonly ordinal: number,
    readonly data: Omit<StreamWorkerData, 'definitions'>,
    private readonly opts: StreamWorkersOptions,
    /** It ended without being stopped. */
    private readonly onLost: (w: StreamWorker) => void,
  ) {
    this.definitions = answerDefinitions(opts.definitionOf);
    const workerData: StreamWorkerData = { ...data, definitions: this.definitions.worker };
    this.thread = new Worker(WORKER_URL, { workerData, transferList: [this.definitions.worker.port], name: `kactus stream worker ${ordinal}` });
    this.thread.on('message', (msg: ToMain) => this.receive(msg));
    this.thread.on('error', (err) => {
      opts.logger.error({ err, worker: ordinal }, 'event stream worker failed');
      this.listening.reject(err);
    });
    this.thread.on('exit', (code) => {
      const lost = !this.stopping && !this.exited;
      this.exited = true;
      this.closeFeeds();
      this.definitions.close();
      this.listening.reject(new Error(`event stream worker ${ordinal} exited (${code})`));
      this.stopped.resolve();
      if (lost) onLost(this);
    });
  }

  /** Resolves with the port once the worker listens (rejects when it cannot). */
  get ready(): Promise<number> {
    return this.listening.promise;
  }

  post(msg: ToWorker): void {
    if (!this.exited) this.thread.postMessage(msg);
  }

  stats(): Promise<HubStats | undefined> {
    if (this.exited) return Promise.resolve(undefined);
    const id = this.nextStatsId++;
    return new Promise((resolve) => {
      this.statsWaiting.set(id, resolve);
      this.post({ op: 'stats', id });
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.exited) {
      this.post({ op: 'stop' });
      const timer = setTimeout(() => void this.thread.terminate(), STOP_TIMEOUT_MS);
      await this.stopped.promise;
      clearTimeout(timer);
    }
    this.closeFeeds();
  }

  private closeFeeds(): void {
    for (const stop of this.feeds.values()) stop();
    this.feeds.clear();
    for (const resolve of this.statsWaiting.values()) resolve({ hub: `worker ${this.ordinal}`, clients: 0, bufferedHighWater: 0, floor: 0, position: 0 });
    this.statsWaiting.clear();
  }

  private receive(msg: ToMain): void {
    switch (msg.op) {
      case 'listening':
        return this.listening.resolve(msg.port);
      case 'listen-failed':
        return this.listening.reject(Object.assign(new Error(msg.message), msg.code ? { code: msg.code } : {}));
      case 'call':
        return void this.answer(msg.id, msg.request);
      case 'open':
        return msg.feed === 'follow' ? this.follow(msg.id) : this.read(msg.id, msg.from);
      case 'shut': {
        const stop = this.feeds.get(msg.id);
        this.feeds.delete(msg.id);
        return stop?.();
      }
      case 'upgraded':
        return this.opts.onUpgraded?.();
      case 'closed':
        return this.opts.onClosed?.(msg.code);
      case 'stats': {
        const resolve = this.statsWaiting.get(msg.id);
        this.statsWaiting.delete(msg.id);
        return resolve?.(msg.stats);
      }
      case 'stopped':
        // Its connections are gone; the thread itself is ended here (its handles may keep it alive).
        void this.thread.terminate();
        return;
    }
  }

  private async answer(id: number, request: CallRequest): Promise<void> {
    try {
      let result: CallResult;
      if (request.method === 'authenticate') result = { method: 'authenticate', user: await this.opts.checkToken(request.token) };
      else if (this.opts.authorizer) result = { method: 'authorize', decision: await this.opts.authorizer.authorize(request.attrs) };
      else throw new Error('this server has no authorizer');
      this.post({ op: 'result', id, result });
    } catch (err) {
      this.post({ op: 'result', id, error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** The worker hub's source: the main hub's state, then every change, pushed in order. */
  private follow(id: number): void {
    let stopped = false;
    this.feeds.set(id, () => {
      stopped = true;
    });
    this.opts.hub
      .follow({
        onStart: (revision, latest) => this.post({ op: 'start', id, revision, latest }),
        onEntries: (entries) => this.post({ op: 'entries', id, entries }),
        onDeleted: (keys) => this.post({ op: 'deleted', id, keys }),
        onProgress: (revision) => this.post({ op: 'progress', id, revision }),
        onError: (err) => {
          this.feeds.delete(id);
          this.post({ op: 'error', id, error: toFeedError(err) });
        },
      })
      .then(
        (stop) => {
          if (stopped || this.exited) return stop();
          this.feeds.set(id, stop);
        },
        (err: Error) => {
          this.feeds.delete(id);
          this.post({ op: 'error', id, error: toFeedError(err) });
        },
      );
  }

  /** A worker's client catching up from the store. */
  private read(id: number, from: number): void {
    let done = false;
    const watch = this.opts.hub.source.read(from, {
      onEntries: (entries) => {
        if (!done) this.post({ op: 'entries', id, entries });
      },
      onError: (err) => {
        if (done) return;
        done = true;
        this.feeds.delete(id);
        this.post({ op: 'error', id, error: toFeedError(err) });
      },
    });
    // A read may fail before read() returns.
    if (done) return watch.close();
    this.feeds.set(id, () => {
      done = true;
      watch.close();
    });
  }
}

/** The stream workers of one API server, listening on `port`; `close` stops them. */
export class StreamWorkers {
  private closing = false;

  private constructor(
    readonly port: number,
    private readonly workers: StreamWorker[],
    private readonly relay: NetServer,
    private readonly relayDir: string,
    private readonly opts: StreamWorkersOptions,
  ) {}

  /** A worker that died (an uncaught error) is replaced: its listener went with it. */
  private replace(lost: StreamWorker): void {
    if (this.closing) return;
    this.opts.logger.warn({ worker: lost.ordinal }, 'event stream worker ended; starting another');
    const next = new StreamWorker(lost.ordinal, lost.data, this.opts, (w) => this.replace(w));
    this.workers[this.workers.indexOf(lost)] = next;
    next.ready.catch((err: unknown) => this.opts.logger.error({ err, worker: lost.ordinal }, 'event stream worker could not listen again'));
  }

  static async start(opts: StreamWorkersOptions): Promise<StreamWorkers> {
    // Relayed connections: plain HTTP from the workers, served by the API server's handlers.
    const http = createHttpServer(opts.handlers.request);
    http.on('upgrade', opts.handlers.upgrade);
    http.on('clientError', answerClientError);
    const relay = relayServer((socket) => {
      opts.handlers.sockets.add(socket);
      socket.once('close', () => opts.handlers.sockets.delete(socket));
      http.emit('connection', socket);
    });
    // Only this user can enter the directory, so only this process' workers (or its user) reach the socket.
    const relayDir = await mkdtemp(join(tmpdir(), 'kactus-api-'));
    const relayPath = join(relayDir, 'relay.sock');
    const workers: StreamWorker[] = [];
    try {
      await listen(relay, { path: relayPath });
      const port = await claimPort(opts.host, opts.port);
      // One set of session ticket keys: a client resumes its TLS session on whichever worker it reaches next.
      const ticketKeys = randomBytes(48);
      const data = (ordinal: number, workerPort: number): Omit<StreamWorkerData, 'definitions'> => ({
        ordinal,
        host: opts.host,
        port: workerPort,
        tls: { ...opts.tls, ticketKeys },
        relayPath,
        hub: opts.hubOptions,
        limits: opts.limits,
        authorizer: opts.authorizer !== undefined,
        logLevel: opts.logger.level,
      });
      const started: { pool?: StreamWorkers } = {};
      const onLost = (w: StreamWorker): void => started.pool?.replace(w);
      for (let i = 1; i <= opts.count; i++) workers.push(new StreamWorker(i, data(i, port), opts, onLost));
      await Promise.all(workers.map((w) => w.ready));
      started.pool = new StreamWorkers(port, workers, relay, relayDir, opts);
      return started.pool;
    } catch (err) {
      await Promise.all(workers.map((w) => w.stop()));
      relay.close();
      await rm(relayDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Each worker's clients and buffer figures. */
  async stats(): Promise<HubStats[]> {
    const all = await Promise.all(this.workers.map((w) => w.stats()));
    return all.filter((s): s is HubStats => s !== undefined);
  }

  /** Stops listening; every worker closes its streams with 1001 and ends. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.stop()));
    await new Promise<void>((resolve) => this.relay.close(() => resolve()));
    await rm(this.relayDir, { recursive: true, force: true });
  }
}

function listen(server: NetServer, options: { path: string } | { host: string; port: number; exclusive: boolean }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * The port the workers share: `port`, or a free one for 0. Bound once without `reusePort` first,
 * so that a port another server holds is the same EADDRINUSE it always was — `reusePort` alone
 * would join that server's group and split its connections with it.
 */
async function claimPort(host: string, port: number): Promise<number> {
  const probe = createNetServer();
  await listen(probe, { host, port, exclusive: true });
  const claimed = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return claimed;
}
