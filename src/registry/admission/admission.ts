/**
 * The admission chain of a Registry, in Kubernetes' order: mutating ServiceAccount, Priority,
 * LimitRanger; validating NodeRestriction (nodes' writes, status writes and deletes included),
 * Priority (one globalDefault PriorityClass, system classes kept), LimitRanger then PodSecurity; ResourceQuota last, as write hooks committed with the
 * object (resource-quota.ts). It owns the informers the plugins read (ServiceAccounts,
 * LimitRanges, ResourceQuotas, Namespaces), started and stopped with the Registry.
 *
 * Namespace lifecycle (the first plugin in Kubernetes) stays where it was: the registry's
 * namespace guard.
 */
import type { ResourceInfo } from '../../api/kinds.ts';
import { findKind } from '../../api/kinds.ts';
import { objectKey, prefixFor } from '../../api/metadata.ts';
import type { KubeObject } from '../../api/object.ts';
import { Informer } from '../../store/informer.ts';
import type { Store } from '../../store/types.ts';
import { decodeObject } from '../codec.ts';
import type { WriteHooks } from '../write-hooks.ts';
import { LIMIT_RANGES, LimitRanger } from './limit-ranger.ts';
import { NamespaceObjects } from './namespace-objects.ts';
import { RESOURCE_QUOTAS, ResourceQuotaAdmission } from './resource-quota.ts';
import { PodSecurityAdmission } from './pod-security.ts';
import { SERVICE_ACCOUNTS, ServiceAccountAdmission } from './service-account.ts';
import { NodeRestriction } from './node-restriction.ts';
import { PRIORITY_CLASSES, PriorityAdmission } from './priority.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './types.ts';

const NAMESPACES = findKind('v1', 'Namespace') as ResourceInfo;
const PODS = findKind('v1', 'Pod') as ResourceInfo;

async function liveObject(store: Store, key: string): Promise<KubeObject | undefined> {
  const kv = await store.get(key);
  return kv ? decodeObject(kv) : undefined;
}

export interface AdmissionOptions {
  /**
   * The ServiceAccount plugin (default account, the account must exist, the token volume). It
   * needs the leader's serviceaccounts controller to make `default` accounts, so a bare API
   * server (tests without controllers) leaves it off; a master turns it on.
   */
  serviceAccount?: boolean;
  /** Random source of generated volume names (tests). */
  random?: () => number;
  /** Pause between lookups of a missing `default` account (tests). */
  sleep?: (ms: number) => Promise<void>;
  /** More validating plugins, run after LimitRanger (the master's RBAC escalation check). */
  validating?: readonly AdmissionPlugin[];
}

export class Admission {
  private readonly informers: Informer<KubeObject>[];
  private readonly mutating: AdmissionPlugin[];
  private readonly validating: AdmissionPlugin[];
  readonly quota: ResourceQuotaAdmission;

  constructor(store: Store, now: () => Date, opts: AdmissionOptions = {}) {
    const informer = (info: ResourceInfo): Informer<KubeObject> => new Informer({ store, prefix: prefixFor(info), decode: decodeObject });
    const quotas = informer(RESOURCE_QUOTAS);
    const limitRanges = informer(LIMIT_RANGES);
    this.informers = [quotas, limitRanges];
    const limitRanger = new LimitRanger(new NamespaceObjects(LIMIT_RANGES, store, limitRanges));
    const priorityClasses = informer(PRIORITY_CLASSES);
    this.informers.push(priorityClasses);
    const priority = new PriorityAdmission(priorityClasses, store);
    // Kubernetes' order: ServiceAccount, then Priority (before LimitRanger's defaults and quota), then LimitRanger.
    this.mutating = [priority, limitRanger];
    if (opts.serviceAccount) {
      const accounts = informer(SERVICE_ACCOUNTS);
      this.informers.push(accounts);
      this.mutating.unshift(new ServiceAccountAdmission({ store, accounts, random: opts.random, sleep: opts.sleep }));
    }
    const namespaces = informer(NAMESPACES);
    this.informers.push(namespaces);
    const podSecurity = new PodSecurityAdmission({
      // The informer's copy, else a live read: a namespace labelled a moment ago is never judged by its old labels' absence.
      namespaceLabels: async (name) => {
        const ns = namespaces.get(objectKey(NAMESPACES, undefined, name)) ?? (await liveObject(store, objectKey(NAMESPACES, undefined, name)));
        return ns?.metadata?.labels as Record<string, unknown> | undefined;
      },
      podsIn: async (name) => (await store.list(prefixFor(PODS, name))).items.map(decodeObject),
    });
    // NodeRestriction judges only nodes' writes (WriteOptions.user), and every one of them.
    this.validating = [new NodeRestriction(), priority, limitRanger, podSecurity, ...(opts.validating ?? [])];
    this.quota = new ResourceQuotaAdmission({ store, quotas, now });
  }

  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
  }

  stop(): void {
    for (const i of this.informers) i.stop();
  }

  /** The mutating phase: plugins in order, each may change `attrs.obj`. */
  async admit(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.mutating) await p.admit?.(attrs);
  }

  /** The validating phase: plugins in order, each may refuse; status writes and deletes only reach plugins that handle every write. */
  async validate(attrs: AdmissionAttributes): Promise<void> {
    const objectWrite = attrs.operation !== 'DELETE' && attrs.subresource === undefined;
    for (const p of this.validating) if (objectWrite || p.handlesEveryWrite) await p.validate?.(attrs);
  }

  /** ResourceQuota's write hooks for `info` (undefined for kinds quota does not charge). */
  quotaHooks(info: ResourceInfo): WriteHooks | undefined {
    return this.quota.hooksFor(info);
  }
}
