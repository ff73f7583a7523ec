/**
 * baseline `appArmorProfile`: the AppArmor profile may be RuntimeDefault or Localhost, never
 * Unconfined — in `securityContext.appArmorProfile.type` (pod and containers) and in the beta
 * annotations `container.apparmor.security.beta.kubernetes.io/<container>` (`runtime/default`,
 * `localhost/*` or empty).
 */
import { annotationsOf, byteOrder, containersOf, containersPhrase, joinQuote, pluralize, podSecurityContext, recordAt, sortedSet } from './helpers.ts';
import type { PodCheck } from './types.ts';

const ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';
const allowedType = (t: unknown): boolean => t === 'RuntimeDefault' || t === 'Localhost';
const allowedAnnotation = (v: string): boolean => v === '' || v === 'runtime/default' || v.startsWith('localhost/');

export const appArmorProfile: PodCheck = {
  id: 'appArmorProfile',
  level: 'baseline',
  since: 0,
  check(pod) {
    const setters: string[] = [];
    const badValues: string[] = [];
    const podProfile = recordAt(podSecurityContext(pod), 'appArmorProfile');
    if (podProfile && !allowedType(podProfile.type)) {
      setters.push('pod');
      badValues.push(String(podProfile.type ?? ''));
    }
    const containers: string[] = [];
    for (const c of containersOf(pod)) {
      const profile = recordAt(c.sc, 'appArmorProfile');
      if (profile && !allowedType(profile.type)) {
        containers.push(c.name);
        badValues.push(String(profile.type ?? ''));
      }
    }
    if (containers.length) setters.push(containersPhrase(containers));
    const values = sortedSet(badValues);
    const annotations = Object.entries(annotationsOf(pod))
      .filter(([k, v]) => k.startsWith(ANNOTATION_PREFIX) && !allowedAnnotation(v))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .sort(byteOrder);
    if (annotations.length) {
      values.push(...annotations);
      setters.push(pluralize('annotation', 'annotations', annotations.length));
    }
    if (!setters.length) return undefined;
    return {
      reason: pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', values.length),
      detail: `${setters.join(' and ')} must not set AppArmor profile type to ${joinQuote(values)}`,
    };
  },
};
