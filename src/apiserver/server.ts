/**
 * The Kubernetes API server over HTTPS. One request flows: route the path -> health endpoints
 * answer unauthenticated -> bearer-token authentication (401 Status otherwise) -> discovery,
 * OpenAPI, /metrics or a resource handler -> metrics and one debug log line per request.
 * See README.md for the whole flow and the watch buffering rules.
 */
import { SYSTEM_NAMESPACES } from '../api/namespaces.ts';
import type { Server } from 'node:https';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import pino, { type Logger } from 'pino';
import { ApiError } from '../api/status.ts';
import type { Store } from '../store/types.ts';
import { bearerToken, requestAuthenticator, setRequestUser, tokenChecker, type TokenAuthenticator } from './http/auth.ts';
import { decodeJson, readBody } from './http/body.ts';
import { writeError, writeJson } from './http/respond.ts';
import { pathNotFound, route, type Route } from './http/router.ts';
import { requestUrl } from './http/request-url.ts';
import { DEFAULT_WATCH_LIMITS, type WatchStream, type WatchStreamLimits } from './http/watch-stream.ts';
import { serveDiscovery } from './handlers/discovery.ts';
import { serveHealth, serveMetrics } from './handlers/health.ts';
import { serveOpenApi } from './handlers/openapi.ts';
import { serveUi } from './handlers/ui.ts';
import { servePodLogs, type LogSource } from './handlers/pod-logs.ts';
import { servePodExec, type ExecSource } from './handlers/pod-exec.ts';
import { servePodAttach, type AttachSource } from './handlers/pod-attach.ts';
import { servePodPortForward, type PortForwardSource } from './handlers/pod-portforward.ts';
import { requestVerb, serveResource } from './handlers/resource.ts';
import { serveTokenRequest } from './handlers/token-request.ts';
import { serveReview, type RulesReviewSource } from './handlers/reviews.ts';
import { requestAttributes } from './authz/attributes.ts';
import { authorizeRequest } from './authz/authorize.ts';
import { impersonate } from './authz/impersonation.ts';
import { isReview } from '../api/kinds.ts';
import type { Authorizer } from '../registry/authorization/types.ts';
import type { AdmissionPlugin } from '../registry/admission/types.ts';
import { ServiceAccountTokens } from '../registry/serviceaccount/tokens.ts';
import { serveResourceMetrics } from './metrics-api/handler.ts';
import type { PodMetricsSource } from '../metrics/types.ts';
import type { WatchDeps } from './handlers/watch.ts';
import { instrumentStore } from './instrumented-store.ts';
import { ApiMetrics } from './metrics.ts';
import { shareClusterIdentity } from './cluster-identity.ts';
import { loadOrCreatePki, type Pki } from './pki.ts';
import { ClientCertificateIssuer } from './client-certificates.ts';
import { Registry } from '../registry/registry.ts';
import { EventHub } from './events/hub.ts';
import { storeLogSource } from './events/log-source.ts';
import { defaultStreamWorkers, StreamWorkers } from './events/workers/pool.ts';
import type { HubStats } from './events/workers/protocol.ts';
import { DEFAULT_STREAM_LIMITS, serveEventStream, serveHistory, type EventStreamDeps } from './events/serve.ts';
import type { ServiceRanges } from '../registry/allocators/ranges.ts';
import { inClusterApiNames } from './in-cluster-names.ts';
import { POD_FACING_TLS, startListener, stopListener, type ListenerHandlers } from './listeners.ts';
import type { AuditSink } from './audit/log-writer.ts';
import { auditRequest, auditUpgrade } from './audit/request.ts';

/** Namespaces every cluster has, created at start. */

export interface ApiServerOptions {
  store: Store;
  /** Data directory: the PKI lives in `dataDir/pki`. */
  dataDir: string;
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port to bind; 0 picks a free one. */
  port: number;
  /** Extra bearer tokens (node daemons); the admin token and ServiceAccount tokens always work. */
  tokens?: TokenAuthenticator;
  /**
   * Kubernetes' ServiceAccount admission plugin: pods get `default` unless they name an account,
   * the account must exist, and the token volume is added. The master turns it on (its leader
   * makes the `default` accounts); a bare API server, with no controller, leaves it off.
   * LimitRanger and ResourceQuota admission always run.
   */
  serviceAccountAdmission?: boolean;
  /** Extra DNS names / IPs for the serving certificate (the in-cluster names are always in: in-cluster-names.ts). */
  sans?: string[];
  /** The cluster DNS domain, for the `kubernetes.default.svc.<domain>` SAN (default cluster.local). */
  clusterDomain?: string;
  logger?: Logger;
  /** Clock for object timestamps (tests). */
  now?: () => Date;
  /** Per-watch buffer bounds (see README.md). */
  watchLimits?: WatchStreamLimits;
  /** Where `pods/{name}/log` reads container logs (the node gateway); without one that path is a 503. */
  logs?: LogSource;
  /** Where `pods/{name}/exec` runs commands (the node gateway); without one that path is a 503. */
  exec?: ExecSource;
  /** Where `pods/{name}/attach` attaches to containers (the node gateway); without one that path is a 503. */
  attach?: AttachSource;
  /** Where `pods/{name}/portforward` connects to pods' ports (the node gateway); without one that path is a 503. */
  portForward?: PortForwardSource;
  /**
   * Every kind's state machine as data (`GET /kactus/v1/machines`); the master passes the actors'
   * catalogue, so this layer knows no actor. Without one the path is a 404.
   */
  machines?: () => unknown[];
  /** Usage served as metrics.k8s.io/v1beta1 (`kubectl top`); without one that group is neither listed nor served. */
  metrics?: PodMetricsSource;
  /** Service CIDR and node port range Services allocate from (default 10.96.0.0/12, 30000-32767). */
  serviceRanges?: ServiceRanges;
  /** `/kactus/v1/events` tuning (src/apiserver/events/README.md); defaults suit production. */
  eventStream?: EventStreamOptions;
  /** A machine kind's (`Pod`, `Pod/container`) definition as JSON, for `format=stately`; the master passes the catalogue's. */
  machineDefinition?: (machineKind: string) => string | undefined;
  /** Directory of the web UI's bundle served at `/ui/` (default `web/dist/`, built by scripts/build-ui.sh). */
  uiDir?: string;
  /**
   * Asked after authentication (and impersonation) for every request but health checks and `/ui/`
   * files; anything but `allow` is Kubernetes' 403. `system:masters` is allowed without asking.
   * Absent: every authenticated user may do everything (a bare server in tests).
   */
  authorizer?: Authorizer;
  /** What SelfSubjectRulesReview (`kubectl auth can-i --list`) lists: RBAC's rules (src/registry/authorization/rbac/rules-review.ts). */
  rulesReview?: RulesReviewSource;
  /** Validating admission plugins after the built-in ones (the master's RBAC escalation check). */
  admissionPlugins?: readonly AdmissionPlugin[];
  /** `--audit-log-path`: one audit.k8s.io/v1 Event per API request (audit/README.md); absent = no audit log. */
  audit?: AuditSink;
  /**
   * `POST /kactus/v1/etcd/members`: a master joining the cluster's etcd (src/master/etcd/), which
   * authenticates the request itself (a master join token, not an API user). Absent: 404.
   */
  masterJoin?: MasterJoinSource;
}

/** Answers a master join: the request body, its bearer token and this server's registry; throws ApiError to refuse. */
export type MasterJoinSource = (body: unknown, bearerToken: string | undefined, registry: Registry) => Promise<unknown>;

export interface EventStreamOptions {
  /** Bytes held for one client before it is closed with 4429 (default 8 MiB). */
  maxBufferedBytes?: number;
  /** Time a closed client has to read its close frame (default 5 s). */
  closeTimeoutMs?: number;
  /** Recent entries kept in memory for resuming clients (default 20,000). */
  ringSize?: number;
  /** Heartbeat period (default 10 s). */
  heartbeatMs?: number;
  /** Live clients' frames are written in rounds at most this often (default 15 ms; 0: every turn of the event loop). */
  flushIntervalMs?: number;
  /**
   * Threads that serve the stream's connections (events/workers/README.md): they listen on the
   * API port, serve event streams themselves and relay every other connection to this thread.
   * Default one fewer than the machine's cores, at least 1; 0: this thread serves everything.
   */
  workers?: number;
}

export interface ApiServer {
  /** `https://host:port`. */
  url: string;
  port: number;
  caCertPem: string;
  adminToken: string;
  /** The object-level API this server serves; in-process controllers use it directly. */
  registry: Registry;
  metrics: ApiMetrics;
  /** The main thread's event stream hub (`/kactus/v1/events`): the stream workers' hubs follow it; it serves the streams of this thread's own connections. */
  eventHub: EventHub;
  /** Every hub's clients and buffer figures: this thread's, then each stream worker's. */
  eventStreamStats(): Promise<HubStats[]>;
  /** ServiceAccount tokens: what node daemons ask for pods' projected tokens (ServiceAccountTokenIssuer), and what this server authenticates. */
  serviceAccountTokens: ServiceAccountTokens;
  /** Signs client certificates with the cluster CA (nodes' credentials at join; x509 authentication accepts them). */
  clientCertificates: ClientCertificateIssuer;
  /**
   * Serve on `host` too, same port (the node's pod bridge gateway, so pods reach the API through
   * the `kubernetes` Service); once per host, closed with the server.
   */
  listenAlso(host: string): Promise<void>;
  /** Stops listening, ends open watches and connections. The store stays open (the caller owns it). */
  close(): Promise<void>;
}

/** The given fields only (so `undefined` never overrides a default). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Starts the API server; resolves once it listens and the system namespaces exist. */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.logger ?? pino({ name: 'apiserver' });
  const metrics = new ApiMetrics();
  const store = instrumentStore(opts.store, metrics);
  const registry = new Registry({ store, now: opts.now, logger: log, serviceRanges: opts.serviceRanges, admission: { serviceAccount: opts.serviceAccountAdmission ?? false, validating: opts.admissionPlugins } });
  await registry.start(SYSTEM_NAMESPACES);
  let pki: Pki;
  let serviceAccountTokens: ServiceAccountTokens;
  try {
    // After the registry: the CA and admin token are the cluster's, shared through the store.
    pki = await loadOrCreatePki(opts.dataDir, {
      // Pods dial the `kubernetes` Service by ClusterIP or name and verify against them.
      sans: [host, ...inClusterApiNames(registry.services.ranges, opts.clusterDomain), ...(opts.sans ?? [])],
      share: (local) => shareClusterIdentity(registry, local),
    });
    // The token signing key is the cluster's too: every master verifies every other's tokens.
    serviceAccountTokens = await ServiceAccountTokens.start({ registry, caCertPem: pki.caCertPem, now: opts.now });
  } catch (err) {
    registry.close();
    throw err;
  }

  const serviceAccountUser: TokenAuthenticator = (token) => serviceAccountTokens.authenticate(token);
  const authenticate = requestAuthenticator(pki.adminToken, opts.tokens, serviceAccountUser);
  // One store watch of the transition log for every stream client of this server.
  const hub = new EventHub({ source: storeLogSource(store), ringSize: opts.eventStream?.ringSize, heartbeatMs: opts.eventStream?.heartbeatMs, flushIntervalMs: opts.eventStream?.flushIntervalMs, logger: log });
  const streamDeps: EventStreamDeps = {
    hub,
    limits: { ...DEFAULT_STREAM_LIMITS, ...definedOnly({ maxBufferedBytes: opts.eventStream?.maxBufferedBytes, closeTimeoutMs: opts.eventStream?.closeTimeoutMs }) },
    checkToken: tokenChecker(pki.adminToken, opts.tokens, serviceAccountUser),
    ...(opts.authorizer ? { authorizer: opts.authorizer } : {}),
    onClosed: (code) => metrics.eventStreamClosed.inc({ code: String(code) }),
    ...(opts.machineDefinition ? { definitionOf: opts.machineDefinition } : {}),
  };
  const streams = new Set<WatchStream>();
  const watchDeps: WatchDeps = { registry, metrics, log, limits: opts.watchLimits ?? DEFAULT_WATCH_LIMITS, streams };
  let serverAddress = `${host}:${opts.port}`;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = process.hrtime.bigint();
    let url: URL;
    try {
      url = requestUrl(req.url);
    } catch (err) {
      writeError(res, err);
      return;
    }
    let verb = req.method ?? 'UNKNOWN';
    let resource = '';
    let r: Route | undefined;
    let failure: ApiError | undefined;
    if (opts.audit) auditRequest(opts.audit, req, res, () => ({ route: r, reason: failure?.reason }));
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.requests.inc({ verb, resource, code: String(res.statusCode) });
      if (verb !== 'WATCH') metrics.requestDuration.observe({ verb, resource }, seconds);
      log.debug({ verb, path: url.pathname, query: url.search, code: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
    });
    try {
      r = route(url.pathname);
      if (r.type === 'health') return await serveHealth(res, r.check, store);
      // The CA certificate is public; a joining master checks its hash against its token before sending anything (k3s's /cacerts).
      if (r.type === 'cacerts') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        return void res.end(pki.caCertPem);
      }
      if (r.type === 'etcdMembers') {
        if (!opts.masterJoin) throw pathNotFound();
        if (req.method !== 'POST') throw new ApiError(405, 'MethodNotAllowed', 'POST a master join request');
        const body = decodeJson((await readBody(req)).toString('utf8'));
        return writeJson(res, 201, await opts.masterJoin(body, bearerToken(req), registry));
      }
      // The dashboard's static files: no cluster data in them, and a page load cannot carry a token.
      if (r.type === 'ui') return await serveUi(req, res, r.file, opts.uiDir);
      const authenticated = await authenticate(req);
      if (!authenticated) throw ApiError.unauthorized();
      const user = await impersonate(req, authenticated, opts.authorizer);
      setRequestUser(req, user);
      const attrs = requestAttributes(req, r, url, user);
      if (attrs) await authorizeRequest(opts.authorizer, attrs);
      if (r.type === 'resource') {
        verb = requestVerb(req, r, url.searchParams);
        resource = r.subresource ? `${r.info.resource}/${r.subresource}` : r.info.resource;
        if (isReview(r.info)) return await serveReview(req, res, r, user, { authorizer: opts.authorizer, rules: opts.rulesReview });
        if (r.subresource === 'token') return await serveTokenRequest(req, res, r, serviceAccountTokens);
        return await serveResource(req, res, url, r, watchDeps);
      }
      if (r.type === 'podLog') {
        resource = 'pods/log';
        return await servePodLogs(req, res, url.searchParams, r.namespace, r.name, { registry, logs: opts.logs });
      }
      // Exec, attach, port-forward and the event stream arrive as upgrades (handleUpgrade below); a plain request is Kubernetes' 400.
      if (r.type === 'podExec' || r.type === 'podAttach' || r.type === 'podPortForward' || r.type === 'events') throw ApiError.badRequest('Upgrade request required');
      if (r.type === 'resourceMetrics') {
        resource = `${r.resource}.metrics.k8s.io`;
        return await serveResourceMetrics(req.method ?? 'GET', res, url.searchParams, r, { registry, source: opts.metrics, now: opts.now });
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
      if (r.type === 'metrics') return await serveMetrics(res, metrics);
      if (r.type === 'machines') {
        if (!opts.machines) throw pathNotFound();
        return writeJson(res, 200, { kind: 'MachineList', apiVersion: 'kactus.io/v1', items: opts.machines() });
      }
      if (r.type === 'history') {
        resource = 'kactus/history';
        return await serveHistory(res, store, r.kind, r.namespace, r.name);
      }
      if (r.type === 'openapi') return serveOpenApi(req, res, url);
      return serveDiscovery(req, res, r, serverAddress, opts.metrics !== undefined);
    } catch (err) {
      const apiErr = writeError(res, err);
      failure = apiErr;
      if (apiErr.code >= 500) log.error({ err, path: url.pathname }, 'request failed');
    }
  };

  /** Upgrades: `pods/{name}/exec`, `/attach` (WebSocket), `/portforward` (WebSocket or SPDY); anything else, and every check that fails, is a Status on the socket. */
  const handleUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    let url: URL | undefined;
    const received = new Date();
    let r: Route | undefined;
    try {
      url = requestUrl(req.url);
      r = route(url.pathname);
      // The stream authenticates itself (a browser's token comes in a subprotocol) and answers with close codes.
      if (r.type === 'events') {
        metrics.requests.inc({ verb: 'WATCH', resource: 'kactus/events', code: '101' });
        return await serveEventStream(req, socket, head, url, streamDeps);
      }
      const authenticated = await authenticate(req);
      if (!authenticated) throw ApiError.unauthorized();
      const user = await impersonate(req, authenticated, opts.authorizer);
      setRequestUser(req, user);
      const attrs = requestAttributes(req, r, url, user);
      if (attrs) await authorizeRequest(opts.authorizer, attrs);
      if (r.type === 'podExec') {
        await servePodExec(req, socket, head, url.searchParams, r.namespace, r.name, { registry, exec: opts.exec });
        if (opts.audit) auditUpgrade(opts.audit, req, received, r, 101);
        metrics.requests.inc({ verb: 'CONNECT', resource: 'pods/exec', code: '101' });
      } else if (r.type === 'podAttach') {
        await servePodAttach(req, socket, head, url.searchParams, r.namespace, r.name, { registry, attach: opts.attach });
        if (opts.audit) auditUpgrade(opts.audit, req, received, r, 101);
        metrics.requests.inc({ verb: 'CONNECT', resource: 'pods/attach', code: '101' });
      } else if (r.type === 'podPortForward') {
        await servePodPortForward(req, socket, head, r.namespace, r.name, { registry, portForward: opts.portForward });
        if (opts.audit) auditUpgrade(opts.audit, req, received, r, 101);
        metrics.requests.inc({ verb: 'CONNECT', resource: 'pods/portforward', code: '101' });
      } else {
        throw ApiError.badRequest(`${url.pathname} does not accept a connection upgrade`);
      }
    } catch (err) {
      const res = new ServerResponse(req);
      res.assignSocket(socket as Socket);
      res.shouldKeepAlive = false;
      res.on('finish', () => socket.destroy());
      const apiErr = writeError(res, err);
      if (opts.audit) auditUpgrade(opts.audit, req, received, r, apiErr.code, apiErr.reason);
      if (apiErr.code >= 500) log.error({ err, path: url?.pathname }, 'upgrade failed');
    }
  };

  // Client certificates are asked for, never required (tokens work without one); x509
  // authentication accepts those that verify against the cluster CA (http/auth.ts).
  const serving = { cert: pki.serverCertPem, key: pki.serverKeyPem, ca: pki.caCertPem, requestCert: true, rejectUnauthorized: false };
  const sockets = new Set<Socket>();
  const handlers: ListenerHandlers = {
    request: (req, res) => void handle(req, res),
    upgrade: (req, socket, head) => void handleUpgrade(req, socket, head),
    sockets,
  };
  const workerCount = opts.eventStream?.workers ?? defaultStreamWorkers();
  // With stream workers, they own the port: this thread gets their relayed connections.
  let server: Server | undefined;
  let workers: StreamWorkers | undefined;
  let port: number;
  if (workerCount > 0) {
    workers = await StreamWorkers.start({
      count: workerCount,
      host,
      port: opts.port,
      tls: serving,
      hub,
      hubOptions: definedOnly({ ringSize: opts.eventStream?.ringSize, heartbeatMs: opts.eventStream?.heartbeatMs, flushIntervalMs: opts.eventStream?.flushIntervalMs }),
      limits: streamDeps.limits,
      checkToken: streamDeps.checkToken,
      ...(opts.authorizer ? { authorizer: opts.authorizer } : {}),
      ...(opts.machineDefinition ? { definitionOf: opts.machineDefinition } : {}),
      onUpgraded: () => metrics.requests.inc({ verb: 'WATCH', resource: 'kactus/events', code: '101' }),
      onClosed: (code) => metrics.eventStreamClosed.inc({ code: String(code) }),
      handlers,
      logger: log,
    });
    port = workers.port;
  } else {
    ({ server, port } = await startListener(serving, handlers, host, opts.port));
  }
  serverAddress = `${host}:${port}`;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url }, 'API server listening');

  const extraListeners = new Map<string, Promise<Server>>();
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    caCertPem: pki.caCertPem,
    adminToken: pki.adminToken,
    registry,
    metrics,
    eventHub: hub,
    async eventStreamStats() {
      const main: HubStats = { hub: 'main', clients: hub.clientCount, bufferedHighWater: hub.bufferedHighWater, floor: hub.floor, position: hub.position };
      return [main, ...((await workers?.stats()) ?? [])];
    },
    serviceAccountTokens,
    clientCertificates: new ClientCertificateIssuer(pki.caCertPem, pki.caKeyPem, opts.now),
    async listenAlso(extraHost: string): Promise<void> {
      if (closing) throw new Error('API server is closing');
      let listening = extraListeners.get(extraHost);
      if (!listening) {
        listening = startListener({ ...serving, ...POD_FACING_TLS }, handlers, extraHost, port).then((l) => l.server);
        extraListeners.set(extraHost, listening);
        // A failed bind may be tried again later.
        listening.then(
          () => log.info({ url: `https://${extraHost.includes(':') ? `[${extraHost}]` : extraHost}:${port}` }, 'API server listening'),
          () => extraListeners.delete(extraHost),
        );
      }
      await listening;
    },
    close() {
      closing ??= (async () => {
        const extras = await Promise.all([...extraListeners.values()].map((l) => l.catch(() => undefined)));
        // The workers first: their clients get 1001, not the 4410 of a hub whose source closed.
        await workers?.close();
        registry.close();
        hub.close(1001, 'server stopping');
        for (const stream of [...streams]) stream.end('server-closing');
        const closed = Promise.all([server, ...extras].filter((l) => l !== undefined).map(stopListener));
        for (const s of sockets) s.destroy();
        await closed;
        log.info({ url }, 'API server stopped');
      })();
      return closing;
    },
  };
}
