/**
 * The node's connection to its masters: join with the token, then keep the actor, heartbeat
 * and watch channels open to one master at a time, failing over to another when it goes away.
 *
 * - Which masters: the `--join` addresses, and every master's addresses as the masters publish
 *   them (`masters.known`, from `kube-public/kactus-mesh`), learnt on every connection.
 * - A master that worked and then went away (its connection closed: killed, restarted, stopped)
 *   is replaced by the next one at once, no pause, no join: every master admits a node it knows
 *   (by its peer id on the Node). Nothing depends on one master being up.
 * - A master that acknowledged heartbeats and then stays silent for MASTER_SILENCE_MS (paused,
 *   partitioned away, its store stuck), or answers them without renewing the Lease for that long
 *   (its store unavailable), is dropped the same way; opening a channel is bounded by
 *   OPEN_TIMEOUT_MS, so an unreachable master costs that at most.
 * - A channel that ends before the master sent anything on it is taken as "not admitted" (the
 *   master resets streams of peers it does not know, e.g. after it lost its state): the next
 *   attempt joins that master again before opening channels.
 * - After every master was tried in turn without success, the link pauses (200 ms doubling to
 *   5 s) before the next round.
 *
 * Heartbeat acknowledgements (`node.heartbeat.ack`) tell the daemon which heartbeats renewed the
 * node's Lease, with the send time of each (self-fence.ts counts from it).
 */
import { multiaddr } from '@multiformats/multiaddr';
import type { Envelope } from '../src/net/codec.ts';
import { openChannel, type Channel } from '../src/net/channel.ts';
import { JoinRefusedError } from '../src/net/errors.ts';
import { requestJoin, type JoinAccepted, type JoinRequest } from '../src/net/join.ts';
import type { MeshHost } from '../src/net/host.ts';
import { checkMessage, type NodeHeartbeat, type WatchableResource } from '../src/net/messages.ts';
import { MASTER_SILENCE_MS, PROTOCOL_ACTOR, PROTOCOL_HEARTBEAT, PROTOCOL_WATCH } from '../src/net/protocols.ts';
import { errorMessage } from '../src/api/error-message.ts';

/** First reconnect delay; doubles up to RECONNECT_MAX_MS, back to the start once a channel worked. */
export const RECONNECT_INITIAL_MS = 200;
export const RECONNECT_MAX_MS = 5_000;
/** Longest a dial plus the opening of one channel may take before the master counts as unreachable. */
export const OPEN_TIMEOUT_MS = 2_000;
/** Heartbeats remembered while their acknowledgement is awaited. */
const MAX_PENDING_ACKS = 64;

/** A master stopped answering heartbeats on a channel that had answered them. */
export class MasterSilentError extends Error {
  constructor(readonly master: string) {
    super(`master ${master} acknowledged no heartbeat for ${MASTER_SILENCE_MS} ms; trying another`);
    this.name = 'MasterSilentError';
  }
}
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
  for (const addr of masters) checkMasterAddress(addr);
}

function checkMasterAddress(addr: string): void {
  let peer: string | undefined;
  try {
    peer = multiaddr(addr).getComponents().find((c) => c.name === 'p2p')?.value;
  } catch (err) {
    throw new InvalidMasterAddressError(addr, errorMessage(err));
  }
  if (peer === undefined) throw new InvalidMasterAddressError(addr, 'it must end in /p2p/<peer id>');
}

function isMasterAddress(addr: string): boolean {
  try {
    checkMasterAddress(addr);
    return true;
  } catch {
    return false;
  }
}

/**
 * The masters to try, in order: those the masters published (`masters.known`), then the join
 * addresses not among them; each once.
 */
export function mastersToTry(known: readonly string[], joined: readonly string[]): string[] {
  return [...new Set([...known.filter(isMasterAddress), ...joined])];
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
   * A master acknowledged a heartbeat as renewing the node's Lease: `sentAt` is when that
   * heartbeat was sent (performance.now()), `selfFenceAfterMs` the period the master announced.
   */
  onLeaseRenewed?(sentAt: number, selfFenceAfterMs: number): void;
  /** The link is connected to master `addr` (first time, or after a failover). */
  onMaster?(addr: string): void;
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
  /** The masters to try (mastersToTry); starts as the join addresses. */
  private masters: string[];
  /** Heartbeats sent on the current channel and not yet acknowledged: their `time` → when sent. */
  private readonly pendingAcks = new Map<string, number>();
  /** Ends the wait on the current channels when their master went silent. */
  private silence: { timer?: NodeJS.Timeout; fire?: () => void } = {};
  /** Peer ids of the masters that admitted this node: the only peers allowed to read its logs. */
  readonly masterPeers = new Set<string>();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: MasterLinkOptions) {
    checkMasterAddresses(opts.masters);
    this.masters = [...opts.masters];
  }

  /** The masters the link would try, in order (tests, logs). */
  get knownMasters(): readonly string[] {
    return this.masters;
  }

  /** The master the link is on (or will try next). */
  get currentMaster(): string {
    return this.masters[this.masterIndex]!;
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
      for (let i = 0; i < this.masters.length; i++) {
        const index = (this.masterIndex + i) % this.masters.length;
        try {
          const accepted = await requestJoin(this.opts.host, this.masters[index]!, this.opts.joinRequest());
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
      if (refusals.length === this.masters.length) throw new JoinFailedError(refusals);
      await this.pause(delay);
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    }
  }

  /** Send on the actor channel; undefined when it is not open. */
  sendActor(type: string, body: unknown): Promise<void> | undefined {
    return this.actor?.send(type, body);
  }

  /** Send on the heartbeat channel; undefined when it is not open. Its acknowledgement is awaited. */
  sendHeartbeat(body: NodeHeartbeat): Promise<void> | undefined {
    if (!this.heartbeat) return undefined;
    this.pendingAcks.set(body.time, performance.now());
    if (this.pendingAcks.size > MAX_PENDING_ACKS) this.pendingAcks.delete(this.pendingAcks.keys().next().value!);
    return this.heartbeat.send('node.heartbeat', body);
  }

  get isConnected(): boolean {
    return this.actor !== undefined && this.heartbeat !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    this.quiet();
    this.wake?.();
    await Promise.all([this.actor?.close(), this.heartbeat?.close(), this.watch?.close()].map((p) => p?.catch(() => undefined)));
    await this.loop;
  }

  private async keepConnected(): Promise<void> {
    let delay = RECONNECT_INITIAL_MS;
    let mustJoin = false;
    // Attempts in a row that did not get a working channel: a pause after each round of masters.
    let failures = 0;
    while (!this.closed) {
      const master = this.currentMaster;
      // opened: a stream to the master was opened (it answers); heard: it sent something on it.
      const progress = { opened: false, heard: false };
      let silent = false;
      try {
        if (mustJoin) await this.rejoin(master);
        await this.openChannels(master, progress);
        // close() may have run while the channels opened: it could not close them then.
        if (!this.closed) {
          this.opts.onConnected();
          this.opts.onMaster?.(master);
          const wentSilent = new Promise<void>((resolve) => (this.silence.fire = resolve)).then(() => (silent = true));
          await Promise.race([this.actor!.closed, this.heartbeat!.closed, ...(this.watch ? [this.watch.closed] : []), wentSilent]);
          if (silent) throw new MasterSilentError(master);
        }
      } catch (err) {
        if (!this.closed) this.opts.onError(err);
      }
      this.quiet();
      await this.dropChannels(silent || !progress.heard);
      if (this.closed) return;
      if (progress.heard || silent) {
        // It worked, then went away or silent: the next master at once (a lone master: itself again, after a pause).
        mustJoin = false;
        failures = 0;
        delay = RECONNECT_INITIAL_MS;
        this.next();
        if (this.masters.length > 1) continue;
      } else if (progress.opened) {
        // Not admitted (the master lost its state): join it again.
        mustJoin = true;
        failures += 1;
      } else {
        // Unreachable (or its join refused): the next one.
        mustJoin = false;
        failures += 1;
        this.next();
      }
      if (failures > 0 && failures % this.masters.length !== 0) continue;
      await this.pause(delay);
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    }
  }

  private next(): void {
    this.masterIndex = (this.masterIndex + 1) % this.masters.length;
  }

  /** The masters' own list (`masters.known`): tried in its order; the current master stays current. */
  private learnMasters(known: string[]): void {
    const current = this.currentMaster;
    const masters = mastersToTry(known, this.opts.masters);
    if (!masters.includes(current)) masters.push(current);
    this.masters = masters;
    this.masterIndex = masters.indexOf(current);
  }

  private async rejoin(master: string): Promise<void> {
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

  private async openChannels(master: string, progress: { opened: boolean; heard: boolean }): Promise<void> {
    // A dial to a master that vanished without closing its connections would wait for TCP's own timeouts.
    const signal = AbortSignal.any([this.closing.signal, AbortSignal.timeout(OPEN_TIMEOUT_MS)]);
    this.pendingAcks.clear();
    this.actor = await openChannel(
      this.opts.host,
      master,
      PROTOCOL_ACTOR,
      (env) => {
        progress.heard = true;
        if (env.type === 'masters.known') this.learnMasters(checkMessage('masters.known', env.body).masters);
        else this.opts.onActorMessage(env);
      },
      signal,
    );
    progress.opened = true;
    this.heartbeat = await openChannel(this.opts.host, master, PROTOCOL_HEARTBEAT, (env) => this.onHeartbeatMessage(env), signal);
    const watch = this.opts.watch;
    if (watch) {
      this.watch = await openChannel(this.opts.host, master, PROTOCOL_WATCH, (env) => watch.onMessage(env), signal);
      watch.onOpen();
      await this.watch.send('watch.start', { resources: watch.resources });
    }
  }

  /**
   * An acknowledgement. Only one that renewed the Lease restarts the silence timer (the first of
   * a channel arms it): a master answering without renewing — its store unavailable — is as good
   * as silent to the node, which must find a master that can renew before it fences itself
   * (found by the fault run: a master's store out for 5 s stopped every pod of its nodes).
   */
  private onHeartbeatMessage(env: Envelope): void {
    if (env.type !== 'node.heartbeat.ack') return;
    const ack = checkMessage('node.heartbeat.ack', env.body);
    if (ack.leaseRenewed || this.silence.timer === undefined) this.listen();
    const sentAt = this.pendingAcks.get(ack.time);
    if (sentAt === undefined) return;
    // Acknowledgements come in order: the ones before this are answered or lost.
    for (const time of this.pendingAcks.keys()) {
      this.pendingAcks.delete(time);
      if (time === ack.time) break;
    }
    if (ack.leaseRenewed) this.opts.onLeaseRenewed?.(sentAt, ack.selfFenceAfterMs);
  }

  /** (Re)starts the silence timer: armed by the first acknowledgement on a channel. */
  private listen(): void {
    clearTimeout(this.silence.timer);
    this.silence.timer = setTimeout(() => this.silence.fire?.(), MASTER_SILENCE_MS);
  }

  private quiet(): void {
    clearTimeout(this.silence.timer);
    this.silence = {};
  }

  /** Ends the channels: politely, or at once when their master cannot answer (silent, or half-open). */
  private async dropChannels(abort = false): Promise<void> {
    const channels = [this.actor, this.heartbeat, this.watch];
    this.actor = undefined;
    this.heartbeat = undefined;
    this.watch = undefined;
    this.pendingAcks.clear();
    if (abort) {
      for (const c of channels) c?.abort(new Error('master unreachable'));
      return;
    }
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
