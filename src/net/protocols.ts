/**
 * Protocol ids, limits and timeouts of the kactus mesh. One place, so both ends agree.
 * Ids follow `/kactus/<name>/<semver>` (DESIGN.md §5).
 */
export const PROTOCOL_JOIN = '/kactus/join/1.0.0';
export const PROTOCOL_ACTOR = '/kactus/actor/1.0.0';
export const PROTOCOL_HEARTBEAT = '/kactus/heartbeat/1.0.0';
export const PROTOCOL_LOGS = '/kactus/logs/1.0.0';
export const PROTOCOL_EXEC = '/kactus/exec/1.0.0';
export const PROTOCOL_ATTACH = '/kactus/attach/1.0.0';
export const PROTOCOL_PORTFORWARD = '/kactus/portforward/1.0.0';
/** The cluster objects a node daemon watches (Services, EndpointSlices, Nodes): kube-proxy's and the DNS's view. */
export const PROTOCOL_WATCH = '/kactus/watch/1.0.0';

/**
 * Watch messages the master queues for one node before it gives up on that node's watch channel
 * (the node reconnects and lists again): a node that stopped reading never grows a master's memory
 * without bound.
 */
export const MAX_PENDING_WATCH_EVENTS = 50_000;

/** Envelope format version carried in every frame's `v`. */
export const ENVELOPE_VERSION = 1;

/** Largest frame either side accepts; a larger length prefix closes the stream. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** A join must complete within this time or the stream is aborted. */
export const JOIN_TIMEOUT_MS = 10_000;

/** Inbound streams allowed per protocol and connection (libp2p's default is 32). */
export const MAX_INBOUND_STREAMS = 64;

/**
 * How often a node daemon sends `node.heartbeat` (the kubelet's node-status-update-frequency /
 * lease renew interval, 10 s). The master's node-monitor grace should span several of them
 * (Kubernetes: 40 s grace over 10 s renewals; kactus: 4 s over 1 s, see
 * src/actors/node/README.md); see MIN_HEARTBEATS_PER_GRACE.
 */
export const HEARTBEAT_INTERVAL_MS = 1000;

/**
 * A master that acknowledged heartbeats on this channel and then stays silent this long is taken
 * for gone (paused, partitioned, its store stuck): the node drops its channels and tries the next
 * master. A master that dies outright closes the connection at once, which needs no timer.
 */
export const MASTER_SILENCE_MS = 2500;

/** A grace shorter than this many heartbeats marks live nodes NotReady whenever one is late. */
export const MIN_HEARTBEATS_PER_GRACE = 3;
