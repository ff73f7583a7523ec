/**
 * Option and result shapes of the object-level Registry. They mirror Kubernetes' CreateOptions,
 * ListOptions, DeleteOptions and watch parameters, already parsed out of the query or body.
 */
import type { KubeObject } from '../api/object.ts';
import type { Status } from '../api/status.ts';
import type { UserInfo } from '../api/user.ts';

/** What to do with fields the schema does not declare (`fieldValidation`). Kubernetes' default is Warn. */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Options of every write (create, update, patch, delete). */
export interface WriteOptions {
  /** `dryRun=All`: run every check, store nothing. */
  dryRun?: boolean;
  fieldValidation?: FieldValidation;
  /** Receives warnings (`unknown field "spec.foo"` under Warn) for the `Warning` response header. */
  onWarning?: (message: string) => void;
  /** Who asks (the API server's authenticated user), for admission plugins that judge by it (NodeRestriction, RBAC escalation); absent for in-process controllers. */
  user?: UserInfo;
  /** Receives audit annotations admission records for this request (PodSecurity's `audit` mode), for the audit log. */
  onAuditAnnotation?: (key: string, value: string) => void;
}

/** A Kubernetes list: `kind: PodList`, `metadata.resourceVersion`, `items` (always present). */
export interface KubeList {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion: string; continue?: string };
  items: KubeObject[];
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Most items per page; 0 or absent = all. */
  limit?: number;
  /** Token from a previous page's `metadata.continue`. */
  continue?: string;
  /** `0` = any (served from the latest state here); a number = at least that fresh. */
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
}

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: PropagationPolicy;
  /** Deprecated form of propagationPolicy: true = Orphan, false = Background. */
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One watch event as Kubernetes streams it. ERROR events carry a Status. */
export type WatchEvent =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: KubeObject }
  | { type: 'ERROR'; object: Status };

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Absent or `0`: replay current objects as ADDED first. A number: changes after it. */
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  allowWatchBookmarks?: boolean;
  /**
   * Watch-list: replay current objects, then a BOOKMARK annotated `k8s.io/initial-events-end`.
   * `false` with no resourceVersion: start from now without replay.
   */
  sendInitialEvents?: boolean;
}

/** Receives the events of one watch, in order. After an ERROR event the watch is closed. */
export interface WatchSink {
  onEvent(event: WatchEvent): void;
}

/** A running watch. */
export interface RegistryWatch {
  /** Stops the watch; idempotent. */
  close(): void;
}

/** The autoscaling/v1 Scale of a scalable kind. */
export interface Scale extends KubeObject {
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}
