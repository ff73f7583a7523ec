/**
 * The node's connection to its masters: join with the token, then keep the actor and heartbeat
 * channels open, reconnecting with back-off when they drop.
 *
 * A channel that ends before the master sent anything on it is taken as "not admitted" (the
 * master resets streams of peers it does not know, e.g. after it lost its state): the next
 * attempt joins again before opening channels. Masters are tried in order, starting with the
 * last one that worked.
 */
import { multiaddr } from '@multiformats/multiaddr';
import type { Envelope } from '../src/net/codec.ts';
import { openChannel, type Channel } from '../src/net/channel.ts';
import { JoinRefusedError } from '../src/net/errors.ts';
import { requestJoin, type JoinAccepted, type JoinRequest } from '../src/net/join.ts';
import type { MeshHost } from '../src/net/host.ts';
import type { WatchableResource } from '../src/net/messages.ts';
import { PROTOCOL_ACTOR, PROTOCOL_HEARTBEAT, PROTOCOL_WATCH } from '../src/net/protocols.ts';
import { errorMessage } from '../src/api/error-message.ts';

/** First reconnect delay; doubles up to RECONNECT_MAX_MS, back to the start once a channel worked. */
export const RECONNECT_INITIAL_MS = 200;
export const RECONNECT_MAX_MS = 5_000;

/** Every master refused the join (bad or expired token): retrying cannot help. */
export class JoinFailedError extends Error {
  constructor(readonly reasons: string[]) {
    super(`join refused by every master: ${reasons.join('; ')}`);
    this.name = 'JoinFailedError';
  }
}

/** A master address that is not a multiaddr ending in /p2p/<peer id>. */
export class InvalidMasterAddressError extends Error {
  constructor(
    readonly address: string,
    detail: string,
  ) {
    super(`invalid master address ${JSON.stringify(address)}: ${detail}`);
    this.name = 'InvalidMasterAddressError';
  }
}

/** Throw InvalidMasterAddressError unless every address is a multiaddr naming its peer. */
export function checkMasterAddresses(masters: string[]): void {
  if (masters.length === 0) throw new InvalidMasterAddressError('', 'no master address given');
  for (const addr of masters) {
    let peer: string | undefined;
    try {
      peer = multiaddr(addr).getComponents().find((c) => c.name === 'p2p')?.value;
    } catch (err) {
      throw new InvalidMasterAddressError(addr, errorMessage(err));
    }
    if (peer === undefined) throw new InvalidMasterAddressError(addr, 'it must end in /p2p/<peer id>');
  }
}

export interface MasterLinkOptions {
  host: MeshHost;
  /** Master multiaddrs (with /p2p/<peer id>). */
  masters: string[];
  joinRequest(): JoinRequest;
  /** A message from the master on the actor channel. */
  onActorMessage(env: Envelope): void;
  /** Both channels are open (first time or after a reconnect). */
  onConnected(): void;
  /** Connection trouble worth a log line. */
  onError(err: unknown): void;
  /** A master admitted the node (the first join and every re-join): its answer, with the node's certificate when it asked for one. */
  onJoined?(accepted: JoinAccepted): Promise<void> | void;
  /**
   * Cluster objects to watch over `/kactus/watch/1.0.0` (a third channel, reopened with the
   * others): `onOpen` runs before `watch.start` is sent (the cache starts a fresh list), then
   * every message goes to `onMessage`.
   */
  watch?: { resources: WatchableResource[]; onOpen(): void; onMessage(env: Envelope): void };
}

export class MasterLink {
  private actor: Channel | undefined;
  private heartbeat: Channel | undefined;
  private watch: Channel | undefined;
  private closed = false;
  /** Aborts dials and stream opens in progress when the link closes. */
  private readonly closing = new AbortController();
  private masterIndex = 0;
  /** Peer ids of the masters that admitted this node: the only peers allowed to read its logs. */
  readonly masterPeers = new Set<string>();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: MasterLinkOptions) {
    checkMasterAddresses(opts.masters);
  }

  /**
   * Join the first master that answers. Retries unreachable masters with back-off; rejects with
   * JoinFailedError when every master refused. Then keeps the channels open in the background.
   */
  async start(): Promise<JoinAccepted> {
    let delay = RECONNECT_INITIAL_MS;
    for (;;) {
      if (this.closed) throw new Error('master link closed before it joined');
      const refusals: string[] = [];
      for (let i = 0; i < this.opts.masters.length; i++) {
        const index = (this.masterIndex + i) % this.opts.masters.length;
        try {
          const accepted = await requestJoin(this.opts.host, this.opts.masters[index]!, this.opts.joinRequest());
          this.masterPeers.add(accepted.masterPeerId);
          this.masterIndex = index;
          await this.joined(accepted);
          this.loop = this.keepConnected();
          return accepted;
        } catch (err) {
          if (err instanceof JoinRefusedError) refusals.push(err.reason);
          else this.opts.onError(err);
        }
      }
      if (refusals.length === this.opts.masters.length) throw new JoinFailedError(refusals);
      await this.pause(delay);
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    }
  }

  /** Send on the actor channel; undefined when it is not open. */
  sendActor(type: string, body: unknown): Promise<void> | undefined {
    return this.actor?.send(type, body);
  }

  /** Send on the heartbeat channel; undefined when it is not open. */
  sendHeartbeat(body: unknown): Promise<void> | undefined {
    return this.heartbeat?.send('node.heartbeat', body);
  }

  get isConnected(): boolean {
    return this.actor !== undefined && this.heartbeat !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    this.wake?.();
    await Promise.all([this.actor?.close(), this.heartbeat?.close(), this.watch?.close()].map((p) => p?.catch(() => undefined)));
    await this.loop;
  }

  private async keepConnected(): Promise<void> {
    let delay = RECONNECT_INITIAL_MS;
    let mustJoin = false;
    while (!this.closed) {
      const heard = { any: false };
      try {
        if (mustJoin) await this.rejoin();
        await this.openChannels(heard);
        // close() may have run while the channels opened: it could not close them then.
        if (!this.closed) {
          this.opts.onConnected();
          await Promise.race([this.actor!.closed, this.heartbeat!.closed, ...(this.watch ? [this.watch.closed] : [])]);
        }
      } catch (err) {
        if (!this.closed) this.opts.onError(err);
      }
      await this.dropChannels();
      if (this.closed) return;
      mustJoin = !heard.any;
      if (heard.any) delay = RECONNECT_INITIAL_MS;
      else this.masterIndex = (this.masterIndex + 1) % this.opts.masters.length;
      await this.pause(delay);
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    }
  }

  private async rejoin(): Promise<void> {
    const master = this.opts.masters[this.masterIndex]!;
    const accepted = await requestJoin(this.opts.host, master, this.opts.joinRequest());
    this.masterPeers.add(accepted.masterPeerId);
    await this.joined(accepted);
  }

  private async joined(accepted: JoinAccepted): Promise<void> {
    try {
      await this.opts.onJoined?.(accepted);
    } catch (err) {
      // Keeping the certificate failed (a full disk): the node still runs; renewal asks again.
      this.opts.onError(err);
    }
  }

  private async openChannels(heard: { any: boolean }): Promise<void> {
    const master = this.opts.masters[this.masterIndex]!;
    const signal = this.closing.signal;
    this.actor = await openChannel(
      this.opts.host,
      master,
      PROTOCOL_ACTOR,
      (env) => {
        heard.any = true;
        this.opts.onActorMessage(env);
      },
      signal,
    );
    // The master sends nothing on the heartbeat channel; anything it does send is ignored.
    this.heartbeat = await openChannel(this.opts.host, master, PROTOCOL_HEARTBEAT, () => {}, signal);
    const watch = this.opts.watch;
    if (watch) {
      this.watch = await openChannel(this.opts.host, master, PROTOCOL_WATCH, (env) => watch.onMessage(env), signal);
      watch.onOpen();
      await this.watch.send('watch.start', { resources: watch.resources });
    }
  }

  private async dropChannels(): Promise<void> {
    const channels = [this.actor, this.heartbeat, this.watch];
    this.actor = undefined;
    this.heartbeat = undefined;
    this.watch = undefined;
    await Promise.all(channels.map((c) => c?.close().catch(() => undefined)));
  }

  /** Wait before the next attempt; `close()` cuts it short. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
