/**
 * The node graph (Kubernetes' plugin/pkg/auth/authorizer/node/graph.go, kept by informers as its
 * graph_populator): which pods are bound to which node, and which Secrets, ConfigMaps,
 * PersistentVolumeClaims, PersistentVolumes (through their claims) and ServiceAccounts those pods
 * use. It is the one answer to "may node N read object X": the Node authorizer asks it for API
 * requests (node.ts), the master's watch channel asks it which Secrets and ConfigMaps to send a
 * node (src/master/cluster-feed.ts).
 *
 * Reference counts per node: a Secret two pods of a node mount stays readable until both are
 * gone. Listeners hear, synchronously inside the pod or claim event, which node's references of
 * which resource changed — before any later handler of the same shared informer (the gateway's
 * `pod.assign`), so a node is sent a pod's Secret no later than the pod when the graph was started
 * first (the master starts it before the gateway).
 */
import { findResource, type ResourceInfo } from '../../api/kinds.ts';
import { isRecord, type KubeObject } from '../../api/object.ts';
import type { Store } from '../../store/types.ts';
import { objectInformer, type ObjectInformer } from '../informers.ts';
import { podReferences, type PodReferences } from './pod-references.ts';

const PODS = findResource('', 'v1', 'pods') as ResourceInfo;
const CLAIMS = findResource('', 'v1', 'persistentvolumeclaims') as ResourceInfo;

/** What the graph links to pods by name (namespaced, in the pod's namespace). */
export type PodReferenceResource = 'secrets' | 'configmaps' | 'persistentvolumeclaims' | 'serviceaccounts';

export interface NodeGraphListener {
  /** The objects of `resource` that node `nodeName`'s pods reference changed. */
  onReferencesChanged(nodeName: string, resource: PodReferenceResource): void;
}

interface PodEntry {
  node: string;
  namespace: string;
  refs: PodReferences;
}

const RESOURCES: readonly PodReferenceResource[] = ['secrets', 'configmaps', 'persistentvolumeclaims', 'serviceaccounts'];

/** `namespace/name`. */
const nsName = (namespace: string, name: string): string => `${namespace}/${name}`;

function namesOf(refs: PodReferences, resource: PodReferenceResource): string[] {
  if (resource === 'serviceaccounts') return refs.serviceAccount ? [refs.serviceAccount] : [];
  return refs[resource];
}

/** The node a pod is bound to, or undefined. */
function boundNode(pod: KubeObject): string | undefined {
  const name = isRecord(pod.spec) ? pod.spec.nodeName : undefined;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

export class NodeGraph {
  private readonly pods: ObjectInformer;
  private readonly claims: ObjectInformer;
  /** Bound pods by `namespace/name`. */
  private readonly entries = new Map<string, PodEntry>();
  /** Per node, per `resource/namespace/name`: how many of its pods reference it. */
  private readonly counts = new Map<string, Map<string, number>>();
  /** Claim `namespace/name` → the PersistentVolume it is bound to (`spec.volumeName`). */
  private readonly volumeOfClaim = new Map<string, string>();
  private readonly claimsOfVolume = new Map<string, Set<string>>();
  private readonly listeners = new Set<NodeGraphListener>();
  private starting: Promise<void> | undefined;

  constructor(store: Store) {
    this.claims = objectInformer(store, CLAIMS, {
      onAdd: (claim) => this.putClaim(claim),
      onUpdate: (_old, claim) => this.putClaim(claim),
      onDelete: (claim) => this.removeClaim(claim),
    });
    this.pods = objectInformer(store, PODS, {
      onAdd: (pod) => this.putPod(pod),
      onUpdate: (_old, pod) => this.putPod(pod),
      onDelete: (pod) => this.removePod(pod),
    });
  }

  /** Lists claims, then pods; idempotent. */
  start(): Promise<void> {
    this.starting ??= (async () => {
      await this.claims.start();
      await this.pods.start();
    })();
    return this.starting;
  }

  stop(): void {
    this.pods.stop();
    this.claims.stop();
  }

  /** Hear which node's references change; returns the unsubscribe. */
  subscribe(listener: NodeGraphListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The node pod `namespace/name` is bound to, as last seen; undefined when unbound or unknown. */
  nodeOfPod(namespace: string, name: string): string | undefined {
    return this.entries.get(nsName(namespace, name))?.node;
  }

  /** True when a pod bound to `nodeName` references `resource` `namespace/name`. */
  references(nodeName: string, resource: PodReferenceResource, namespace: string, name: string): boolean {
    return (this.counts.get(nodeName)?.get(`${resource}/${nsName(namespace, name)}`) ?? 0) > 0;
  }

  /** True when a claim a pod of `nodeName` uses is bound to PersistentVolume `name`. */
  referencesVolume(nodeName: string, name: string): boolean {
    for (const claim of this.claimsOfVolume.get(name) ?? []) {
      const [namespace, claimName] = splitNsName(claim);
      if (this.references(nodeName, 'persistentvolumeclaims', namespace, claimName)) return true;
    }
    return false;
  }

  /** Every `namespace/name` of `resource` that node `nodeName`'s pods reference. */
  referenced(nodeName: string, resource: PodReferenceResource): Set<string> {
    const prefix = `${resource}/`;
    const out = new Set<string>();
    for (const key of this.counts.get(nodeName)?.keys() ?? []) if (key.startsWith(prefix)) out.add(key.slice(prefix.length));
    return out;
  }

  private putPod(pod: KubeObject): void {
    const namespace = pod.metadata?.namespace ?? '';
    const key = nsName(namespace, pod.metadata?.name ?? '');
    const node = boundNode(pod);
    const before = this.entries.get(key);
    if (!node) {
      if (before) this.removeEntry(key, before);
      return;
    }
    const entry: PodEntry = { node, namespace, refs: podReferences(pod) };
    if (before && before.node === node && sameRefs(before.refs, entry.refs)) return;
    this.entries.set(key, entry);
    const changed = new Set<string>();
    if (before) this.count(before, -1, changed);
    this.count(entry, +1, changed);
    this.notify(changed);
  }

  private removePod(pod: KubeObject): void {
    const key = nsName(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '');
    const entry = this.entries.get(key);
    if (entry) this.removeEntry(key, entry);
  }

  private removeEntry(key: string, entry: PodEntry): void {
    this.entries.delete(key);
    const changed = new Set<string>();
    this.count(entry, -1, changed);
    this.notify(changed);
  }

  /** Adds `delta` to the node's count of each object the pod references; collects `node\nresource` whose set changed. */
  private count(entry: PodEntry, delta: 1 | -1, changed: Set<string>): void {
    let counts = this.counts.get(entry.node);
    if (!counts) this.counts.set(entry.node, (counts = new Map()));
    for (const resource of RESOURCES) {
      for (const name of namesOf(entry.refs, resource)) {
        const key = `${resource}/${nsName(entry.namespace, name)}`;
        const next = (counts.get(key) ?? 0) + delta;
        // Only the edge appearing or going changes what the node may read.
        if (next <= 0) {
          counts.delete(key);
          changed.add(`${entry.node}\n${resource}`);
        } else {
          counts.set(key, next);
          if (next === 1) changed.add(`${entry.node}\n${resource}`);
        }
      }
    }
    if (counts.size === 0) this.counts.delete(entry.node);
  }

  private notify(changed: Set<string>): void {
    for (const item of changed) {
      const [node, resource] = item.split('\n') as [string, PodReferenceResource];
      for (const l of this.listeners) {
        try {
          l.onReferencesChanged(node, resource);
        } catch {
          // A failing listener must not keep the others (or the informer's next handlers) from hearing.
        }
      }
    }
  }

  private putClaim(claim: KubeObject): void {
    const key = nsName(claim.metadata?.namespace ?? '', claim.metadata?.name ?? '');
    const volume = isRecord(claim.spec) && typeof claim.spec.volumeName === 'string' && claim.spec.volumeName !== '' ? claim.spec.volumeName : undefined;
    const before = this.volumeOfClaim.get(key);
    if (before === volume) return;
    this.removeClaimKey(key);
    if (volume === undefined) return;
    this.volumeOfClaim.set(key, volume);
    let claims = this.claimsOfVolume.get(volume);
    if (!claims) this.claimsOfVolume.set(volume, (claims = new Set()));
    claims.add(key);
  }

  private removeClaim(claim: KubeObject): void {
    this.removeClaimKey(nsName(claim.metadata?.namespace ?? '', claim.metadata?.name ?? ''));
  }

  private removeClaimKey(key: string): void {
    const volume = this.volumeOfClaim.get(key);
    if (volume === undefined) return;
    this.volumeOfClaim.delete(key);
    const claims = this.claimsOfVolume.get(volume);
    claims?.delete(key);
    if (claims?.size === 0) this.claimsOfVolume.delete(volume);
  }
}

function splitNsName(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

function sameRefs(a: PodReferences, b: PodReferences): boolean {
  return RESOURCES.every((r) => {
    const x = namesOf(a, r);
    const y = namesOf(b, r);
    return x.length === y.length && x.every((n, i) => n === y[i]);
  });
}
