/**
 * The check registry (pod-security-admission's policy/registry.go and checks.go): which checks a
 * level and version run, in Kubernetes' order (baseline before restricted, each sorted by ID), and
 * how their refusals read (`reason (detail), reason (detail)`).
 */
import { allowPrivilegeEscalation } from './allow-privilege-escalation.ts';
import { appArmorProfile } from './app-armor-profile.ts';
import { capabilitiesBaseline } from './capabilities-baseline.ts';
import { capabilitiesRestricted } from './capabilities-restricted.ts';
import { byteOrder } from './helpers.ts';
import { hostNamespaces } from './host-namespaces.ts';
import { hostPathVolumes } from './host-path-volumes.ts';
import { hostPorts } from './host-ports.ts';
import { privileged } from './privileged.ts';
import { procMount } from './proc-mount.ts';
import { restrictedVolumes } from './restricted-volumes.ts';
import { runAsNonRoot } from './run-as-non-root.ts';
import { runAsUser } from './run-as-user.ts';
import { seccompProfileBaseline } from './seccomp-profile-baseline.ts';
import { seccompProfileRestricted } from './seccomp-profile-restricted.ts';
import { seLinuxOptions } from './selinux-options.ts';
import { sysctls } from './sysctls.ts';
import type { LevelVersion, PodCheck, PodParts, Violation } from './types.ts';
import { windowsHostProcess } from './windows-host-process.ts';

/** The Kubernetes minor `latest` means here: the API this server speaks (kubectl 1.32). */
export const LATEST_MINOR = 32;

const byId = (a: PodCheck, b: PodCheck): number => byteOrder(a.id, b.id);

const BASELINE = [appArmorProfile, capabilitiesBaseline, hostNamespaces, hostPathVolumes, hostPorts, privileged, procMount, seLinuxOptions, seccompProfileBaseline, sysctls, windowsHostProcess].sort(byId);
const RESTRICTED = [allowPrivilegeEscalation, capabilitiesRestricted, restrictedVolumes, runAsNonRoot, runAsUser, seccompProfileRestricted].sort(byId);

/** The checks `lv` runs, in order. */
export function checksFor(lv: LevelVersion): PodCheck[] {
  if (lv.level === 'privileged') return [];
  const minor = minorOf(lv);
  const baseline = BASELINE.filter((c) => c.since <= minor);
  if (lv.level === 'baseline') return baseline;
  const restricted = RESTRICTED.filter((c) => c.since <= minor);
  const overridden = new Set(restricted.flatMap((c) => c.overrides ?? []));
  return [...baseline.filter((c) => !overridden.has(c.id)), ...restricted];
}

function minorOf(lv: LevelVersion): number {
  return lv.version === 'latest' ? LATEST_MINOR : Math.min(lv.version, LATEST_MINOR);
}

/** Every refusal of `pod` under `lv`, in order; [] when it is allowed. */
export function evaluatePod(lv: LevelVersion, pod: PodParts): Violation[] {
  const minor = minorOf(lv);
  return checksFor(lv)
    .map((c) => c.check(pod, minor))
    .filter((v): v is Violation => v !== undefined);
}

/** `host namespaces (hostNetwork=true), privileged (container "c" must not set …)`: for one pod. */
export function forbiddenDetail(violations: readonly Violation[]): string {
  return violations.map((v) => (v.detail ? `${v.reason} (${v.detail})` : v.reason)).join(', ');
}

/** `host namespaces, privileged`: the reasons only, to group many pods. */
export function forbiddenReason(violations: readonly Violation[]): string {
  return violations.map((v) => v.reason).join(', ');
}
