/**
 * The connection-lost note on a node's Lease `kube-node-lease/<node>`: a master's gateway writes
 * it when the node's channel to it closes (src/master/connection-hint.ts), every renewal takes it
 * off (src/master/node-heartbeat.ts), and the node controller turns a new one into
 * `node.connectionLost` — a hint the machine reports as the reason if the node then goes
 * unreachable; it shortens no grace (a node that moved to another master renews a moment later).
 */
import type { KubeObject, ObjectMetaLike } from '../../api/object.ts';

/** When the connection closed (RFC 3339, the noting master's clock). */
export const CONNECTION_LOST_AT = 'kactus.io/connection-lost-at';
/** Which master noted it. */
export const CONNECTION_LOST_MASTER = 'kactus.io/connection-lost-master';

export interface ConnectionLostNote {
  at: string;
  master: string;
}

/** The note on a node Lease, if there is one. */
export function connectionLostNote(lease: KubeObject): ConnectionLostNote | undefined {
  const annotations = lease.metadata?.annotations ?? {};
  const at = annotations[CONNECTION_LOST_AT];
  if (at === undefined) return undefined;
  return { at, master: annotations[CONNECTION_LOST_MASTER] ?? '' };
}

/** The Lease's metadata without the note (what a renewal writes). */
export function withoutConnectionLostNote(lease: KubeObject): ObjectMetaLike {
  const metadata = lease.metadata ?? {};
  if (!connectionLostNote(lease)) return metadata;
  const annotations = { ...(metadata.annotations ?? {}) };
  delete annotations[CONNECTION_LOST_AT];
  delete annotations[CONNECTION_LOST_MASTER];
  return { ...metadata, annotations };
}

/** The metadata with the note set. */
export function withConnectionLostNote(lease: KubeObject, note: ConnectionLostNote): ObjectMetaLike {
  const metadata = lease.metadata ?? {};
  return { ...metadata, annotations: { ...(metadata.annotations ?? {}), [CONNECTION_LOST_AT]: note.at, [CONNECTION_LOST_MASTER]: note.master } };
}
