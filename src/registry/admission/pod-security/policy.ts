/**
 * A namespace's PodSecurity policy from its labels (pod-security-admission's api.PolicyToEvaluate):
 * `pod-security.kubernetes.io/<mode>` = privileged|baseline|restricted and `<mode>-version` =
 * latest|v1.<minor>, for the modes enforce, audit and warn. Unset modes are privileged:latest,
 * Kubernetes' default configuration. A bad enforce level fails closed (restricted), a bad audit or
 * warn level fails open (privileged), a bad version is latest; each bad label is an error too.
 */
import { invalid, key, type FieldError } from '../../../api/field.ts';
import { LEVELS, type Level, type LevelVersion, type PolicyVersion } from './types.ts';

export const LABEL_PREFIX = 'pod-security.kubernetes.io/';
export const MODES = ['enforce', 'audit', 'warn'] as const;
export type Mode = (typeof MODES)[number];

export type Policy = Record<Mode, LevelVersion>;

export const DEFAULT_POLICY: Policy = {
  enforce: { level: 'privileged', version: 'latest' },
  audit: { level: 'privileged', version: 'latest' },
  warn: { level: 'privileged', version: 'latest' },
};

export function parseLevel(value: string): { level: Level; error?: string } {
  return (LEVELS as readonly string[]).includes(value) ? { level: value as Level } : { level: 'restricted', error: `must be one of ${LEVELS.join(', ')}` };
}

export function parseVersion(value: string): { version: PolicyVersion; error?: string } {
  if (value === 'latest') return { version: 'latest' };
  const match = /^v1\.(0|[1-9][0-9]*)$/.exec(value);
  const minor = match ? Number(match[1]) : NaN;
  return Number.isSafeInteger(minor) ? { version: minor } : { version: 'latest', error: 'must be "latest" or "v1.x"' };
}

/** The policy `labels` ask for, and an error per label that could not be read. */
export function policyFromLabels(labels: Record<string, unknown> | undefined): { policy: Policy; errors: FieldError[] } {
  const policy: Policy = structuredClone(DEFAULT_POLICY);
  const errors: FieldError[] = [];
  if (!labels) return { policy, errors };
  for (const mode of MODES) {
    const levelLabel = `${LABEL_PREFIX}${mode}`;
    const level = labels[levelLabel];
    if (typeof level === 'string') {
      const parsed = parseLevel(level);
      policy[mode].level = parsed.error && mode !== 'enforce' ? 'privileged' : parsed.level;
      if (parsed.error) errors.push(invalid(key('metadata.labels', levelLabel), level, parsed.error));
    }
    const versionLabel = `${levelLabel}-version`;
    const version = labels[versionLabel];
    if (typeof version === 'string') {
      const parsed = parseVersion(version);
      policy[mode].version = parsed.version;
      if (parsed.error) errors.push(invalid(key('metadata.labels', versionLabel), version, parsed.error));
    }
  }
  return { policy, errors };
}
