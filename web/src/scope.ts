/**
 * Which namespaces the dashboard offers the signed-in user, decided once per login: with `list
 * namespaces` the picker lists them (only those whose pods the user may list, unless it may list
 * pods everywhere); without it (a ServiceAccount bound to `view` in one namespace) the picker holds
 * the ServiceAccount's own namespace (from the token's claims or its user name) and the namespaces
 * the user types, as Headlamp's "allowed namespaces" setting does. "All namespaces" is offered
 * only to a user who may list pods cluster-wide.
 */
import { Access, serviceAccountOf, tokenNamespace, type UserInfo } from './api/access.ts';
import type { Api } from './api/client.ts';
import { kindByName, resourcePath } from './api/kinds.ts';
import type { KubeList } from './api/types.ts';

export interface Scope {
  /** Who is signed in (undefined when the server answers no SelfSubjectReview). */
  user: UserInfo | undefined;
  /** May list pods in every namespace: "all namespaces" is a choice, and the default. */
  allNamespaces: boolean;
  /** May list namespaces: the picker lists them; otherwise it takes typed ones. */
  listNamespaces: boolean;
  /** The namespaces offered, sorted. */
  namespaces: string[];
  /** Where a user without "all namespaces" starts: its ServiceAccount's namespace, else the first offered, else `default`. */
  home: string;
}

const TYPED_KEY = 'kactus.namespaces';
const CURRENT_KEY = 'kactus.namespace';
/** At most this many namespaces are checked one by one (a review each). */
const MAX_CHECKED = 100;

const PODS = kindByName('Pod')!;
const NAMESPACES = kindByName('Namespace')!;

/** The namespaces the user typed this session (without `list namespaces`). */
export function typedNamespaces(): string[] {
  try {
    const v = JSON.parse(sessionStorage.getItem(TYPED_KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}

export function addTypedNamespace(ns: string): void {
  sessionStorage.setItem(TYPED_KEY, JSON.stringify([...new Set([...typedNamespaces(), ns])]));
}

/** The namespace last picked (used when a page's route names none and "all" is not allowed). */
export function pickedNamespace(): string | undefined {
  return sessionStorage.getItem(CURRENT_KEY) ?? undefined;
}

export function pickNamespace(ns: string | undefined): void {
  if (ns === undefined) sessionStorage.removeItem(CURRENT_KEY);
  else sessionStorage.setItem(CURRENT_KEY, ns);
}

export function forgetNamespaces(): void {
  sessionStorage.removeItem(TYPED_KEY);
  sessionStorage.removeItem(CURRENT_KEY);
}

export async function loadScope(api: Api, access: Access, token: string): Promise<Scope> {
  const [user, allPods, listNs] = await Promise.all([
    access.whoami().catch(() => undefined),
    access.can({ verb: 'list', group: '', resource: 'pods' }),
    access.can({ verb: 'list', group: '', resource: 'namespaces' }),
  ]);
  const own = tokenNamespace(token) ?? (user ? serviceAccountOf(user.username)?.namespace : undefined);
  let namespaces: string[] = [];
  if (listNs.allowed) {
    try {
      namespaces = (await api.json<KubeList>(resourcePath(NAMESPACES))).items.map((n) => n.metadata.name);
    } catch {
      namespaces = [];
    }
    if (!allPods.allowed) {
      const checked = namespaces.slice(0, MAX_CHECKED);
      const answers = await Promise.all(checked.map((ns) => access.can({ verb: 'list', group: '', resource: PODS.resource, namespace: ns })));
      namespaces = checked.filter((_, i) => answers[i]!.allowed);
    }
  }
  if (!listNs.allowed || namespaces.length === 0) namespaces = [...(own ? [own] : []), ...typedNamespaces()];
  namespaces = [...new Set(namespaces)].sort();
  return { user, allNamespaces: allPods.allowed, listNamespaces: listNs.allowed, namespaces, home: own ?? namespaces[0] ?? 'default' };
}
