/**
 * The node's cluster DNS server: UDP and TCP on one address and port. Questions for the cluster
 * zone (and PTRs of cluster addresses) are answered from `ClusterDnsRecords`; everything else is
 * forwarded to the upstream resolvers, and answered SERVFAIL when none replies in time.
 *
 * Flow per query: bytes → `parseQuery` (garbage and responses are dropped, never answered) →
 * `resolveQuestion` → an answer from the zone (an ExternalName's CNAME leaving the zone is
 * completed upstream) or `forwardQuery` of the client's own bytes over the client's transport
 * → `encodeResponse`, truncated to the client's UDP size (512 bytes, or its EDNS size).
 *
 * Limits: at most `maxPendingForwards` forwarded queries in flight (more are answered SERVFAIL at
 * once, so a flood cannot exhaust sockets); TCP connections close after `tcpIdleTimeoutMs`
 * without a query, at most `maxTcpConnections` are open, and a connection with
 * `MAX_TCP_PIPELINE` queries in progress is not read until some are answered.
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import dnsPacket, { type Answer, type RecordType } from 'dns-packet';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { parseAddress } from './names.ts';
import { ClusterDnsRecords, type ClusterDnsRecordsOptions, type RecordsUpdateStats } from './records.ts';
import { resolveQuestion, type QueryType, type ZoneAnswer } from './resolve.ts';
import { forwardQuery, formatUpstream, parseUpstreams, upstreamsFromResolvConf, type Transport, type Upstream } from './upstream.ts';
import { encodeError, encodeResponse, MAX_TCP_MESSAGE, parseQuery, responseRcode, type ParsedQuery } from './wire.ts';
import { errorMessage } from '../../../src/api/error-message.ts';

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 2000;
export const DEFAULT_TCP_IDLE_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_TCP_CONNECTIONS = 256;
export const DEFAULT_MAX_PENDING_FORWARDS = 1024;
/** Queries one TCP connection may have in progress before it is paused. */
export const MAX_TCP_PIPELINE = 64;

export interface ClusterDnsServerOptions extends ClusterDnsRecordsOptions {
  /** Address to listen on (UDP and TCP), e.g. the node bridge's gateway `10.244.3.1`, or `127.0.0.1`. */
  address: string;
  /** Port; default 53. 0 picks a free port (the same for UDP and TCP). */
  port?: number;
  /**
   * Upstream resolvers for names outside the zone: `ip`, `ip:port`, `[ipv6]:port` or `{host, port}`.
   * Default: the nameservers of `resolvConfPath`.
   */
  upstreams?: readonly (string | Upstream)[];
  /** Where default upstreams come from; default `/etc/resolv.conf`. */
  resolvConfPath?: string;
  /** How long each upstream gets to answer, ms; default 2000. */
  upstreamTimeoutMs?: number;
  tcpIdleTimeoutMs?: number;
  maxTcpConnections?: number;
  maxPendingForwards?: number;
  /** One line per problem (socket errors, upstream failures). */
  log?: (line: string) => void;
}

export interface ClusterDnsServer {
  /** The address and port both listeners are bound to. */
  readonly address: string;
  readonly port: number;
  /** The zone's records: `update` replaces them all; `upsert…`/`delete…` apply single changes. */
  readonly records: ClusterDnsRecords;
  /** The upstreams in use (after removing this server itself). */
  readonly upstreams: readonly Upstream[];
  /** Shorthand for `records.update(services, slices)`. */
  update(services: Iterable<Service>, slices: Iterable<EndpointSlice>): RecordsUpdateStats;
  /** Stop listening, drop TCP connections and abandon forwards in flight. */
  close(): Promise<void>;
}

/** Start serving cluster DNS on `options.address`; resolves once both listeners are bound. */
export async function startClusterDnsServer(options: ClusterDnsServerOptions): Promise<ClusterDnsServer> {
  const parsedAddress = parseAddress(options.address);
  if (parsedAddress === undefined) throw new TypeError(`DNS listen address "${options.address}" is not an IP address`);
  const address = parsedAddress.address;
  const log = options.log ?? ((): void => {});
  const records = new ClusterDnsRecords({ nameserverAddresses: [address], ...options });
  const configured = options.upstreams !== undefined ? parseUpstreams(options.upstreams) : defaultUpstreams(options.resolvConfPath);
  const { udp, tcp, port } = await bindUdpAndTcp(address, parsedAddress.family === 'IPv4' ? 'udp4' : 'udp6', options.port ?? 53);
  // Never forward to ourselves: a host whose resolv.conf names this address would loop.
  const upstreams = configured.filter((upstream) => !(upstream.host === address && upstream.port === port));
  const answerer = new QueryAnswerer(records, upstreams, {
    timeoutMs: options.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS,
    maxPending: options.maxPendingForwards ?? DEFAULT_MAX_PENDING_FORWARDS,
    log,
  });

  let closed = false;
  udp.on('message', (bytes, peer) => {
    const send = (reply: Buffer | undefined): void => {
      // Forwards abandoned by close() settle after the socket is gone: they have no one to answer.
      if (reply !== undefined && !closed) udp.send(reply, peer.port, peer.address, () => {});
    };
    try {
      const reply = answerer.answer(bytes, 'udp');
      if (reply instanceof Promise) reply.then(send, (error: unknown) => log(`dns: answering ${peer.address}:${peer.port} failed: ${String(error)}`));
      else send(reply);
    } catch (error) {
      log(`dns: answering ${peer.address}:${peer.port} failed: ${String(error)}`);
    }
  });
  udp.on('error', (error) => log(`dns: udp socket error: ${error.message}`));

  const connections = new Set<net.Socket>();
  const maxConnections = options.maxTcpConnections ?? DEFAULT_MAX_TCP_CONNECTIONS;
  const idleMs = options.tcpIdleTimeoutMs ?? DEFAULT_TCP_IDLE_TIMEOUT_MS;
  tcp.on('connection', (socket) => {
    if (connections.size >= maxConnections) {
      socket.destroy();
      return;
    }
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    serveTcpConnection(socket, answerer, idleMs, log);
  });
  tcp.on('error', (error) => log(`dns: tcp listener error: ${error.message}`));

  return {
    address,
    port,
    records,
    upstreams,
    update: (services, slices) => records.update(services, slices),
    async close() {
      if (closed) return;
      closed = true;
      answerer.abort();
      for (const socket of connections) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => tcp.close(() => resolve())),
        new Promise<void>((resolve) => udp.close(() => resolve())),
      ]);
    },
  };
}

function defaultUpstreams(path = '/etc/resolv.conf'): Upstream[] {
  try {
    return upstreamsFromResolvConf(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}

/** Bind UDP first, then TCP on the same port (retrying when port 0 picked one TCP cannot have). Tests and the benchmark reuse it for their fake servers. */
export async function bindUdpAndTcp(address: string, family: 'udp4' | 'udp6', port: number): Promise<{ udp: dgram.Socket; tcp: net.Server; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const udp = dgram.createSocket({ type: family });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ address, port, exclusive: true }, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const bound = udp.address().port;
    const tcp = net.createServer({ pauseOnConnect: false });
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: address, port: bound, exclusive: true }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return { udp, tcp, port: bound };
    } catch (error) {
      udp.close();
      if (port !== 0 || attempt >= 10) throw error;
    }
  }
}

/** Length-prefixed queries on one TCP connection (RFC 7766): answered as they complete, possibly out of order. */
function serveTcpConnection(socket: net.Socket, answerer: QueryAnswerer, idleMs: number, log: (line: string) => void): void {
  let buffered: Buffer = Buffer.alloc(0);
  let inFlight = 0;
  socket.setTimeout(idleMs, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2) {
      const length = buffered.readUInt16BE(0);
      if (length === 0) {
        socket.destroy();
        return;
      }
      if (buffered.length < 2 + length) break;
      const message = Buffer.from(buffered.subarray(2, 2 + length));
      buffered = buffered.subarray(2 + length);
      inFlight++;
      if (inFlight >= MAX_TCP_PIPELINE) socket.pause();
      Promise.resolve()
        .then(() => answerer.answer(message, 'tcp'))
        .then(
          (reply) => {
            if (reply === undefined || socket.destroyed) return;
            const prefix = Buffer.alloc(2);
            prefix.writeUInt16BE(reply.length);
            socket.write(Buffer.concat([prefix, reply]));
          },
          (error: unknown) => log(`dns: answering a tcp query failed: ${String(error)}`),
        )
        .finally(() => {
          inFlight--;
          if (inFlight < MAX_TCP_PIPELINE && socket.isPaused()) socket.resume();
        });
    }
  });
}

/** Turns query bytes into reply bytes (undefined: drop), from the zone or the upstreams. */
class QueryAnswerer {
  readonly #aborter = new AbortController();
  #pending = 0;

  constructor(
    private readonly records: ClusterDnsRecords,
    private readonly upstreams: readonly Upstream[],
    private readonly options: { timeoutMs: number; maxPending: number; log: (line: string) => void },
  ) {}

  /**
   * The reply to `bytes`. Answers from the zone come back at once (no promise: most queries
   * are for the zone, and a promise per query costs more than the lookup); forwarded ones later.
   */
  answer(bytes: Buffer, transport: Transport): Buffer | undefined | Promise<Buffer | undefined> {
    const query = parseQuery(bytes);
    if (query === undefined) return undefined;
    if (query.problem !== undefined) return encodeError(query, query.problem === 'BADVERS' ? 'NOERROR' : query.problem);
    const question = query.question;
    if (question === undefined) return encodeError(query, 'FORMERR');
    const limit = transport === 'udp' ? query.udpLimit : MAX_TCP_MESSAGE;

    const resolution = resolveQuestion(this.records, question);
    if (resolution.kind === 'forward') {
      return this.#forward(bytes, transport, question.name).then((reply) => reply ?? encodeError(query, 'SERVFAIL'));
    }
    if (resolution.chase !== undefined) return this.#chase(query, resolution, resolution.chase, limit);
    return encodeResponse(query, resolution, limit);
  }

  abort(): void {
    this.#aborter.abort();
  }

  /** The upstreams' reply to `bytes`, or undefined when none replied (or too many are in flight). */
  async #forward(bytes: Buffer, transport: Transport, name: string): Promise<Buffer | undefined> {
    if (this.upstreams.length === 0 || this.#pending >= this.options.maxPending) return undefined;
    this.#pending++;
    try {
      return await forwardQuery(bytes, this.upstreams, { transport, timeoutMs: this.options.timeoutMs, signal: this.#aborter.signal });
    } catch (error) {
      const tried = this.upstreams.map(formatUpstream).join(', ');
      this.options.log(`dns: forwarding ${name} to ${tried} failed: ${errorMessage(error)}`);
      return undefined;
    } finally {
      this.#pending--;
    }
  }

  /**
   * Complete a CNAME chain that leaves the zone: ask the upstreams for the target (over UDP,
   * again over TCP if that reply was truncated) and append their answers. SERVFAIL when they fail.
   */
  async #chase(query: ParsedQuery, zone: ZoneAnswer, chase: { name: string; type: QueryType }, limit: number): Promise<Buffer> {
    const ask = dnsPacket.encode({
      type: 'query',
      id: 0,
      flags: dnsPacket.RECURSION_DESIRED,
      // dns-packet encodes `UNKNOWN_<n>` types (HTTPS, SVCB…) by number; its types list only named ones.
      questions: [{ name: chase.name, type: chase.type as RecordType, class: 'IN' }],
    });
    let reply: Buffer | undefined = await this.#forward(ask, 'udp', chase.name);
    if (reply !== undefined && reply.length >= 3 && ((reply[2] ?? 0) & 0x02) !== 0) reply = await this.#forward(ask, 'tcp', chase.name);
    if (reply === undefined) return encodeError(query, 'SERVFAIL');
    let answers: Answer[];
    try {
      answers = dnsPacket.decode(reply).answers ?? [];
    } catch {
      return encodeError(query, 'SERVFAIL');
    }
    const rcode = responseRcode(reply) === 'NXDOMAIN' ? 'NXDOMAIN' : 'NOERROR';
    return encodeResponse(query, { ...zone, rcode, answers: [...zone.answers, ...answers] }, limit);
  }
}
