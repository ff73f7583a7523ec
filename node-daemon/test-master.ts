/**
 * A small master for node-daemon tests: a real libp2p host serving the real join and channel
 * protocols, that records what nodes send and lets the test send `pod.assign` / `pods.sync`
 * (or raw garbage) down the actor channel. A real peer on the real protocol, not a mock. Its
 * watch channel serves the objects a test puts (`put`/`remove`: ConfigMaps, Secrets, claims…)
 * as the master's cluster feed does: the list, `watch.synced`, then every change; its actor
 * channel answers `token.request` with `tokens` when set (else refuses, 503).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerId, Stream } from '@libp2p/interface';
import { Channel } from '../src/net/channel.ts';
import { JoinRefusedError, PeerNotAdmittedError } from '../src/net/errors.ts';
import { serveJoin } from '../src/net/join.ts';
import { createMeshHost, type MeshHost } from '../src/net/host.ts';
import {
  checkMessage,
  isMessageType,
  type EventRecorded,
  type NodeHeartbeat,
  type PodStatusReport,
  type PodTerminated,
  type TokenRequest,
  type VolumeDirectoryReport,
  type WatchableResource,
} from '../src/net/messages.ts';
import type { IssuedServiceAccountToken } from '../src/api/service-account-token.ts';
import type { TransitionRecord } from '../src/api/transition.ts';
import { MAX_INBOUND_STREAMS, PROTOCOL_ACTOR, PROTOCOL_HEARTBEAT, PROTOCOL_WATCH } from '../src/net/protocols.ts';

export const TEST_TOKEN = 'abcdef.0123456789abcdef';

export class TestMaster {
  readonly statuses: PodStatusReport[] = [];
  readonly terminated: PodTerminated[] = [];
  readonly events: EventRecorded[] = [];
  readonly heartbeats: NodeHeartbeat[] = [];
  /** Every actor transition nodes sent (`actor.transitions`), in order. */
  readonly transitions: TransitionRecord[] = [];
  readonly joins: string[] = [];
  /** `volume.directory.created` / `volume.directory.released` reports, in order. */
  readonly volumeReports: { type: string; report: VolumeDirectoryReport }[] = [];
  /** Every actor channel ever opened (the latest is the live one). */
  readonly actorChannels: { channel: Channel; stream: Stream }[] = [];
  /** Every token request nodes sent. */
  readonly tokenRequests: TokenRequest[] = [];
  /**
   * How heartbeats are acknowledged (`node.heartbeat.ack`), as a master does; undefined: not at
   * all (a master gone silent). Default: renewed, with a self-fence period of an hour (tests that
   * stop this master for a while do not see their pods fenced unless they ask for it).
   */
  acks: { leaseRenewed: boolean; selfFenceAfterMs: number } | undefined = { leaseRenewed: true, selfFenceAfterMs: 3_600_000 };
  /** Answers token requests; absent: they are refused (503), as a master without an issuer. */
  tokens?: (req: TokenRequest) => IssuedServiceAccountToken;
  private readonly admitted = new Set<string>();
  /** The objects the watch channel serves, per resource, by `ns/name` (or `name`). */
  private readonly objects = new Map<WatchableResource, Map<string, Record<string, unknown>>>();
  /** Open watch channels and the resources each asked for. */
  private readonly watchers = new Set<{ channel: Channel; resources: Set<WatchableResource> }>();

  private constructor(
    readonly host: MeshHost,
    private readonly dir: string,
    readonly token: string,
  ) {}

  static async start(token = TEST_TOKEN): Promise<TestMaster> {
    const dir = await mkdtemp(join(tmpdir(), 'kactus-test-master-'));
    const host = await createMeshHost({ dataDir: dir });
    const master = new TestMaster(host, dir, token);
    await serveJoin(host, {
      admit: async (peer, request) => {
        if (request.token !== token) throw new JoinRefusedError('bad token');
        master.admitted.add(peer.toString());
        master.joins.push(request.nodeName);
        return { nodeName: request.nodeName };
      },
    });
    for (const protocol of [PROTOCOL_ACTOR, PROTOCOL_HEARTBEAT, PROTOCOL_WATCH]) {
      await host.handle(
        protocol,
        (stream, connection) => {
          if (!master.admitted.has(connection.remotePeer.toString())) {
            stream.abort(new PeerNotAdmittedError(connection.remotePeer.toString()));
            return;
          }
          if (protocol === PROTOCOL_WATCH) {
            master.serveWatch(stream, connection.remotePeer);
            return;
          }
          const channel: Channel = new Channel(stream, connection.remotePeer, (env) => master.record(env.type, env.body, channel));
          if (protocol === PROTOCOL_ACTOR) master.actorChannels.push({ channel, stream });
        },
        { maxInboundStreams: MAX_INBOUND_STREAMS },
      );
    }
    return master;
  }

  /** Add or replace an object the watch channel serves (nodes watching it hear MODIFIED/ADDED). */
  put(resource: WatchableResource, obj: Record<string, unknown>): void {
    const key = TestMaster.keyOf(obj);
    const map = this.objects.get(resource) ?? new Map<string, Record<string, unknown>>();
    this.objects.set(resource, map);
    const type = map.has(key) ? 'MODIFIED' : 'ADDED';
    map.set(key, obj);
    this.tell(resource, type, obj);
  }

  /** Remove an object, given as itself or by its key (`ns/name` or `name`); nodes watching it hear DELETED. */
  remove(resource: WatchableResource, objOrKey: Record<string, unknown> | string): void {
    const map = this.objects.get(resource);
    const key = typeof objOrKey === 'string' ? objOrKey : TestMaster.keyOf(objOrKey);
    const obj = map?.get(key);
    if (!obj || !map?.delete(key)) return;
    this.tell(resource, 'DELETED', obj);
  }

  private static keyOf(obj: Record<string, unknown>): string {
    const meta = obj.metadata as { namespace?: string; name: string };
    return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
  }

  private tell(resource: WatchableResource, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: Record<string, unknown>): void {
    for (const w of this.watchers) {
      if (w.resources.has(resource)) void w.channel.send('watch.event', { resource, type, object }).catch(() => undefined);
    }
  }

  private serveWatch(stream: Stream, peer: PeerId): void {
    const watcher = { channel: undefined as unknown as Channel, resources: new Set<WatchableResource>() };
    watcher.channel = new Channel(stream, peer, async (env) => {
      if (env.type !== 'watch.start') return;
      const { resources } = checkMessage('watch.start', env.body);
      for (const resource of resources) {
        for (const object of this.objects.get(resource)?.values() ?? []) await watcher.channel.send('watch.event', { resource, type: 'ADDED', object });
        await watcher.channel.send('watch.synced', { resource });
        watcher.resources.add(resource);
      }
    });
    this.watchers.add(watcher);
    void watcher.channel.closed.then(() => this.watchers.delete(watcher));
  }

  /** The address nodes join. */
  get addr(): string {
    return this.host.getMultiaddrs()[0]!.toString();
  }

  /** Admit a peer without a join, as a master admits a node it finds on the Node (its peer id). */
  admit(peerId: string): void {
    this.admitted.add(peerId);
  }

  /** Forget every admitted peer (as a master that lost its state): their channels are refused. */
  forgetPeers(): void {
    this.admitted.clear();
  }

  /** Whether the peer has an actor channel open (the latest one is its). */
  hasChannelFrom(peerId: string): boolean {
    return this.actorChannel?.peer.toString() === peerId;
  }

  get actorChannel(): Channel | undefined {
    return this.actorChannels.at(-1)?.channel;
  }

  assign(pod: object): Promise<void> {
    return this.live().send('pod.assign', { pod });
  }

  sync(uids: string[]): Promise<void> {
    return this.live().send('pods.sync', { uids });
  }

  /** Tell the connected node every master's addresses (`masters.known`), as the gateway does. */
  tellMasters(masters: string[]): Promise<void> {
    return this.live().send('masters.known', { masters });
  }

  /** Write raw bytes on the live actor stream (a garbage frame). */
  sendRaw(bytes: Uint8Array): void {
    this.actorChannels.at(-1)!.stream.send(bytes);
  }

  /** The latest status reported for a pod. */
  statusOf(uid: string): Record<string, unknown> | undefined {
    return this.statuses.filter((s) => s.uid === uid).at(-1)?.status;
  }

  reasonsOf(uid: string): string[] {
    return this.events.filter((e) => e.involvedObject.uid === uid).map((e) => e.reason);
  }

  async stop(): Promise<void> {
    await this.host.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  private live(): Channel {
    const channel = this.actorChannel;
    if (!channel) throw new Error('no node has opened an actor channel');
    return channel;
  }

  private record(type: string, body: unknown, channel?: Channel): void {
    if (!isMessageType(type)) return;
    switch (type) {
      case 'token.request': {
        const req = checkMessage(type, body);
        this.tokenRequests.push(req);
        const answer = this.tokens ? { type: 'token.issued', body: { id: req.id, ...this.tokens(req) } } : { type: 'token.refused', body: { id: req.id, code: 503, message: 'unavailable: this master has no ServiceAccount token issuer' } };
        void channel?.send(answer.type, answer.body).catch(() => undefined);
        break;
      }
      case 'pod.status':
        this.statuses.push(checkMessage(type, body));
        break;
      case 'pod.terminated':
        this.terminated.push(checkMessage(type, body));
        break;
      case 'event.recorded':
        this.events.push(checkMessage(type, body));
        break;
      case 'node.heartbeat': {
        const hb = checkMessage(type, body);
        this.heartbeats.push(hb);
        if (this.acks) void channel?.send('node.heartbeat.ack', { time: hb.time, ...this.acks }).catch(() => undefined);
        break;
      }
      case 'actor.transitions':
        this.transitions.push(...checkMessage(type, body).items);
        break;
      case 'volume.directory.created':
      case 'volume.directory.released':
        this.volumeReports.push({ type, report: checkMessage(type, body) });
        break;
      default:
        break;
    }
  }
}

/** Polls until a condition holds (test/support/wait.ts). */
export { waitFor } from '../test/support/wait.ts';
