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
