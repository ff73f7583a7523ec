import type { OpenApiResource } from './types.ts';

/** `v1` for the core group, else `group/version` — the form kubectl and apiVersion use. */
export function groupVersionOf(r: Pick<OpenApiResource, 'group' | 'version'>): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

/** Key of a group-version in the /openapi/v3 index and URL: `api/v1`, `apis/apps/v1`. */
export function openApiV3PathKey(groupVersion: string): string {
  return groupVersion.includes('/') ? `apis/${groupVersion}` : `api/${groupVersion}`;
}

/** Inverse of openApiV3PathKey; undefined for anything that is not a group-version key. */
export function groupVersionFromPathKey(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length === 2 && parts[0] === 'api' && parts[1] !== '') return parts[1];
  if (parts.length === 3 && parts[0] === 'apis' && parts[1] !== '' && parts[2] !== '') return `${parts[1]}/${parts[2]}`;
  return undefined;
}

/** URL prefix of a group-version's resources: `/api/v1`, `/apis/apps/v1`. */
export function apiPrefix(groupVersion: string): string {
  return `/${openApiV3PathKey(groupVersion)}`;
}

/** `CoreV1`, `AppsV1`, `RbacAuthorizationV1`: the group-version part of Kubernetes operation ids. */
export function operationIdInfix(r: Pick<OpenApiResource, 'group' | 'version'>): string {
  const group = r.group === '' ? 'core' : r.group.replace(/\.k8s\.io$/, '');
  const words = [...group.split(/[.-]/), r.version];
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}
