/**
 * Stream clients of bench/events.ts, a child process holding many `/kactus/v1/events`
 * WebSockets (TLS, bearer header, JSON frames, as the CLI connects). For every `transition`
 * frame it records the delivery latency: now minus the time stamped in the record's `event`
 * when the publisher was due to publish it (both wall clocks of this machine). Frames are read
 * without a full JSON.parse (a byte search for the stamp), so the clients cost the machine as
 * little as they can: the server is what is measured.
 *
 * Parent → child (IPC): {cmd:'open', url, ca, token, queries: string[]}, {cmd:'count'}, {cmd:'report'}, {cmd:'close'}.
 * Child → parent: {type:'opened', …}, {type:'count', received, open}, {type:'report', …}.
 */
import WebSocket from 'ws';
import { LatencyHistogram, type HistogramPairs } from './events-histogram.ts';

export interface ClientsReport {
  type: 'report';
  connections: number;
  /** Transition frames received, in all. */
  received: number;
  /** Per connection: how many it received (in the order of `queries`). */
  perConnection: number[];
  /** Out-of-order or repeated indexes seen by any connection. */
  disorder: number;
  closes: Record<string, number>;
  histogram: HistogramPairs;
  maxMs: number;
  /** CPU this process used since its connections opened, ms. */
  cpuMs: number;
}

const wallMs = (): number => performance.timeOrigin + performance.now();
const TRANSITION = Buffer.from('{"type":"transition","index":');
const STAMP = Buffer.from('"event":"bench.');
const QUOTE = 0x22;

const histogram = new LatencyHistogram();
const sockets: WebSocket[] = [];
const perConnection: number[] = [];
const lastIndex: number[] = [];
const closes: Record<string, number> = {};
let disorder = 0;
let cpuAtOpen: NodeJS.CpuUsage | undefined;

/** The integer after `"index":` at the start of a transition frame. */
function indexOf(frame: Buffer): number {
  let n = 0;
  for (let i = TRANSITION.length; i < frame.length; i++) {
    const c = frame[i]!;
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

function onFrame(slot: number, frame: Buffer): void {
  if (frame.length < TRANSITION.length || frame.compare(TRANSITION, 0, TRANSITION.length, 0, TRANSITION.length) !== 0) return;
  const at = frame.indexOf(STAMP);
  if (at < 0) return;
  const start = at + STAMP.length;
  const end = frame.indexOf(QUOTE, start);
  const stamped = Number(frame.toString('latin1', start, end));
  histogram.record(wallMs() - stamped);
  perConnection[slot]!++;
  const index = indexOf(frame);
  if (index <= lastIndex[slot]!) disorder++;
  lastIndex[slot] = index;
}

function open(url: string, ca: string, token: string, query: string, slot: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^https/, 'wss')}/kactus/v1/events${query ? `?${query}` : ''}`, { ca, headers: { Authorization: `Bearer ${token}` }, perMessageDeflate: false });
    sockets[slot] = ws;
    perConnection[slot] = 0;
    lastIndex[slot] = 0;
    let ready = false;
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return;
      if (!ready && data.includes('"type":"snapshot-end"')) {
        ready = true;
        resolve();
      }
      onFrame(slot, data);
    });
    ws.on('close', (code) => {
      closes[String(code)] = (closes[String(code)] ?? 0) + 1;
      if (!ready) reject(new Error(`connection ${slot} closed (${code}) before its snapshot ended`));
    });
    ws.on('error', (err) => {
      if (!ready) reject(err);
    });
  });
}

process.on('message', (msg: { cmd: string; url?: string; ca?: string; token?: string; queries?: string[] }) => {
  if (msg.cmd === 'open') {
    const queries = msg.queries!;
    void (async () => {
      const started = wallMs();
      // 50 handshakes at a time: a thousand at once is a TLS storm no client makes.
      for (let i = 0; i < queries.length; i += 50) {
        await Promise.all(queries.slice(i, i + 50).map((q, j) => open(msg.url!, msg.ca!, msg.token!, q, i + j)));
      }
      cpuAtOpen = process.cpuUsage();
      process.send!({ type: 'opened', connections: queries.length, ms: wallMs() - started });
    })().catch((err: unknown) => {
      process.send!({ type: 'error', message: String(err) });
    });
  }
  if (msg.cmd === 'count') process.send!({ type: 'count', received: histogram.count, open: sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length });
  if (msg.cmd === 'report') {
    const report: ClientsReport = {
      type: 'report',
      connections: sockets.length,
      received: histogram.count,
      perConnection,
      disorder,
      closes,
      histogram: histogram.pairs(),
      maxMs: histogram.max,
      cpuMs: ((u) => (u.user + u.system) / 1000)(process.cpuUsage(cpuAtOpen)),
    };
    process.send!(report);
  }
  if (msg.cmd === 'close') {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});
