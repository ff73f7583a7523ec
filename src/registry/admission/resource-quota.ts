/**
 * ResourceQuota admission, atomic: the charge (the quota's new `status.used`) is a side write of
 * the object's own store transaction, compared against the quota's revision as read. Kubernetes
 * updates the quota first and creates the object after, and a failed create leaks the charge
 * until its controller recounts; here the object and its charge are written together or not at
 * all. Two writers that read one quota revision cannot both commit, so twenty pods created at
 * once against `pods: 10` admit exactly ten, across masters too (each retries with the quota
 * re-read). Charges of one namespace on one master queue on a lock instead of failing each
 * other's transactions.
 *
 * The checks and messages are src/api/quota/check.ts (Kubernetes' CheckRequest). Deletes charge
 * nothing: the quota controller recounts usage after them (src/actors/resourcequota).
 */
import { findResource, type ResourceInfo } from '../../api/kinds.ts';
import { objectKey, prefixFor } from '../../api/metadata.ts';
import { isRecord, jsonEqual, type KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import { checkQuotaRequest, quotaView } from '../../api/quota/check.ts';
import { evaluatorFor, groupResourceOf, type QuotaOperation } from '../../api/quota/evaluators.ts';
import { resourceListJson } from '../../api/quota/resource-list.ts';
import type { Informer } from '../../store/informer.ts';
import type { KeyValue, Store } from '../../store/types.ts';
import { decodeObject, encodeObject } from '../codec.ts';
import type { SideWrites, WriteHooks } from '../write-hooks.ts';
import { KeyedLock } from './keyed-lock.ts';

export const RESOURCE_QUOTAS = findResource('', 'v1', 'resourcequotas')!;

/** Kinds quota never charges (Kubernetes' default ignored resources): Events come and go too often to count. */
const IGNORED = new Set(['events', 'events.events.k8s.io']);

const NOTHING: SideWrites = { compares: [], ops: [], explainFailure: async () => {}, settle: () => {} };

export interface ResourceQuotaAdmissionOptions {
  store: Store;
  /** Every ResourceQuota (the registry's informer): a namespace without one is never read from the store. */
  quotas: Informer<KubeObject>;
  now: () => Date;
}

export class ResourceQuotaAdmission {
  private readonly lock = new KeyedLock();
  private readonly hooks = new Map<ResourceInfo, WriteHooks>();

  constructor(private readonly opts: ResourceQuotaAdmissionOptions) {}

  /** The hooks that charge writes of `info`'s objects; undefined for kinds quota does not see. */
  hooksFor(info: ResourceInfo): WriteHooks | undefined {
    if (!info.namespaced || IGNORED.has(groupResourceOf(info.group, info.resource))) return undefined;
    let hooks = this.hooks.get(info);
    if (!hooks) {
      hooks = {
        beforeCreate: (obj) => this.charge(info, 'CREATE', obj),
        // A write that changes neither spec nor annotations (every status write) changes no usage.
        beforeUpdate: (old, obj) => (chargeable(old, obj) ? this.charge(info, 'UPDATE', obj, old) : Promise.resolve(NOTHING)),
        beforeDelete: () => Promise.resolve(NOTHING),
      };
      this.hooks.set(info, hooks);
    }
    return hooks;
  }

  private hasQuotas(namespace: string): boolean {
    const prefix = prefixFor(RESOURCE_QUOTAS, namespace);
    return this.opts.quotas.entries().some(([key]) => key.startsWith(prefix));
  }

  private async charge(info: ResourceInfo, operation: QuotaOperation, obj: KubeObject, old?: KubeObject): Promise<SideWrites> {
    const namespace = obj.metadata?.namespace ?? '';
    const groupResource = groupResourceOf(info.group, info.resource);
    // Nothing to read or lock when no quota is in the namespace, or the write cannot change usage (an object count's update).
    if (!this.hasQuotas(namespace) || !evaluatorFor(groupResource).handles(operation, obj, old)) return NOTHING;
    const release = await this.lock.acquire(namespace);
    try {
      // The quotas as stored now, not as the informer last saw them: their revisions are what the transaction compares.
      const { items } = await this.opts.store.list(prefixFor(RESOURCE_QUOTAS, namespace));
      const stored = new Map<string, { kv: KeyValue; quota: KubeObject }>();
      for (const kv of items) {
        const quota = decodeObject(kv);
        stored.set(quota.metadata?.name ?? '', { kv, quota });
      }
      const check = checkQuotaRequest(
        [...stored.values()].map((s) => quotaView(s.quota)),
        { operation, groupResource, obj, old, now: this.opts.now() },
      );
      if (check.outcome === 'refused') throw ApiError.forbidden(info, obj.metadata?.name ?? '', check.reason);
      if (check.outcome === 'unchanged') {
        release();
        return NOTHING;
      }
      const compares = [];
      const ops = [];
      for (const [name, used] of check.used) {
        const { kv, quota } = stored.get(name)!;
        const status = isRecord(quota.status) ? quota.status : {};
        compares.push({ key: kv.key, modRevision: kv.modRevision });
        ops.push({ type: 'put' as const, key: kv.key, value: encodeObject({ ...quota, status: { ...status, used: resourceListJson(used) } }) });
      }
      return {
        compares,
        ops,
        // A quota moved since it was read (another master charged it, or its controller recounted): plan again from the store.
        explainFailure: async () => {},
        settle: () => release(),
      };
    } catch (err) {
      release();
      throw err;
    }
  }
}

/** Whether an update can change what the object uses: its spec or annotations (a claim's storage class) changed. */
function chargeable(old: KubeObject, obj: KubeObject): boolean {
  return !jsonEqual(old.spec, obj.spec) || !jsonEqual(old.metadata?.annotations, obj.metadata?.annotations);
}

/** The store key of a quota (tests). */
export function quotaKey(namespace: string, name: string): string {
  return objectKey(RESOURCE_QUOTAS, namespace, name);
}
