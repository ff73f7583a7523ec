/**
 * Forwarding queries for names outside the cluster zone to upstream resolvers. Each exchange
 * uses its own socket and a fresh random id (as a stub resolver does: a spoofed answer must
 * guess both the port and the id), and a reply counts only if it comes from the upstream, is
 * a response, and carries our id and the same question. Upstreams are tried in order, each
 * with its own timeout; the caller answers SERVFAIL when none replies.
 */
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { parseAddress } from './names.ts';
import { parseResolvConf } from './resolv-conf.ts';
import { questionBytes } from './wire.ts';

export interface Upstream {
  host: string;
  port: number;
}

export type Transport = 'udp' | 'tcp';

export class UpstreamTimeoutError extends Error {
  readonly code = 'UPSTREAM_TIMEOUT';
  constructor(upstream: Upstream, timeoutMs: number) {
    super(`upstream ${formatUpstream(upstream)} did not answer within ${timeoutMs} ms`);
    this.name = 'UpstreamTimeoutError';
  }
}

export class UpstreamUnavailableError extends Error {
  readonly code = 'UPSTREAM_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamUnavailableError';
  }
}

export function formatUpstream({ host, port }: Upstream): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Upstreams from `host`, `host:port`, `[v6]:port` or `Upstream` values (port 53 by default).
 * Throws on a value that is not an IP address: upstreams are addresses, never names to resolve.
 */
export function parseUpstreams(values: readonly (string | Upstream)[]): Upstream[] {
  return values.map((value) => {
    if (typeof value !== 'string') return value;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
    const hostPort = /^([^:]+):(\d+)$/.exec(value);
    const [host, port] = bracketed !== null ? [bracketed[1], bracketed[2]] : hostPort !== null ? [hostPort[1], hostPort[2]] : [value, undefined];
    const parsed = host === undefined ? undefined : parseAddress(host);
    const portNumber = port === undefined ? 53 : Number(port);
    if (parsed === undefined || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) {
      throw new UpstreamUnavailableError(`upstream resolver "${value}" is not an IP address with an optional port`);
    }
    return { host: parsed.address, port: portNumber };
  });
}

/** The nameservers of a resolv.conf text as upstreams (port 53); entries that are not addresses are skipped. */
export function upstreamsFromResolvConf(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const nameserver of parseResolvConf(text).nameservers) {
    const parsed = parseAddress(nameserver);
    if (parsed !== undefined) out.push({ host: parsed.address, port: 53 });
  }
  return out;
}

export interface ForwardOptions {
  transport: Transport;
  /** Per upstream. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Ask each upstream in turn until one replies; resolves with the reply carrying `query`'s id.
 * Rejects with the last error when none does.
 */
export async function forwardQuery(query: Buffer, upstreams: readonly Upstream[], options: ForwardOptions): Promise<Buffer> {
  let lastError: Error = new UpstreamUnavailableError('no upstream resolvers are configured');
  for (const upstream of upstreams) {
    if (options.signal?.aborted === true) break;
    try {
      return await exchange(query, upstream, options);
    } catch (error) {
      lastError = error instanceof Error ? error : new Error(String(error));
    }
  }
  throw lastError;
}

/** One query to one upstream over `transport`; the reply comes back with the query's own id. */
export async function exchange(query: Buffer, upstream: Upstream, options: ForwardOptions): Promise<Buffer> {
  const question = questionBytes(query);
  if (question === undefined) throw new UpstreamUnavailableError('query has no question to forward');
  const id = randomInt(0, 0x10000);
  const outgoing = Buffer.from(query);
  outgoing.writeUInt16BE(id, 0);
  const accepts = (reply: Buffer): boolean =>
    reply.length >= 12 && reply.readUInt16BE(0) === id && ((reply[2] ?? 0) & 0x80) !== 0 && questionBytes(reply)?.equals(question) === true;
  const reply = await (options.transport === 'udp' ? exchangeUdp : exchangeTcp)(outgoing, upstream, accepts, options);
  const answer = Buffer.from(reply);
  answer.writeUInt16BE(query.readUInt16BE(0), 0);
  return answer;
}

type Accepts = (reply: Buffer) => boolean;

function exchangeUdp(outgoing: Buffer, upstream: Upstream, accepts: Accepts, options: ForwardOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(upstream.host.includes(':') ? 'udp6' : 'udp4');
    const finish = settle(upstream, options, resolve, reject, () => socket.close());
    socket.on('error', (error) => finish.fail(error));
    // Only the upstream's datagrams reach a connected socket; others are dropped by the kernel.
    socket.on('message', (reply) => {
      if (accepts(reply)) finish.done(reply);
    });
    socket.connect(upstream.port, upstream.host, () => {
      socket.send(outgoing, (error) => {
        if (error) finish.fail(error);
      });
    });
  });
}

function exchangeTcp(outgoing: Buffer, upstream: Upstream, accepts: Accepts, options: ForwardOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: upstream.host, port: upstream.port });
    const finish = settle(upstream, options, resolve, reject, () => socket.destroy());
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('error', (error) => finish.fail(error));
    socket.on('connect', () => {
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(outgoing.length);
      socket.write(Buffer.concat([prefix, outgoing]));
    });
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) return;
        const reply = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        if (accepts(reply)) return finish.done(Buffer.from(reply));
      }
    });
    socket.on('end', () => finish.fail(new UpstreamUnavailableError(`upstream ${formatUpstream(upstream)} closed the connection without an answer`)));
  });
}

/** Settle an exchange once: on reply, error, timeout or abort; then release the socket. */
function settle(
  upstream: Upstream,
  options: ForwardOptions,
  resolve: (reply: Buffer) => void,
  reject: (error: Error) => void,
  release: () => void,
): { done: (reply: Buffer) => void; fail: (error: Error) => void } {
  let settled = false;
  const onAbort = (): void => finish(() => reject(new UpstreamUnavailableError('forwarding aborted')));
  const timer = setTimeout(() => finish(() => reject(new UpstreamTimeoutError(upstream, options.timeoutMs))), options.timeoutMs);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted === true) queueMicrotask(onAbort);
  function finish(then: () => void): void {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    try {
      release();
    } catch {
      // Already closed.
    }
    then();
  }
  return { done: (reply) => finish(() => resolve(reply)), fail: (error) => finish(() => reject(error)) };
}
