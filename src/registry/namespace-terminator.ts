/**
 * Empties and removes Terminating namespaces (the job of Kubernetes' namespace controller, done
 * here in the API server): delete every namespaced object in the namespace (pods gracefully,
 * finalizers honoured), and once nothing is left, drop the `kubernetes` finalizer and delete the
 * namespace. While objects remain (a pod waiting for its node, a finalizer not yet removed) it
 * retries with a backoff of 250 ms doubling to 5 s. Terminations interrupted by a restart are
 * resumed by `resumeAll()`.
 */
import { allResources, isReview, type ResourceInfo } from '../api/kinds.ts';
import { objectKey, prefixFor } from '../api/metadata.ts';
import { ApiError } from '../api/status.ts';
import { ConflictError, NotFoundError } from '../store/errors.ts';
import { decodeObject, encodeObject } from './codec.ts';
import type { RegistryContext } from './context.ts';
import { NAMESPACES } from './namespace-guard.ts';
import type { DeleteOptions } from './types.ts';

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;
const NAMESPACE_FINALIZER = 'kubernetes';

export type DeleteFn = (info: ResourceInfo, namespace: string, name: string, opts: DeleteOptions) => Promise<unknown>;

interface Run {
  /** Another pass was asked for while one was running. */
  again: boolean;
  timer?: NodeJS.Timeout;
  delayMs: number;
}

export class NamespaceTerminator {
  private readonly runs = new Map<string, Run>();
  private closed = false;

  constructor(
    private readonly ctx: RegistryContext,
    private readonly deleteObject: DeleteFn,
  ) {}

  /** Starts (or re-runs) the termination of `name`. */
  terminate(name: string): void {
    if (this.closed) return;
    const run = this.runs.get(name);
    if (run) {
      run.again = true;
      return;
    }
    this.runs.set(name, { again: false, delayMs: FIRST_RETRY_MS });
    void this.pass(name);
  }

  /** Resumes every namespace left Terminating (after a restart). */
  async resumeAll(): Promise<void> {
    const list = await this.ctx.store.list(prefixFor(NAMESPACES));
    for (const kv of list.items) {
      const ns = decodeObject(kv);
      if (ns.metadata?.deletionTimestamp && ns.metadata.name) this.terminate(ns.metadata.name);
    }
  }

  /** Stops all pending retries. */
  close(): void {
    this.closed = true;
    for (const run of this.runs.values()) clearTimeout(run.timer);
    this.runs.clear();
  }

  private async pass(name: string): Promise<void> {
    const run = this.runs.get(name);
    if (!run || this.closed) return;
    run.again = false;
    let done = false;
    try {
      const remaining = await this.deleteContents(name);
      done = remaining === 0 && (await this.removeNamespace(name));
    } catch (err) {
      this.ctx.log.warn({ err, namespace: name }, 'namespace termination pass failed; will retry');
    }
    if (this.closed) return;
    if (done) {
      this.runs.delete(name);
      return;
    }
    const delay = run.again ? 0 : run.delayMs;
    run.delayMs = Math.min(run.delayMs * 2, MAX_RETRY_MS);
    run.timer = setTimeout(() => void this.pass(name), delay);
    run.timer.unref();
  }

  /** Deletes what is not yet being deleted; returns how many objects are left in the namespace. */
  private async deleteContents(namespace: string): Promise<number> {
    let remaining = 0;
    const seenPrefixes = new Set<string>();
    for (const info of allResources()) {
      if (!info.namespaced || isReview(info)) continue;
      const prefix = prefixFor(info, namespace);
      // Two resources may share a key space (core and events.k8s.io Events): visit it once.
      if (seenPrefixes.has(prefix)) continue;
      seenPrefixes.add(prefix);
      const list = await this.ctx.store.list(prefix);
      remaining += list.items.length;
      for (const kv of list.items) {
        const obj = decodeObject(kv);
        const objName = obj.metadata?.name;
        if (!objName || obj.metadata?.deletionTimestamp) continue;
        try {
          await this.deleteObject(info, namespace, objName, { propagationPolicy: 'Background' });
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 404)) throw err;
        }
      }
    }
    if (remaining === 0) return 0;
    let left = 0;
    for (const prefix of seenPrefixes) left += await this.ctx.store.count(prefix);
    return left;
  }

  /**
   * Drops the namespace's `kubernetes` finalizer and deletes it, unless other finalizers keep it
   * (then it stays, marked, until an update removes them). True when nothing more is to be done.
   */
  private async removeNamespace(name: string): Promise<boolean> {
    const key = objectKey(NAMESPACES, undefined, name);
    const kv = await this.ctx.store.get(key);
    if (!kv) return true;
    const ns = decodeObject(kv);
    const metaFinalizers = ns.metadata?.finalizers ?? [];
    try {
      if (metaFinalizers.length === 0) {
        await this.ctx.store.delete(key, kv.modRevision);
        return true;
      }
      const spec = (ns.spec ?? {}) as { finalizers?: string[] };
      if ((spec.finalizers ?? []).includes(NAMESPACE_FINALIZER)) {
        ns.spec = { ...spec, finalizers: (spec.finalizers ?? []).filter((f) => f !== NAMESPACE_FINALIZER) };
        await this.ctx.store.update(key, encodeObject(ns), kv.modRevision);
      }
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return true;
      if (err instanceof ConflictError) return false;
      throw err;
    }
  }
}
