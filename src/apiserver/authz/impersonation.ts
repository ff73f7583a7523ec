/**
 * User impersonation (k8s.io/apiserver/pkg/endpoints/filters/impersonation.go): `kubectl --as`,
 * `--as-group`, `--as-uid` send `Impersonate-User`, `Impersonate-Group` (repeated),
 * `Impersonate-Uid` and `Impersonate-Extra-<key>` headers; each is checked as the verb
 * `impersonate` on `users`, `groups`, `serviceaccounts` (a `system:serviceaccount:<ns>:<name>`
 * user), `uids` and `userextras/<key>` (authentication.k8s.io), and the request then runs as the
 * user it names: that user's groups plus `system:authenticated` (a ServiceAccount without groups
 * given: its ServiceAccount groups).
 */
import type { IncomingMessage } from 'node:http';
import { parseServiceAccountUserName } from '../../api/rbac/names.ts';
import { ApiError } from '../../api/status.ts';
import type { UserInfo } from '../../api/user.ts';
import type { AuthorizationAttributes, Authorizer } from '../../registry/authorization/types.ts';
import { decide } from './authorize.ts';
import { forbidden } from './forbidden.ts';

const EXTRA_PREFIX = 'impersonate-extra-';

/** Each value of a repeated header, as sent (Node joins repeated headers with commas in `headers`; a group name may hold one). */
function headerValues(req: IncomingMessage, name: string): string[] {
  return (req.headersDistinct[name] ?? []).map((s) => s.trim()).filter((s) => s !== '');
}

/** Whether `req` asks to act as someone else. */
export function wantsImpersonation(req: IncomingMessage): boolean {
  return Object.keys(req.headers).some((h) => h === 'impersonate-user' || h === 'impersonate-group' || h === 'impersonate-uid' || h.startsWith(EXTRA_PREFIX));
}

/** The user `req` runs as: `user` itself, or the one it impersonates once each part is allowed (403 otherwise, 400 for groups without a user). */
export async function impersonate(req: IncomingMessage, user: UserInfo, authorizer: Authorizer | undefined): Promise<UserInfo> {
  if (!wantsImpersonation(req)) return user;
  const names = headerValues(req, 'impersonate-user');
  const groups = headerValues(req, 'impersonate-group');
  const uids = headerValues(req, 'impersonate-uid');
  const extra: Record<string, string[]> = {};
  for (const h of Object.keys(req.headersDistinct)) {
    if (!h.startsWith(EXTRA_PREFIX)) continue;
    // Keys are percent-encoded in the header name (extra keys may hold characters headers cannot).
    let key: string;
    try {
      key = decodeURIComponent(h.slice(EXTRA_PREFIX.length));
    } catch {
      throw ApiError.badRequest(`malformed ${h} header: the key is not percent-encoded`);
    }
    extra[key] = headerValues(req, h);
  }
  // As Kubernetes: the first Impersonate-User value names the user.
  const name = names[0];
  if (name === undefined) throw ApiError.badRequest(`requested ${describe(groups, uids, extra)} without impersonating a user`);

  const check = async (attrs: Omit<AuthorizationAttributes & { resourceRequest: true }, 'user' | 'resourceRequest' | 'subresource'> & { subresource?: string }): Promise<void> => {
    const full: AuthorizationAttributes = { user, resourceRequest: true, subresource: '', ...attrs };
    const d = await decide(authorizer, full);
    if (d.decision !== 'allow') throw forbidden(full, d.reason);
  };
  const sa = parseServiceAccountUserName(name);
  if (sa) await check({ verb: 'impersonate', apiGroup: '', resource: 'serviceaccounts', namespace: sa.namespace, name: sa.name });
  else await check({ verb: 'impersonate', apiGroup: '', resource: 'users', namespace: '', name });
  for (const g of groups) await check({ verb: 'impersonate', apiGroup: '', resource: 'groups', namespace: '', name: g });
  for (const uid of uids) await check({ verb: 'impersonate', apiGroup: 'authentication.k8s.io', resource: 'uids', namespace: '', name: uid });
  for (const [key, values] of Object.entries(extra)) {
    for (const v of values) await check({ verb: 'impersonate', apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: key, namespace: '', name: v });
  }

  const outGroups = [...groups];
  if (sa && groups.length === 0) outGroups.push('system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`);
  if (name === 'system:anonymous') {
    if (!outGroups.includes('system:unauthenticated')) outGroups.push('system:unauthenticated');
  } else if (!outGroups.includes('system:authenticated') && !outGroups.includes('system:unauthenticated')) {
    outGroups.push('system:authenticated');
  }
  const out: UserInfo = { name, groups: outGroups };
  if (uids[0]) out.uid = uids[0];
  if (Object.keys(extra).length) out.extra = extra;
  return out;
}

function describe(groups: string[], uids: string[], extra: Record<string, string[]>): string {
  const parts = [...groups.map((g) => `group ${JSON.stringify(g)}`), ...uids.map((u) => `uid ${JSON.stringify(u)}`), ...Object.keys(extra).map((k) => `extra ${JSON.stringify(k)}`)];
  return parts.join(', ') || 'impersonation';
}
