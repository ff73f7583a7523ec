/** Facts discovery states about subresources (the same for every kind that has them). */
import type { ResourceInfo, Subresource } from '../../api/kinds.ts';

/** Verbs of /status and /scale. */
export const SUBRESOURCE_VERBS = ['get', 'patch', 'update'];

/** /scale answers with autoscaling/v1 Scale whatever the parent's group. */
export const scaleKind = { group: 'autoscaling', version: 'v1', kind: 'Scale' } as const;

/** Verbs and response kind of a subresource, as discovery documents state them. */
export function subresourceFacts(info: ResourceInfo, sub: Subresource): { kind: { group: string; version: string; kind: string }; verbs: string[] } {
  if (sub === 'scale') return { kind: scaleKind, verbs: SUBRESOURCE_VERBS };
  // pods/binding takes a core/v1 Binding and only answers POST.
  if (sub === 'binding') return { kind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['create'] };
  // serviceaccounts/token takes an authentication.k8s.io/v1 TokenRequest (kubectl create token).
  if (sub === 'token') return { kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, verbs: ['create'] };
  return { kind: { group: info.group, version: info.version, kind: info.kind }, verbs: SUBRESOURCE_VERBS };
}
