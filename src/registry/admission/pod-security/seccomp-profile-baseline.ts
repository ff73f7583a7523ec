/**
 * baseline `seccompProfile_baseline`: a seccomp profile, where set, is RuntimeDefault or
 * Localhost (v1.19+: `securityContext.seccompProfile.type`; before: the alpha annotations).
 */
import { annotationsOf, containersOf, containersPhrase, joinQuote, pluralize, podSecurityContext, recordAt, sortedSet } from './helpers.ts';
import type { PodCheck, PodParts, Violation } from './types.ts';

export const validSeccomp = (t: unknown): boolean => t === 'RuntimeDefault' || t === 'Localhost';

const POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';
const validAnnotation = (v: string): boolean => v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');

/** The pod and containers that set a profile type other than RuntimeDefault/Localhost, and the types. */
export function badSeccompSetters(pod: PodParts): { setters: string[]; values: string[]; podSetValid: boolean; unsetContainers: string[] } {
  const setters: string[] = [];
  const values: string[] = [];
  let podSetValid = false;
  const podProfile = recordAt(podSecurityContext(pod), 'seccompProfile');
  if (podProfile) {
    if (validSeccomp(podProfile.type)) podSetValid = true;
    else {
      setters.push('pod');
      values.push(String(podProfile.type ?? ''));
    }
  }
  const bad: string[] = [];
  const unsetContainers: string[] = [];
  for (const c of containersOf(pod)) {
    const profile = recordAt(c.sc, 'seccompProfile');
    if (!profile) unsetContainers.push(c.name);
    else if (!validSeccomp(profile.type)) {
      bad.push(c.name);
      values.push(String(profile.type ?? ''));
    }
  }
  if (bad.length) setters.push(containersPhrase(bad));
  return { setters, values: sortedSet(values), podSetValid, unsetContainers };
}

export function badSeccompViolation(setters: string[], values: string[]): Violation {
  return { reason: 'seccompProfile', detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(values)}` };
}

export const seccompProfileBaseline: PodCheck = {
  id: 'seccompProfile_baseline',
  level: 'baseline',
  since: 0,
  check(pod, minor) {
    if (minor >= 19) {
      const { setters, values } = badSeccompSetters(pod);
      return setters.length ? badSeccompViolation(setters, values) : undefined;
    }
    const annotations = annotationsOf(pod);
    const forbidden: string[] = [];
    const podValue = annotations[POD_ANNOTATION];
    if (podValue !== undefined && !validAnnotation(podValue)) forbidden.push(`${POD_ANNOTATION}=${JSON.stringify(podValue)}`);
    for (const c of containersOf(pod)) {
      const key = CONTAINER_ANNOTATION_PREFIX + c.name;
      const value = annotations[key];
      if (value !== undefined && !validAnnotation(value)) forbidden.push(`${key}=${JSON.stringify(value)}`);
    }
    if (!forbidden.length) return undefined;
    const list = sortedSet(forbidden);
    return { reason: 'seccompProfile', detail: `forbidden ${pluralize('annotation', 'annotations', list.length)} ${list.join(', ')}` };
  },
};
