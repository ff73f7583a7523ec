/**
 * A StatefulSet's template history as ControllerRevisions (Kubernetes' stateful_set_utils.go
 * getPatch / newRevision / ApplyRevision and stateful_set_control.go getStatefulSetRevisions /
 * truncateHistory), pure.
 *
 * A revision's `data` is the strategic merge patch that puts its template back
 * (`{spec: {template: {..., $patch: replace}}}`; `kubectl rollout undo` applies exactly that).
 * Its name is `<set>-<hash>`, the hash of that data and the set's collision count; its labels are
 * the template's plus `controller.kubernetes.io/hash`; it is controlled by the set and carries
 * the set's annotations (so `kubectl rollout history` shows the change cause).
 *
 * The update revision is the set's template now: the newest revision when its data is equal; an
 * older equal one renumbered to the next revision (a rollback); else a new revision. The current
 * revision is the one `status.currentRevision` names, or the update revision when none does.
 */
import { isRecord, jsonEqual, optionalRecord, type JsonObject, type KubeObject } from '../../api/object.ts';
import { stableStringify } from '../daemonset/template.ts';
import { controllerRefTo } from '../controller-kit/owner-refs.ts';
import { revisionOf as podRevisionOf } from './identity.ts';
import { STATEFUL_SETS } from './kinds.ts';
import { statefulSetSpec } from './spec.ts';

/** The label with a revision's hash. */
export const REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';

/** A ControllerRevision's `revision` number. */
export function revisionNumber(r: KubeObject): number {
  return typeof r.revision === 'number' ? r.revision : 0;
}

/** Revisions oldest first (Kubernetes' SortControllerRevisions: by number, then creation, then name). */
export function sortRevisions(revisions: readonly KubeObject[]): KubeObject[] {
  return [...revisions].sort(
    (a, b) =>
      revisionNumber(a) - revisionNumber(b) ||
      (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? '') ||
      (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
  );
}

/** The patch that restores the set's template (Kubernetes' getPatch). */
export function revisionData(set: KubeObject): JsonObject {
  return { spec: { template: { ...structuredClone(statefulSetSpec(set).template), $patch: 'replace' } } };
}

/** The template a revision restores (Kubernetes' ApplyRevision, for the one field it patches). */
export function templateOfRevision(revision: KubeObject): JsonObject {
  const template = { ...(optionalRecord(optionalRecord(isRecord(revision.data) ? revision.data : undefined, 'spec'), 'template') ?? {}) };
  delete template.$patch;
  return template;
}

/** Kubernetes' HashControllerRevision: FNV-1 (32 bit) of the data, then the collision count, in the safe alphabet. */
export function revisionHash(data: JsonObject, collisionCount: number): string {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(stableStringify(data) + (collisionCount > 0 ? String(collisionCount) : ''), 'utf8');
  for (const byte of bytes) {
    h = Math.imul(h, 0x01000193) >>> 0;
    h = (h ^ byte) >>> 0;
  }
  return safeEncode(String(h >>> 0));
}

/** Kubernetes' rand.SafeEncodeString: no vowels, no look-alike characters. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
function safeEncode(s: string): string {
  return [...s].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

/** Kubernetes' ControllerRevisionName: the set's name (cut to 223 characters), a dash, the hash. */
export function revisionName(set: KubeObject, hash: string): string {
  return `${(set.metadata?.name ?? '').slice(0, 223)}-${hash}`;
}

/** The ControllerRevision of the set's template at `revision`, for collision count `collisionCount` (Kubernetes' newRevision). */
export function newRevision(set: KubeObject, revision: number, collisionCount: number): KubeObject {
  const data = revisionData(set);
  const hash = revisionHash(data, collisionCount);
  const templateMeta = optionalRecord(statefulSetSpec(set).template, 'metadata') ?? {};
  const labels = { ...((isRecord(templateMeta.labels) ? templateMeta.labels : {}) as Record<string, string>), [REVISION_HASH_LABEL]: hash };
  const metadata: JsonObject = { name: revisionName(set, hash), namespace: set.metadata?.namespace, labels, ownerReferences: [controllerRefTo(STATEFUL_SETS, set)] };
  if (set.metadata?.annotations && Object.keys(set.metadata.annotations).length > 0) metadata.annotations = { ...set.metadata.annotations };
  return { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata, data, revision };
}

/** Kubernetes' EqualRevision: the same hash label and the same data. */
export function equalRevision(a: KubeObject, b: KubeObject): boolean {
  return a.metadata?.labels?.[REVISION_HASH_LABEL] === b.metadata?.labels?.[REVISION_HASH_LABEL] && jsonEqual(a.data, b.data);
}

/** One revision the round uses: its name and the template it restores. */
export interface RevisionRef {
  name: string;
  template: JsonObject;
}

/** What to do so the update revision is the newest: nothing, create it, or renumber an equal older one. */
export type RevisionAction = { type: 'none' } | { type: 'create'; revision: KubeObject } | { type: 'renumber'; name: string; revision: number };

export interface ResolvedRevisions {
  update: RevisionRef;
  current: RevisionRef;
  collisionCount: number;
  action: RevisionAction;
  /** Names of history revisions beyond `revisionHistoryLimit` to delete (oldest first). */
  truncate: string[];
}

export function collisionCountOf(set: KubeObject): number {
  const status = isRecord(set.status) ? set.status : {};
  return typeof status.collisionCount === 'number' ? status.collisionCount : 0;
}

/**
 * Kubernetes' getStatefulSetRevisions (without its writes: they are `action`) and truncateHistory:
 * the update and current revisions of `set` given the revisions it controls and its pods.
 */
export function resolveRevisions(set: KubeObject, controlled: readonly KubeObject[], pods: readonly KubeObject[]): ResolvedRevisions {
  const revisions = sortRevisions(controlled);
  const collisionCount = collisionCountOf(set);
  const next = revisions.length === 0 ? 1 : revisionNumber(revisions.at(-1)!) + 1;
  const candidate = newRevision(set, next, collisionCount);
  const equal = revisions.filter((r) => equalRevision(r, candidate));
  let updateName: string;
  let action: RevisionAction;
  if (equal.length > 0 && revisions.at(-1) === equal.at(-1)) {
    updateName = equal.at(-1)!.metadata?.name ?? '';
    action = { type: 'none' };
  } else if (equal.length > 0) {
    updateName = equal.at(-1)!.metadata?.name ?? '';
    action = { type: 'renumber', name: updateName, revision: next };
  } else {
    updateName = candidate.metadata?.name ?? '';
    action = { type: 'create', revision: candidate };
  }
  const update: RevisionRef = { name: updateName, template: statefulSetSpec(set).template };
  const status = isRecord(set.status) ? set.status : {};
  const stored = revisions.find((r) => r.metadata?.name === status.currentRevision);
  const current: RevisionRef = stored ? { name: stored.metadata?.name ?? '', template: templateOfRevision(stored) } : update;
  return { update, current, collisionCount, action, truncate: historyToTruncate(set, revisions, pods, [current.name, update.name]) };
}

/**
 * Kubernetes' truncateHistory: revisions no pod runs and neither current nor update, beyond
 * `revisionHistoryLimit`, oldest first.
 */
function historyToTruncate(set: KubeObject, sorted: readonly KubeObject[], pods: readonly KubeObject[], liveNames: readonly string[]): string[] {
  const live = new Set([...liveNames, ...pods.map(podRevisionOf)]);
  const history = sorted.filter((r) => !live.has(r.metadata?.name ?? ''));
  const limit = statefulSetSpec(set).revisionHistoryLimit;
  return history.slice(0, Math.max(0, history.length - limit)).map((r) => r.metadata?.name ?? '');
}
