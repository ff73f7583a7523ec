/** Facts discovery states about subresources (the same for every kind that has them). */

/** Verbs of /status and /scale. */
export const SUBRESOURCE_VERBS = ['get', 'patch', 'update'];

/** /scale answers with autoscaling/v1 Scale whatever the parent's group. */
export const scaleKind = { group: 'autoscaling', version: 'v1', kind: 'Scale' } as const;
