/**
 * Bindings indexed by subject: what a check reads instead of every binding. A binding appears
 * under each of its subjects' keys (subjects.ts), per namespace for RoleBindings ('' for
 * ClusterRoleBindings); the index follows an informer's add, update and delete.
 */
import type { RoleBinding, Subject } from 'kubernetes-types/rbac/v1.d.ts';
import type { KubeObject } from '../../../api/object.ts';
import type { InformerHandlers } from '../../../store/informer.ts';
import { subjectKey } from './subjects.ts';

/** A RoleBinding or ClusterRoleBinding (same shape). */
export type Binding = RoleBinding & KubeObject;

export class SubjectIndex {
  /** namespace ('' for cluster bindings) → subject key → object key → binding. */
  private readonly byNamespace = new Map<string, Map<string, Map<string, Binding>>>();

  /** Handlers that keep the index current (give them to the binding informer). */
  readonly handlers: InformerHandlers<KubeObject> = {
    onAdd: (obj, key) => this.add(obj as Binding, key),
    onUpdate: (old, obj, key) => {
      this.remove(old as Binding, key);
      this.add(obj as Binding, key);
    },
    onDelete: (obj, key) => this.remove(obj as Binding, key),
  };

  /** The bindings in `namespace` ('' for cluster bindings) naming any of `keys`, each once. */
  find(namespace: string, keys: readonly string[]): Binding[] {
    const bySubject = this.byNamespace.get(namespace);
    if (!bySubject) return [];
    const found = new Map<string, Binding>();
    for (const k of keys) for (const [objectKey, b] of bySubject.get(k) ?? []) found.set(objectKey, b);
    return [...found.values()];
  }

  private keysOf(b: Binding): { namespace: string; keys: string[] } {
    const namespace = b.metadata?.namespace ?? '';
    const keys = (b.subjects ?? []).map((s: Subject) => subjectKey(s, namespace)).filter((k): k is string => k !== undefined);
    return { namespace, keys };
  }

  private add(b: Binding, objectKey: string): void {
    const { namespace, keys } = this.keysOf(b);
    let bySubject = this.byNamespace.get(namespace);
    if (!bySubject) this.byNamespace.set(namespace, (bySubject = new Map()));
    for (const k of keys) {
      let set = bySubject.get(k);
      if (!set) bySubject.set(k, (set = new Map()));
      set.set(objectKey, b);
    }
  }

  private remove(b: Binding, objectKey: string): void {
    const { namespace, keys } = this.keysOf(b);
    const bySubject = this.byNamespace.get(namespace);
    if (!bySubject) return;
    for (const k of keys) {
      const set = bySubject.get(k);
      set?.delete(objectKey);
      if (set?.size === 0) bySubject.delete(k);
    }
    if (bySubject.size === 0) this.byNamespace.delete(namespace);
  }
}
