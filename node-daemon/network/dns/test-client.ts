/**
 * For tests and the benchmark: a DNS client over dns-packet (UDP with many queries in flight on one
 * socket, matched by id; TCP with length-prefixed messages), and a fake upstream resolver.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket, type Packet } from 'dns-packet';
import { bindUdpAndTcp } from './server.ts';

export class DnsUdpClient {
  readonly #socket = dgram.createSocket('udp4');
  readonly #waiting = new Map<number, { resolve: (reply: Buffer) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  #nextId = 1;

  constructor(
    private readonly port: number,
    private readonly host = '127.0.0.1',
  ) {
    this.#socket.on('message', (reply) => {
      if (reply.length < 2) return;
      const waiter = this.#waiting.get(reply.readUInt16BE(0));
      if (waiter === undefined) return;
      this.#waiting.delete(reply.readUInt16BE(0));
      clearTimeout(waiter.timer);
      waiter.resolve(reply);
    });
  }

  /** Send `packet` (its id replaced by a fresh one) and resolve with the raw reply. */
  raw(packet: Packet, timeoutMs = 5000): Promise<Buffer> {
    const id = this.#freeId();
    const bytes = dnsPacket.encode({ ...packet, id });
    return this.rawBytes(bytes, id, timeoutMs);
  }

  /** Send bytes whose id is `id` and resolve with the reply carrying it. */
  rawBytes(bytes: Buffer, id: number, timeoutMs = 5000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`no reply to query ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, { resolve, reject, timer });
      this.#socket.send(bytes, this.port, this.host, (error) => {
        if (error) reject(error);
      });
    });
  }

  /** Send a datagram and expect nothing back. */
  sendOnly(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.#socket.send(bytes, this.port, this.host, (error) => (error ? reject(error) : resolve())));
  }

  async query(packet: Packet, timeoutMs?: number): Promise<DecodedPacket> {
    return dnsPacket.decode(await this.raw(packet, timeoutMs));
  }

  close(): void {
    for (const waiter of this.#waiting.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error('client closed'));
    }
    this.#waiting.clear();
    this.#socket.close();
  }

  #freeId(): number {
    for (;;) {
      const id = this.#nextId;
      this.#nextId = (this.#nextId % 0xffff) + 1;
      if (!this.#waiting.has(id)) return id;
    }
  }
}

/** Length-prefixed DNS messages over one TCP connection; replies are matched by id. */
export class DnsTcpClient {
  readonly #socket: net.Socket;
  readonly #connected: Promise<void>;
  readonly #waiting = new Map<number, (reply: Buffer) => void>();
  #buffered: Buffer = Buffer.alloc(0);
  closedByPeer = false;

  constructor(port: number, host = '127.0.0.1') {
    this.#socket = net.connect({ port, host });
    this.#connected = new Promise((resolve, reject) => {
      this.#socket.once('connect', () => resolve());
      this.#socket.once('error', reject);
    });
    this.#socket.on('error', () => {});
    this.#socket.on('close', () => {
      this.closedByPeer = true;
    });
    this.#socket.on('data', (chunk: Buffer) => {
      this.#buffered = Buffer.concat([this.#buffered, chunk]);
      while (this.#buffered.length >= 2) {
        const length = this.#buffered.readUInt16BE(0);
        if (this.#buffered.length < 2 + length) return;
        const reply = this.#buffered.subarray(2, 2 + length);
        this.#buffered = this.#buffered.subarray(2 + length);
        this.#waiting.get(reply.readUInt16BE(0))?.(Buffer.from(reply));
      }
    });
  }

  async query(packet: Packet & { id: number }, timeoutMs = 5000): Promise<DecodedPacket> {
    await this.#connected;
    const reply = new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no TCP reply to ${packet.id} within ${timeoutMs} ms`)), timeoutMs);
      this.#waiting.set(packet.id, (bytes) => {
        clearTimeout(timer);
        this.#waiting.delete(packet.id);
        resolve(bytes);
      });
    });
    this.#socket.write(dnsPacket.streamEncode(packet));
    return dnsPacket.decode(await reply);
  }

  async write(bytes: Buffer): Promise<void> {
    await this.#connected;
    this.#socket.write(bytes);
  }

  close(): void {
    this.#socket.destroy();
  }
}

export function question(name: string, type: string, options: { edns?: number; flags?: number } = {}): Packet {
  return {
    type: 'query',
    flags: options.flags ?? dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as 'A' }],
    ...(options.edns !== undefined
      ? { additionals: [{ name: '.', type: 'OPT', udpPayloadSize: options.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] }
      : {}),
  };
}

/** The rcode dns-packet decodes into the (untyped) `rcode` field. */
export function rcodeOf(packet: DecodedPacket): string {
  return (packet as DecodedPacket & { rcode: string }).rcode;
}

export interface FakeUpstream {
  port: number;
  /** Every question it was asked, as `name TYPE transport`. */
  asked: string[];
  close(): Promise<void>;
}

/**
 * An upstream resolver on loopback (UDP and TCP on one port) that answers from `zone`
 * (`name TYPE` → answers; other names NXDOMAIN; over UDP, more than 512 bytes is sent empty with TC),
 * or never answers when `silent`.
 */
export async function startFakeUpstream(zone: Record<string, Answer[]>, options: { silent?: boolean } = {}): Promise<FakeUpstream> {
  const { udp, tcp, port } = await bindUdpAndTcp('127.0.0.1', 'udp4', 0);
  const asked: string[] = [];
  const reply = (bytes: Buffer, transport: string): Buffer | undefined => {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(bytes);
    } catch {
      return undefined;
    }
    const q = query.questions?.[0];
    if (q === undefined) return undefined;
    asked.push(`${q.name} ${q.type} ${transport}`);
    if (options.silent === true) return undefined;
    const answers = zone[`${q.name.toLowerCase()} ${q.type}`];
    const response: Packet = {
      type: 'response',
      id: query.id ?? 0,
      flags: dnsPacket.RECURSION_AVAILABLE | (query.flags ?? 0) | (answers === undefined ? 3 : 0),
      questions: query.questions ?? [],
      answers: answers ?? [],
    };
    const encoded = dnsPacket.encode(response);
    // Like a real server: a UDP answer over 512 bytes goes out empty with TC set.
    if (transport === 'udp' && encoded.length > 512) {
      return dnsPacket.encode({ ...response, flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers: [] });
    }
    return encoded;
  };
  udp.on('message', (bytes, peer) => {
    const answer = reply(bytes, 'udp');
    if (answer !== undefined) udp.send(answer, peer.port, peer.address);
  });
  const sockets = new Set<net.Socket>();
  tcp.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const message = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + message.length);
        const answer = reply(Buffer.from(message), 'tcp');
        if (answer !== undefined) {
          const prefix = Buffer.alloc(2);
          prefix.writeUInt16BE(answer.length);
          socket.write(Buffer.concat([prefix, answer]));
        }
      }
    });
  });
  return {
    port,
    asked,
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all([new Promise<void>((resolve) => tcp.close(() => resolve())), new Promise<void>((resolve) => udp.close(() => resolve()))]);
    },
  };
}

/** A record's data (OPT records have none). */
export function dataOf(answer: Answer): unknown {
  return 'data' in answer ? answer.data : undefined;
}
