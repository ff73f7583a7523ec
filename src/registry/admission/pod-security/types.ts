/**
 * The vocabulary of the Pod Security Standards (Kubernetes' pod-security-admission `api` and
 * `policy` packages): levels, policy versions, and what one check answers.
 */

export type Level = 'privileged' | 'baseline' | 'restricted';

export const LEVELS: readonly Level[] = ['privileged', 'baseline', 'restricted'];

/** A policy version: `latest` or the minor of `v1.<minor>`. */
export type PolicyVersion = 'latest' | number;

export interface LevelVersion {
  level: Level;
  version: PolicyVersion;
}

/** `restricted:latest`, `baseline:v1.25`: how messages name a policy. */
export function levelVersionString(lv: LevelVersion): string {
  return `${lv.level}:${lv.version === 'latest' ? 'latest' : `v1.${lv.version}`}`;
}

/** A pod's metadata and spec, or a workload's pod template's, as plain JSON. */
export interface PodParts {
  metadata: Record<string, unknown>;
  spec: Record<string, unknown>;
}

/** Why a check refuses a pod: a short reason, always shown, and a detail shown for one pod. */
export interface Violation {
  reason: string;
  detail?: string;
}

export interface PodCheck {
  /** Kubernetes' check ID; checks run (and messages list them) baseline first, each level sorted by ID. */
  id: string;
  level: 'baseline' | 'restricted';
  /** The first policy minor the check applies to (`v1.<since>`). */
  since: number;
  /** Baseline checks this restricted check replaces (their rule is a subset of its). */
  overrides?: readonly string[];
  /** `minor`: the policy version evaluated (`latest` is LATEST_MINOR). */
  check(pod: PodParts, minor: number): Violation | undefined;
}
