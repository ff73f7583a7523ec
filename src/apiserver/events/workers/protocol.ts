/**
 * What the main thread and a stream worker say to each other (one MessagePort each way: the
 * worker's `parentPort`). Everything here is structured-cloned.
 *
 * - Calls (worker → main → worker): a token's user, an authorizer's decision, answered by id.
 * - Log feeds (worker opens, main pushes): `follow` (the main hub's state, then every change: the
 *   worker hub's source) and `read` (the store from an index: a client catching up).
 * - Control: `listening` / `stopped` (worker → main), `stop` and `stats` (main → worker), and the
 *   close codes of the worker's connections (metrics).
 */
import type { UserInfo } from '../../../api/user.ts';
import type { LogEntry, LoggedTransition } from '../../../registry/transition-log/entries.ts';
import type { AuthorizationAttributes, Decision } from '../../../registry/authorization/types.ts';
import type { EventStreamLimits } from '../serve.ts';
import type { DefinitionChannel } from './definitions.ts';

export interface StreamWorkerData {
  /** 1, 2, …: names the worker in logs and stats. */
  ordinal: number;
  host: string;
  port: number;
  /** The API server's TLS settings (certificate, key, CA, client certificates asked for) and the shared session ticket keys. */
  tls: { cert: string; key: string; ca: string; requestCert: boolean; rejectUnauthorized: boolean; ticketKeys: Buffer };
  /** The main thread's relay socket (a Unix socket in a private directory): every connection that is not an event stream goes there. */
  relayPath: string;
  hub: { ringSize?: number; heartbeatMs?: number; flushIntervalMs?: number };
  limits: EventStreamLimits;
  /** Where machine definitions are asked for (`format=stately`: definitions.ts). */
  definitions: DefinitionChannel;
  /** Whether the server has an authorizer (decisions are then asked of the main thread). */
  authorizer: boolean;
  logLevel: string;
}

/** What the main thread learns of a relayed connection's peer: the first line on the relay socket, JSON. */
export interface RelayedPeer {
  remoteAddress?: string;
  remotePort?: number;
  remoteFamily?: string;
  /** Whether TLS verified the client's certificate against the cluster CA. */
  authorized: boolean;
  /** The client certificate as `getPeerCertificate(false)` gives it, without its raw bytes and key; `{}` when none. */
  certificate: Record<string, unknown>;
}

export type CallRequest = { method: 'authenticate'; token: string } | { method: 'authorize'; attrs: AuthorizationAttributes };
export type CallResult = { method: 'authenticate'; user: UserInfo | undefined } | { method: 'authorize'; decision: Decision };

/** A log read's failure: `compacted` when the store no longer holds the requested revision (4410). */
export interface FeedError {
  message: string;
  compacted?: { requested: number; compactRevision: number };
}

/** One hub's figures: the main thread's (`main`) or a worker's (`worker 1`, …). */
export interface HubStats {
  hub: string;
  clients: number;
  bufferedHighWater: number;
  floor: number;
  position: number;
}

export type ToMain =
  | { op: 'listening'; port: number }
  | { op: 'listen-failed'; message: string; code?: string }
  | { op: 'call'; id: number; request: CallRequest }
  | { op: 'open'; id: number; feed: 'follow' }
  | { op: 'open'; id: number; feed: 'read'; from: number }
  | { op: 'shut'; id: number }
  | { op: 'upgraded' }
  | { op: 'closed'; code: number }
  | { op: 'stats'; id: number; stats: HubStats }
  | { op: 'stopped' };

export type ToWorker =
  | { op: 'result'; id: number; result?: CallResult; error?: string }
  | { op: 'start'; id: number; revision: number; latest: LoggedTransition[] }
  | { op: 'entries'; id: number; entries: LogEntry[] }
  | { op: 'deleted'; id: number; keys: string[] }
  | { op: 'progress'; id: number; revision: number }
  | { op: 'error'; id: number; error: FeedError }
  | { op: 'stats'; id: number }
  | { op: 'stop' };
