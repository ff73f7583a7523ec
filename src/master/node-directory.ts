/**
 * Which peer is which node: a Node informer indexed by the `kactus.io/peer-id` annotation the
 * join authority writes. It answers the mesh's admission question (may this peer open actor and
 * heartbeat channels?), tells the logs path how to reach a node, and says when a peer stops being
 * a node (its Node deleted, or re-joined by another peer) so the gateway cuts it off.
 */
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { objectKey } from '../api/metadata.ts';
import type { KubeObject } from '../api/object.ts';
import type { Registry } from '../registry/registry.ts';
import type { Store } from '../store/types.ts';
import { objectInformer, type ObjectInformer } from '../registry/informers.ts';
import { ADDRESSES_ANNOTATION, PEER_ID_ANNOTATION } from './join-authority.ts';

const NODES = findKind('v1', 'Node') as ResourceInfo;

/** How to dial a node's daemon. */
export interface NodePeer {
  peerId: string;
  /** Multiaddrs the node announced when it joined. */
  addresses: string[];
}

function peerOf(node: KubeObject): NodePeer | undefined {
  const annotations = node.metadata?.annotations ?? {};
  const peerId = annotations[PEER_ID_ANNOTATION];
  if (!peerId) return undefined;
  const addresses = (annotations[ADDRESSES_ANNOTATION] ?? '').split(',').filter((a) => a !== '');
  return { peerId, addresses };
}

export class NodeDirectory {
  private readonly informer: ObjectInformer;

  constructor(
    store: Store,
    private readonly registry: Registry,
    /** Peer `peerId` no longer holds node `nodeName`: the Node was deleted or another peer holds it now. */
    onPeerGone?: (peerId: string, nodeName: string) => void,
  ) {
    const gone = (before: KubeObject, after: KubeObject | undefined): void => {
      const was = peerOf(before)?.peerId;
      if (was !== undefined && was !== (after ? peerOf(after)?.peerId : undefined)) onPeerGone?.(was, before.metadata?.name ?? '');
    };
    this.informer = objectInformer(store, NODES, {
      onUpdate: (old, node) => gone(old, node),
      onDelete: (node) => gone(node, undefined),
    });
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  /** The Node object named `name`, as last seen. */
  node(name: string): KubeObject | undefined {
    return this.informer.get(objectKey(NODES, undefined, name));
  }

  /** How to reach node `name`; undefined when it is unknown or never joined over the mesh. */
  peer(name: string): NodePeer | undefined {
    const node = this.node(name);
    return node ? peerOf(node) : undefined;
  }

  /**
   * The node admitted as `peerId`, or undefined. A cache miss asks the store: a node that has
   * just joined opens its channels before this master's watch has delivered its Node.
   */
  async nodeFor(peerId: string): Promise<string | undefined> {
    const match = (nodes: KubeObject[]): string | undefined => nodes.find((n) => peerOf(n)?.peerId === peerId)?.metadata?.name;
    return match(this.informer.list()) ?? match((await this.registry.list(NODES, undefined)).items);
  }
}
