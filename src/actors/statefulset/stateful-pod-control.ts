/**
 * How the StatefulSet controller writes pods and claims (Kubernetes' StatefulPodControl), with
 * the Events Kubernetes records on the set: `SuccessfulCreate` "create Pod web-0 in StatefulSet
 * web successful", "create Claim data-web-0 Pod web-0 in StatefulSet web success",
 * `SuccessfulDelete`, `SuccessfulUpdate`, and their `Failed…` counterparts with the error.
 *
 * Claims are created before their pod (a claim that exists is kept as it is, one being deleted
 * fails the create: the pod must not mount it), never deleted here: the garbage collector removes
 * them through the owner references the retention policy gives them. The real control writes
 * through the Registry; the fake records the calls, for tests that count them.
 */
import { errorMessage } from '../../api/error-message.ts';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import { refTo, type EventSink } from '../../registry/event-recorder.ts';
import type { Registry } from '../../registry/registry.ts';
import { isNotFound, retryOnConflict } from '../../registry/retry-on-conflict.ts';
import { CLAIMS, PODS } from './kinds.ts';

export const SOURCE = { component: 'statefulset-controller' };

export interface StatefulPodControl {
  /** Creates the missing `claims`, then `pod` (Kubernetes' CreateStatefulPod). */
  createStatefulPod(set: KubeObject, pod: KubeObject, claims: readonly KubeObject[]): Promise<void>;
  /** Deletes `pod` (that uid only); false when it was already gone. */
  deleteStatefulPod(set: KubeObject, pod: KubeObject): Promise<boolean>;
  /** Creates `claims` the pod lacks (Kubernetes' createMissingPersistentVolumeClaims). */
  createClaims(set: KubeObject, pod: KubeObject, claims: readonly KubeObject[]): Promise<void>;
  /** Sets the pod's labels (its identity), while it is the same pod. */
  updatePodLabels(set: KubeObject, pod: KubeObject, labels: Record<string, string>): Promise<void>;
  /** Sets the claim's owner references (the retention policy), while it is the same claim. */
  updateClaimOwners(set: KubeObject, pod: KubeObject, claim: KubeObject, ownerReferences: readonly JsonObject[]): Promise<void>;
}

const nameOf = (o: KubeObject): string => o.metadata?.name ?? '';

export class RealStatefulPodControl implements StatefulPodControl {
  constructor(
    private readonly registry: Registry,
    private readonly events: EventSink,
  ) {}

  async createStatefulPod(set: KubeObject, pod: KubeObject, claims: readonly KubeObject[]): Promise<void> {
    try {
      await this.createClaims(set, pod, claims);
    } catch (err) {
      this.recordPod('create', set, pod, err);
      throw err;
    }
    try {
      await this.registry.create(PODS, set.metadata?.namespace, pod);
      this.recordPod('create', set, pod);
    } catch (err) {
      this.recordPod('create', set, pod, err);
      throw err;
    }
  }

  async deleteStatefulPod(set: KubeObject, pod: KubeObject): Promise<boolean> {
    try {
      await this.registry.delete(PODS, pod.metadata?.namespace, nameOf(pod), { preconditions: { uid: pod.metadata?.uid } });
      this.recordPod('delete', set, pod);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      this.recordPod('delete', set, pod, err);
      throw err;
    }
  }

  async createClaims(set: KubeObject, pod: KubeObject, claims: readonly KubeObject[]): Promise<void> {
    const errors: string[] = [];
    for (const claim of claims) {
      try {
        await this.createClaim(set, claim);
        this.recordClaim(set, pod, claim);
      } catch (err) {
        if (err instanceof ClaimExists) continue;
        errors.push(errorMessage(err));
        if (!(err instanceof ClaimBeingDeleted)) this.recordClaim(set, pod, claim, err);
      }
    }
    if (errors.length > 0) throw new Error(errors.join('; '));
  }

  async updatePodLabels(set: KubeObject, pod: KubeObject, labels: Record<string, string>): Promise<void> {
    try {
      const updated = await retryOnConflict(async () => {
        const current = await this.registry.get(PODS, pod.metadata?.namespace, nameOf(pod));
        if (current.metadata?.uid !== pod.metadata?.uid) return false;
        await this.registry.update(PODS, pod.metadata?.namespace, nameOf(pod), { ...current, metadata: { ...current.metadata, labels: { ...current.metadata?.labels, ...labels } } });
        return true;
      });
      if (updated) this.recordPod('update', set, pod);
    } catch (err) {
      if (isNotFound(err)) return;
      this.recordPod('update', set, pod, err);
      throw err;
    }
  }

  async updateClaimOwners(set: KubeObject, pod: KubeObject, claim: KubeObject, ownerReferences: readonly JsonObject[]): Promise<void> {
    try {
      await retryOnConflict(async () => {
        const current = await this.registry.get(CLAIMS, claim.metadata?.namespace, nameOf(claim));
        if (current.metadata?.uid !== claim.metadata?.uid || current.metadata?.deletionTimestamp) return;
        const metadata = { ...current.metadata };
        if (ownerReferences.length > 0) metadata.ownerReferences = [...ownerReferences];
        else delete metadata.ownerReferences;
        await this.registry.update(CLAIMS, claim.metadata?.namespace, nameOf(claim), { ...current, metadata });
      });
    } catch (err) {
      if (isNotFound(err)) return;
      this.recordPod('update', set, pod, err);
      throw err;
    }
  }

  /** Creates the claim unless it exists (ClaimExists) or is being deleted (ClaimBeingDeleted). */
  private async createClaim(set: KubeObject, claim: KubeObject): Promise<void> {
    let existing: KubeObject | undefined;
    try {
      existing = await this.registry.get(CLAIMS, set.metadata?.namespace, nameOf(claim));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (existing?.metadata?.deletionTimestamp) throw new ClaimBeingDeleted(nameOf(claim));
    if (existing) throw new ClaimExists();
    try {
      await this.registry.create(CLAIMS, set.metadata?.namespace, claim);
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'AlreadyExists') throw new ClaimExists();
      throw err;
    }
  }

  private recordPod(verb: 'create' | 'delete' | 'update', set: KubeObject, pod: KubeObject, err?: unknown): void {
    const Verb = verb[0]!.toUpperCase() + verb.slice(1);
    if (err === undefined) this.record(set, 'Normal', `Successful${Verb}`, `${verb} Pod ${nameOf(pod)} in StatefulSet ${nameOf(set)} successful`);
    else this.record(set, 'Warning', `Failed${Verb}`, `${verb} Pod ${nameOf(pod)} in StatefulSet ${nameOf(set)} failed error: ${errorMessage(err)}`);
  }

  private recordClaim(set: KubeObject, pod: KubeObject, claim: KubeObject, err?: unknown): void {
    if (err === undefined) this.record(set, 'Normal', 'SuccessfulCreate', `create Claim ${nameOf(claim)} Pod ${nameOf(pod)} in StatefulSet ${nameOf(set)} success`);
    else this.record(set, 'Warning', 'FailedCreate', `create Claim ${nameOf(claim)} for Pod ${nameOf(pod)} in StatefulSet ${nameOf(set)} failed error: ${errorMessage(err)}`);
  }

  private record(set: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.events.record(refTo({ ...set, apiVersion: 'apps/v1', kind: 'StatefulSet' }), type, reason, message, { source: SOURCE }).catch(() => undefined);
  }
}

/** The claim is there already: nothing to create. */
class ClaimExists extends Error {}

/** The claim's deletion has begun: a pod must not be made to mount it. */
export class ClaimBeingDeleted extends Error {
  constructor(name: string) {
    super(`pvc ${name} is being deleted`);
    this.name = 'ClaimBeingDeleted';
  }
}

/** Records every call; `createError` / `deleteError` make the next calls fail. */
export class FakeStatefulPodControl implements StatefulPodControl {
  readonly created: { pod: string; claims: string[] }[] = [];
  readonly deleted: string[] = [];
  readonly claimsCreated: string[] = [];
  readonly labelled: { pod: string; labels: Record<string, string> }[] = [];
  readonly claimOwners: { claim: string; owners: string[] }[] = [];
  createError: Error | undefined;
  deleteError: Error | undefined;

  async createStatefulPod(_set: KubeObject, pod: KubeObject, claims: readonly KubeObject[]): Promise<void> {
    if (this.createError) throw this.createError;
    this.created.push({ pod: nameOf(pod), claims: claims.map(nameOf) });
  }

  async deleteStatefulPod(_set: KubeObject, pod: KubeObject): Promise<boolean> {
    if (this.deleteError) throw this.deleteError;
    this.deleted.push(nameOf(pod));
    return true;
  }

  async createClaims(_set: KubeObject, _pod: KubeObject, claims: readonly KubeObject[]): Promise<void> {
    this.claimsCreated.push(...claims.map(nameOf));
  }

  async updatePodLabels(_set: KubeObject, pod: KubeObject, labels: Record<string, string>): Promise<void> {
    this.labelled.push({ pod: nameOf(pod), labels });
  }

  async updateClaimOwners(_set: KubeObject, _pod: KubeObject, claim: KubeObject, ownerReferences: readonly JsonObject[]): Promise<void> {
    this.claimOwners.push({ claim: nameOf(claim), owners: ownerReferences.map((r) => `${String(r.kind)}/${String(r.name)}`) });
  }
}
