/**
 * Per-kind writes that commit in ONE store transaction with an object's own write: what
 * Kubernetes' Service REST storage does in its BeginCreate / BeginUpdate / delete hooks
 * (ClusterIP and NodePort allocation, release), made atomic. Kubernetes allocates first and
 * releases on failure, leaving leaks for its repair loops; here the allocation records and the
 * object are written or not written together, so a failed create (validation, missing
 * namespace, name taken) or a dry run holds nothing, and a delete frees what it held.
 */
import type { KubeObject } from '../api/object.ts';
import type { KeyValue, TxnCompare, TxnOp } from '../store/types.ts';
import type { RegistryContext } from './context.ts';
import type { WriteOptions } from './types.ts';

/** The extra compares and ops of one object write, and what to do when they fail. */
export interface SideWrites {
  compares: TxnCompare[];
  ops: TxnOp[];
  /**
   * The transaction failed while the object's own compare held (or a dry run asks): throws the
   * ApiError to answer (a value the request asked for is held by another object), or resolves
   * to try again with a new plan (a dynamic pick lost a race).
   */
  explainFailure(): Promise<void>;
  /** The transaction committed (true), failed or was never sent (false): release what the plan held in memory. */
  settle(committed: boolean): void;
}

/** The hooks of one kind. Each may change `obj` in place (allocated fields) before it is written. */
export interface WriteHooks {
  beforeCreate(obj: KubeObject, opts: WriteOptions): Promise<SideWrites>;
  beforeUpdate(oldObj: KubeObject, obj: KubeObject, opts: WriteOptions): Promise<SideWrites>;
  /** The object leaves the store (delete, or an update that removes its last finalizer). */
  beforeDelete(oldObj: KubeObject): Promise<SideWrites>;
}

export type ObjectWrite = { type: 'put'; value: string } | { type: 'delete' };

export interface CommitOutcome {
  committed: boolean;
  /** The object's new entry (put) or the deleted one stamped with the delete's revision. */
  kv?: KeyValue;
}

/**
 * One transaction: the object's write at `key` pinned to `modRevision` (0: must not exist) plus
 * the side writes. `side.settle` is always called.
 */
export async function commitWithSideWrites(ctx: RegistryContext, key: string, modRevision: number, write: ObjectWrite, side: SideWrites): Promise<CommitOutcome> {
  let committed = false;
  try {
    const op: TxnOp = write.type === 'put' ? { type: 'put', key, value: write.value } : { type: 'delete', key };
    const res = await ctx.store.txn([{ key, modRevision }, ...side.compares], [op, ...side.ops]);
    committed = res.succeeded;
    return { committed, kv: res.results[0] };
  } finally {
    side.settle(committed);
  }
}

/** Side writes of several hooks as one: compares and ops joined; failures explained, and settles made, in order. */
function joinSideWrites(parts: readonly SideWrites[]): SideWrites {
  return {
    compares: parts.flatMap((p) => p.compares),
    ops: parts.flatMap((p) => p.ops),
    async explainFailure() {
      for (const p of parts) await p.explainFailure();
    },
    settle(committed) {
      for (const p of parts) p.settle(committed);
    },
  };
}

/** Plans each hook's side writes in turn; when one throws, the ones already planned are settled (released). */
async function planAll(plans: readonly (() => Promise<SideWrites>)[]): Promise<SideWrites> {
  const done: SideWrites[] = [];
  try {
    for (const plan of plans) done.push(await plan());
  } catch (err) {
    for (const p of done) p.settle(false);
    throw err;
  }
  return joinSideWrites(done);
}

/** The hooks of a kind that has several (a Service's allocations and its quota charge), as one; undefined when none. */
export function composeWriteHooks(...all: (WriteHooks | undefined)[]): WriteHooks | undefined {
  const hooks = all.filter((h): h is WriteHooks => h !== undefined);
  if (hooks.length <= 1) return hooks[0];
  return {
    beforeCreate: (obj, opts) => planAll(hooks.map((h) => () => h.beforeCreate(obj, opts))),
    beforeUpdate: (oldObj, obj, opts) => planAll(hooks.map((h) => () => h.beforeUpdate(oldObj, obj, opts))),
    beforeDelete: (oldObj) => planAll(hooks.map((h) => () => h.beforeDelete(oldObj))),
  };
}
