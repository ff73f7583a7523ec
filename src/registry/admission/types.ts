/**
 * Admission as Kubernetes runs it inside a write, between decoding and the store: mutating
 * plugins may change the object (defaults a LimitRange gives, the ServiceAccount token volume),
 * validating plugins may only refuse it. ResourceQuota is not a plugin here but write hooks
 * (resource-quota.ts): its charge commits in the object's own store transaction.
 */
import type { ResourceInfo } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import type { UserInfo } from '../../api/user.ts';

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE';

export interface AdmissionAttributes {
  operation: AdmissionOperation;
  info: ResourceInfo;
  namespace: string | undefined;
  /**
   * The name Forbidden messages use: in the mutating phase the request's name, or its
   * generateName when the server makes the name (as Kubernetes' admission.NewForbidden); in the
   * validating phase the object's final name.
   */
  name: string;
  /** The object being written (a DELETE: the stored object); mutating plugins change it in place. */
  obj: KubeObject;
  /** The stored object of an update. */
  old?: KubeObject;
  dryRun: boolean;
  /** `status` for a write of the status subresource (only plugins that handle every write see those). */
  subresource?: 'status';
  /** Who asks, when the write came through the API server (WriteOptions.user). */
  user?: UserInfo;
  /** Sends a `Warning` header with the answer (PodSecurity's `warn` mode); absent for writes nobody reads warnings of. */
  warn?(message: string): void;
  /** Records an audit annotation of this request (PodSecurity's `audit` mode), for the audit log. */
  annotateAudit?(key: string, value: string): void;
}

export interface AdmissionPlugin {
  /** Kubernetes' plugin name (`ServiceAccount`, `LimitRanger`). */
  readonly name: string;
  /** The mutating phase: may change `attrs.obj`; throws an ApiError to refuse. */
  admit?(attrs: AdmissionAttributes): Promise<void>;
  /** The validating phase (after the object's own validation): throws an ApiError to refuse. */
  validate?(attrs: AdmissionAttributes): Promise<void>;
  /**
   * Also validate status writes and DELETEs (as Kubernetes' plugins that `Handles` them, e.g.
   * NodeRestriction); others see creates and updates of the object itself only.
   */
  readonly handlesEveryWrite?: boolean;
}
