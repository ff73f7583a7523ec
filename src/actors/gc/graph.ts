/**
 * The ownership graph the garbage collector walks (Kubernetes' GraphBuilder, as a plain index):
 * every watched object by uid, and for each uid the uids of the objects whose ownerReferences
 * name it. Owners need not be present: a dependent whose owner is missing is how dangling
 * references are found.
 */
import type { ResourceInfo } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';

export interface GraphNode {
  info: ResourceInfo;
  obj: KubeObject;
}

export class OwnershipGraph {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly dependents = new Map<string, Set<string>>();

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  /** Adds or replaces the object; returns the version it replaced. */
  upsert(info: ResourceInfo, obj: KubeObject): GraphNode | undefined {
    const uid = obj.metadata?.uid ?? '';
    const previous = this.nodes.get(uid);
    if (previous) this.unlink(uid, previous.obj);
    this.nodes.set(uid, { info, obj });
    for (const owner of ownerUids(obj)) {
      let set = this.dependents.get(owner);
      if (!set) this.dependents.set(owner, (set = new Set()));
      set.add(uid);
    }
    return previous;
  }

  remove(obj: KubeObject): void {
    const uid = obj.metadata?.uid ?? '';
    const node = this.nodes.get(uid);
    if (!node) return;
    this.unlink(uid, node.obj);
    this.nodes.delete(uid);
  }

  /** The objects whose ownerReferences name `uid`. */
  dependentsOf(uid: string): GraphNode[] {
    return [...(this.dependents.get(uid) ?? [])].map((d) => this.nodes.get(d)).filter((n): n is GraphNode => n !== undefined);
  }

  private unlink(uid: string, obj: KubeObject): void {
    for (const owner of ownerUids(obj)) {
      const set = this.dependents.get(owner);
      set?.delete(uid);
      if (set?.size === 0) this.dependents.delete(owner);
    }
  }
}

/** The uids an object's ownerReferences name. */
export function ownerUids(obj: KubeObject): string[] {
  return (obj.metadata?.ownerReferences ?? []).map((r) => r.uid).filter((u): u is string => typeof u === 'string');
}
