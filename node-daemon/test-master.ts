/**
 * A small master for node-daemon tests: a real libp2p host serving the real join and channel
 * protocols, that records what nodes send and lets the test send `pod.assign` / `pods.sync`
 * (or raw garbage) down the actor channel. A real peer on the real protocol, not a mock.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stream } from '@libp2p/interface';
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
  type VolumeDirectoryReport,
  type WatchableResource,
} from '../src/net/messages.ts';
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
  /** What the watch channel serves (`watch.start` lists it, `put`/`remove` stream changes), by resource and name. */
  private readonly watched = new Map<WatchableResource, Map<string, Record<string, unknown>>>();
  private readonly watchChannels: { channel: Channel; resources: WatchableResource[] }[] = [];
  /** Every actor channel ever opened (the latest is the live one). */
  readonly actorChannels: { channel: Channel; stream: Stream }[] = [];
  private readonly admitted = new Set<string>();

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
    for (const protocol of [PROTOCOL_ACTOR, PROTOCOL_HEARTBEAT]) {
      await host.handle(
        protocol,
        (stream, connection) => {
          if (!master.admitted.has(connection.remotePeer.toString())) {
            stream.abort(new PeerNotAdmittedError(connection.remotePeer.toString()));
            return;
          }
          const channel = new Channel(stream, connection.remotePeer, (env) => master.record(env.type, env.body));
          if (protocol === PROTOCOL_ACTOR) master.actorChannels.push({ channel, stream });
        },
        { maxInboundStreams: MAX_INBOUND_STREAMS },
      );
    }
    // The watch channel: the objects the test put, then every change.
    await host.handle(
      PROTOCOL_WATCH,
      (stream, connection) => {
        if (!master.admitted.has(connection.remotePeer.toString())) {
          stream.abort(new PeerNotAdmittedError(connection.remotePeer.toString()));
          return;
        }
        const channel: Channel = new Channel(stream, connection.remotePeer, (env) => {
          if (env.type !== 'watch.start') return;
          const { resources } = checkMessage('watch.start', env.body);
          master.watchChannels.push({ channel, resources });
          void (async () => {
            for (const resource of resources) {
              for (const object of master.watched.get(resource)?.values() ?? []) await channel.send('watch.event', { resource, type: 'ADDED', object });
              await channel.send('watch.synced', { resource });
            }
          })().catch(() => undefined);
        });
      },
      { maxInboundStreams: MAX_INBOUND_STREAMS },
    );
    return master;
  }

  /** Adds or replaces an object the watch channel serves, and streams the change to open channels. */
  async put(resource: WatchableResource, object: Record<string, unknown>): Promise<void> {
    const name = (object.metadata as { name: string }).name;
    const map = this.watched.get(resource) ?? new Map<string, Record<string, unknown>>();
    this.watched.set(resource, map);
    const type = map.has(name) ? 'MODIFIED' : 'ADDED';
    map.set(name, object);
    await this.streamChange(resource, type, object);
  }

  /** Removes an object the watch channel serves (a DELETED event). */
  async remove(resource: WatchableResource, name: string): Promise<void> {
    const object = this.watched.get(resource)?.get(name);
    if (!object) return;
    this.watched.get(resource)?.delete(name);
    await this.streamChange(resource, 'DELETED', object);
  }

  private async streamChange(resource: WatchableResource, type: string, object: Record<string, unknown>): Promise<void> {
    for (const { channel, resources } of this.watchChannels) {
      if (resources.includes(resource)) await channel.send('watch.event', { resource, type, object }).catch(() => undefined);
    }
  }

  /** The address nodes join. */
  get addr(): string {
    return this.host.getMultiaddrs()[0]!.toString();
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

  private record(type: string, body: unknown): void {
    if (!isMessageType(type)) return;
    switch (type) {
      case 'pod.status':
        this.statuses.push(checkMessage(type, body));
        break;
      case 'pod.terminated':
        this.terminated.push(checkMessage(type, body));
        break;
      case 'event.recorded':
        this.events.push(checkMessage(type, body));
        break;
      case 'node.heartbeat':
        this.heartbeats.push(checkMessage(type, body));
        break;
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
