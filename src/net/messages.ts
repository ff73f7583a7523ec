/**
 * The message vocabulary between a master and its node daemons, one place for both ends.
 * Envelope `type`s follow STYLE.md: past tense for facts (`pod.status.reported`), imperative for
 * commands (`pod.assign`). Every body is checked with its guard on receipt; a body that fails its
 * guard is a FrameError for that stream.
 *
 * Actor channel (`/kactus/actor/1.0.0`), opened by the node after it joined:
 *   master → node  pod.assign        the latest version of a pod bound to this node
 *   master → node  pods.sync         every pod uid that should exist on the node (after open and
 *                                    on resync); the node tears down pods not listed
 *   node → master  pod.status        a pod's PodStatus, written by the master to `pods/status`
 *   node → master  pod.terminated    a pod finished graceful termination: the master completes
 *                                    the delete (grace 0)
 *   node → master  event.recorded    a Kubernetes Event about an object on this node
 *   node → master  node.metrics      every pod's CPU and memory on this node (every 15 s)
 *   node → master  actor.transitions the node's pod actors' transitions (and their container and
 *                                    probe actors'), in order, in batches; the master appends them
 *                                    to the transition log (the event stream)
 *   node → master  token.request     a ServiceAccount token for a pod of this node (a projected
 *                                    `serviceAccountToken` volume), `id` chosen by the node
 *   master → node  token.issued      the answer to request `id`: the token, its expiry, the CA
 *   master → node  token.refused     request `id` cannot be answered (HTTP-like code + message)
 *   node → master  certificate.request  a new client certificate (`system:node:<name>`, `system:nodes`)
 *                                    for the node's key, before its current one expires: a PKCS#10
 *                                    request (PEM), `id` chosen by the node
 *   master → node  certificate.issued   the answer to request `id`: the certificate and the CA (PEM)
 *   master → node  certificate.refused  request `id` cannot be answered (HTTP-like code + message)
 *   node → master  volume.directory.created   a local-path volume's directory exists on the node: the
 *                                    master puts the node's finalizer on the volume (it may bind now)
 *   node → master  volume.directory.released  the node let go of a deleted volume's directory (removed
 *                                    it, or kept it with Retain): the master removes that finalizer
 *   master → node  masters.known     every master's mesh addresses (`kube-public/kactus-mesh`),
 *                                    on open and when they change: where the node fails over to
 * Heartbeat channel (`/kactus/heartbeat/1.0.0`): node → master node.heartbeat; master → node
 *   node.heartbeat.ack once the heartbeat was applied (the node's Lease renewed, or not when the
 *   store refused): the node's evidence that a master still counts it alive (self-fencing).
 * Logs (`/kactus/logs/1.0.0`), master → node, one stream per request: logs.request, then the
 *   node answers logs.chunk* followed by logs.end or logs.error.
 * Exec (`/kactus/exec/1.0.0`), one stream per `kubectl exec`: exec.request, then the node answers
 *   exec.started (or exec.error); then both ways at once — master → node exec.stdin*,
 *   exec.stdin.end, exec.resize*; node → master exec.output* and last exec.exit (or exec.error).
 * Attach (`/kactus/attach/1.0.0`), one stream per `kubectl attach`: attach.request, then exactly
 *   exec's frames (session-stream.ts).
 * Port-forward (`/kactus/portforward/1.0.0`), one stream per forwarded TCP connection:
 *   portforward.request, then portforward.connected (or portforward.error); then
 *   portforward.data* both ways, each side's end of data being its half-close of the stream.
 * Watch (`/kactus/watch/1.0.0`), a channel the node opens after it joined: node → master
 *   watch.start {resources}; master → node, per resource, watch.event* for every object it has
 *   (the list), watch.synced, then watch.event for every change. A new channel lists again.
 */
import { FrameError } from './errors.ts';
import { isNodeMetricsSample } from '../metrics/wire.ts';
import { isTransitionRecord, type TransitionRecord } from '../api/transition.ts';

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function isStr(v: unknown): v is string {
  return typeof v === 'string';
}
function isOptStr(v: unknown): boolean {
  return v === undefined || typeof v === 'string';
}
function isOptNum(v: unknown): boolean {
  return v === undefined || (typeof v === 'number' && Number.isFinite(v));
}

/** Identity of a pod on the wire. */
export interface PodKey {
  namespace: string;
  name: string;
  uid: string;
}
function isPodKey(v: unknown): v is PodKey {
  return isObj(v) && isStr(v.namespace) && isStr(v.name) && isStr(v.uid);
}

export interface PodAssign {
  /** The whole Pod object as stored (spec.nodeName = the receiving node). */
  pod: Json;
}
export interface PodsSync {
  uids: string[];
}
export interface PodStatusReport extends PodKey {
  status: Json;
}
export type PodTerminated = PodKey;
export interface EventRecorded {
  involvedObject: { kind: string; namespace?: string; name: string; uid: string; apiVersion?: string; fieldPath?: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** RFC 3339 time the node saw it. */
  time: string;
  /** Reporting component, e.g. `kubelet`. */
  source: string;
}
export interface NodeHeartbeat {
  nodeName: string;
  ready: boolean;
  /** Kubernetes quantities: cpu, memory, pods. */
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  /** Runtime name and version, OS, kernel, for Node.status.nodeInfo. */
  nodeInfo: Record<string, string>;
  addresses: { type: string; address: string }[];
  time: string;
  /** Why not ready, when ready is false. */
  message?: string;
}
/** The master applied a heartbeat (heartbeat channel, master → node). */
export interface NodeHeartbeatAck {
  /** The heartbeat's own `time`, echoed: the node knows which one this answers. */
  time: string;
  /** The node's Lease was renewed: the leader's node controller will count this heartbeat. */
  leaseRenewed: boolean;
  /**
   * How long the node may go without a renewed heartbeat before it stops its pods itself: the
   * master's graces less the time a stop takes and a margin (src/actors/node/fencing.ts).
   */
  selfFenceAfterMs: number;
}
/** Where the masters listen (actor channel, master → node). */
export interface MastersKnown {
  /** Mesh multiaddrs, each ending in /p2p/<peer id>. */
  masters: string[];
}
export interface LogsRequest extends PodKey {
  container: string;
  follow?: boolean;
  tailLines?: number;
  timestamps?: boolean;
  sinceSeconds?: number;
  previous?: boolean;
  limitBytes?: number;
  /** The instance the pod's status names (`<runtime>://<id>`); the node serves that one if it holds it. */
  containerID?: string;
}
export interface LogsChunk {
  data: Uint8Array;
}
export interface LogsError {
  /** HTTP-like code: 404 no such pod/container, 400 bad request, 500 runtime failure. */
  code: number;
  message: string;
}

export interface ExecRequest extends PodKey {
  container: string;
  command: string[];
  stdin: boolean;
  tty: boolean;
}
export interface ExecData {
  data: Uint8Array;
}
export interface ExecOutput extends ExecData {
  /** 1 stdout, 2 stderr (the file descriptors, as Kubernetes' stream channels). */
  fd: 1 | 2;
}
export interface ExecResize {
  cols: number;
  rows: number;
}
export interface ExecExit {
  code: number;
}

export interface AttachRequest extends PodKey {
  container: string;
  stdin: boolean;
  tty: boolean;
}

/** A ServiceAccount token for a pod bound to the asking node (src/api/service-account-token.ts). */
export interface TokenRequest {
  /** The node's number for this request; the answer carries it back. */
  id: number;
  namespace: string;
  serviceAccountName: string;
  audiences?: string[];
  expirationSeconds?: number;
  /** The pod the token is bound to: it must be on the asking node and use this ServiceAccount. */
  boundPod: { name: string; uid: string };
}
export interface TokenIssued {
  id: number;
  token: string;
  /** RFC 3339. */
  expirationTimestamp: string;
  caCertPem: string;
}
export interface TokenRefused {
  id: number;
  /** HTTP-like: 403 not this node's pod, 404 no such ServiceAccount or pod, 503 no issuer. */
  code: number;
  message: string;
}

/** A node asks for a new client certificate for its own key (node-daemon/credentials.ts). */
export interface CertificateRequest {
  id: number;
  /** PKCS#10, PEM; its subject is ignored: the master names the asking node. */
  csr: string;
}
export interface CertificateIssued {
  id: number;
  certificate: string;
  caCertPem: string;
}
export interface CertificateRefused {
  id: number;
  /** HTTP-like: 400 a request that does not verify, 503 the master cannot sign. */
  code: number;
  message: string;
}
/** A PEM request or certificate is a few hundred bytes; this bounds what a master parses. */
const MAX_PEM_BYTES = 16 * 1024;
const isPem = (v: unknown): v is string => isStr(v) && v.length > 0 && v.length <= MAX_PEM_BYTES;

export interface PortForwardRequest extends PodKey {
  port: number;
}

/** A local-path PersistentVolume whose directory the reporting node holds (or held). */
export interface VolumeDirectoryReport {
  /** The PersistentVolume's name. */
  name: string;
  uid: string;
}
const isVolumeDirectoryReport = (b: unknown): b is VolumeDirectoryReport => isObj(b) && isStr(b.name) && b.name !== '' && isStr(b.uid) && b.uid !== '';

/** Most transitions one `actor.transitions` message carries. */
export const MAX_TRANSITIONS_PER_MESSAGE = 1000;

export interface ActorTransitions {
  /** In the order they happened on the node. */
  items: TransitionRecord[];
  /** Transitions the node dropped (oldest first) since its previous message, its queue being full. */
  dropped?: number;
}

/** Resources a node daemon may watch over the mesh (its proxy, DNS and overlay need them). */
/**
 * What a node may watch: Services, EndpointSlices and Nodes (proxy, DNS, overlay); ConfigMaps,
 * Secrets, PersistentVolumeClaims and PersistentVolumes (pod volumes and env, the local
 * provisioner). Every node sees every object of these kinds (the security issue narrows it to
 * what its pods reference, as Kubernetes' node authorizer does).
 */
export const WATCHABLE_RESOURCES = ['services', 'endpointslices', 'nodes', 'configmaps', 'secrets', 'persistentvolumeclaims', 'persistentvolumes'] as const;
export type WatchableResource = (typeof WATCHABLE_RESOURCES)[number];
const isWatchable = (v: unknown): v is WatchableResource => (WATCHABLE_RESOURCES as readonly unknown[]).includes(v);

export interface WatchStart {
  resources: WatchableResource[];
}
export interface WatchEvent {
  resource: WatchableResource;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object as stored (for DELETED: its last state). */
  object: Json;
}
export interface WatchSynced {
  resource: WatchableResource;
}

const isEmpty = (b: unknown): b is Record<string, never> => isObj(b) || b === undefined || b === null;
const isRequestId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535;

export const guards = {
  'pod.assign': (b: unknown): b is PodAssign => isObj(b) && isObj(b.pod) && isObj(b.pod.metadata),
  'pods.sync': (b: unknown): b is PodsSync => isObj(b) && Array.isArray(b.uids) && b.uids.every(isStr),
  'pod.status': (b: unknown): b is PodStatusReport => isPodKey(b) && isObj((b as unknown as Json).status),
  'pod.terminated': (b: unknown): b is PodTerminated => isPodKey(b),
  'event.recorded': (b: unknown): b is EventRecorded =>
    isObj(b) &&
    isObj(b.involvedObject) &&
    isStr(b.involvedObject.kind) &&
    isStr(b.involvedObject.name) &&
    isStr(b.involvedObject.uid) &&
    (b.type === 'Normal' || b.type === 'Warning') &&
    isStr(b.reason) &&
    isStr(b.message) &&
    isStr(b.time) &&
    isStr(b.source),
  'node.heartbeat': (b: unknown): b is NodeHeartbeat =>
    isObj(b) &&
    isStr(b.nodeName) &&
    typeof b.ready === 'boolean' &&
    isObj(b.capacity) &&
    isObj(b.allocatable) &&
    isObj(b.nodeInfo) &&
    Array.isArray(b.addresses) &&
    isStr(b.time) &&
    isOptStr(b.message),
  'node.heartbeat.ack': (b: unknown): b is NodeHeartbeatAck =>
    isObj(b) && isStr(b.time) && typeof b.leaseRenewed === 'boolean' && typeof b.selfFenceAfterMs === 'number' && Number.isFinite(b.selfFenceAfterMs) && b.selfFenceAfterMs > 0,
  'masters.known': (b: unknown): b is MastersKnown => isObj(b) && Array.isArray(b.masters) && b.masters.every(isStr),
  'node.metrics': isNodeMetricsSample,
  'actor.transitions': (b: unknown): b is ActorTransitions =>
    isObj(b) &&
    Array.isArray(b.items) &&
    b.items.length <= MAX_TRANSITIONS_PER_MESSAGE &&
    b.items.every(isTransitionRecord) &&
    (b.dropped === undefined || (typeof b.dropped === 'number' && Number.isInteger(b.dropped) && b.dropped >= 0)),
  'volume.directory.created': isVolumeDirectoryReport,
  'volume.directory.released': isVolumeDirectoryReport,
  'logs.request': (b: unknown): b is LogsRequest =>
    isPodKey(b) &&
    isStr((b as unknown as Json).container) &&
    isOptNum((b as unknown as Json).tailLines) &&
    isOptNum((b as unknown as Json).sinceSeconds) &&
    isOptNum((b as unknown as Json).limitBytes) &&
    isOptStr((b as unknown as Json).containerID),
  'logs.chunk': (b: unknown): b is LogsChunk => isObj(b) && b.data instanceof Uint8Array,
  'logs.end': isEmpty,
  'logs.error': (b: unknown): b is LogsError => isObj(b) && typeof b.code === 'number' && isStr(b.message),
  'exec.request': (b: unknown): b is ExecRequest =>
    isPodKey(b) &&
    isStr((b as unknown as Json).container) &&
    Array.isArray((b as unknown as Json).command) &&
    ((b as unknown as Json).command as unknown[]).length > 0 &&
    ((b as unknown as Json).command as unknown[]).every(isStr) &&
    typeof (b as unknown as Json).stdin === 'boolean' &&
    typeof (b as unknown as Json).tty === 'boolean',
  'exec.started': isEmpty,
  'exec.stdin': (b: unknown): b is ExecData => isObj(b) && b.data instanceof Uint8Array,
  'exec.stdin.end': isEmpty,
  'exec.resize': (b: unknown): b is ExecResize => isObj(b) && isCount(b.cols) && isCount(b.rows),
  'exec.output': (b: unknown): b is ExecOutput => isObj(b) && (b.fd === 1 || b.fd === 2) && b.data instanceof Uint8Array,
  'exec.exit': (b: unknown): b is ExecExit => isObj(b) && typeof b.code === 'number',
  'exec.error': (b: unknown): b is LogsError => isObj(b) && typeof b.code === 'number' && isStr(b.message),
  'attach.request': (b: unknown): b is AttachRequest =>
    isPodKey(b) && isStr((b as unknown as Json).container) && typeof (b as unknown as Json).stdin === 'boolean' && typeof (b as unknown as Json).tty === 'boolean',
  'portforward.request': (b: unknown): b is PortForwardRequest => {
    const port = (b as Json | undefined)?.port;
    return isPodKey(b) && typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
  },
  'portforward.connected': isEmpty,
  'portforward.error': (b: unknown): b is LogsError => isObj(b) && typeof b.code === 'number' && isStr(b.message),
  'portforward.data': (b: unknown): b is ExecData => isObj(b) && b.data instanceof Uint8Array,
  'watch.start': (b: unknown): b is WatchStart => isObj(b) && Array.isArray(b.resources) && b.resources.every(isWatchable),
  'watch.event': (b: unknown): b is WatchEvent =>
    isObj(b) &&
    isWatchable(b.resource) &&
    (b.type === 'ADDED' || b.type === 'MODIFIED' || b.type === 'DELETED') &&
    isObj(b.object) &&
    isObj(b.object.metadata) &&
    isStr(b.object.metadata.name),
  'watch.synced': (b: unknown): b is WatchSynced => isObj(b) && isWatchable(b.resource),
  'token.request': (b: unknown): b is TokenRequest =>
    isObj(b) &&
    isRequestId(b.id) &&
    isStr(b.namespace) &&
    isStr(b.serviceAccountName) &&
    (b.audiences === undefined || (Array.isArray(b.audiences) && b.audiences.every(isStr))) &&
    isOptNum(b.expirationSeconds) &&
    isObj(b.boundPod) &&
    isStr(b.boundPod.name) &&
    isStr(b.boundPod.uid),
  'token.issued': (b: unknown): b is TokenIssued => isObj(b) && isRequestId(b.id) && isStr(b.token) && isStr(b.expirationTimestamp) && isStr(b.caCertPem),
  'token.refused': (b: unknown): b is TokenRefused => isObj(b) && isRequestId(b.id) && typeof b.code === 'number' && isStr(b.message),
  'certificate.request': (b: unknown): b is CertificateRequest => isObj(b) && isRequestId(b.id) && isPem(b.csr),
  'certificate.issued': (b: unknown): b is CertificateIssued => isObj(b) && isRequestId(b.id) && isPem(b.certificate) && isPem(b.caCertPem),
  'certificate.refused': (b: unknown): b is CertificateRefused => isObj(b) && isRequestId(b.id) && typeof b.code === 'number' && isStr(b.message),
} as const;

export type MessageType = keyof typeof guards;
export type MessageBody<T extends MessageType> = (typeof guards)[T] extends (b: unknown) => b is infer B ? B : never;

/** Check `body` against the guard of `type`; a FrameError names what is wrong. */
export function checkMessage<T extends MessageType>(type: T, body: unknown): MessageBody<T> {
  const guard = guards[type] as (b: unknown) => boolean;
  if (!guard(body)) throw new FrameError(`malformed ${type} body`);
  return body as MessageBody<T>;
}

export function isMessageType(type: string): type is MessageType {
  return Object.hasOwn(guards, type);
}
