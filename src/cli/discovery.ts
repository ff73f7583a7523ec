/**
 * API discovery as kubectl does it: read `/api` and `/apis` once per process, then map what the
 * user typed (`pods`, `po`, `pod`, `deploy`, `deployments.apps`) or a manifest's apiVersion/kind
 * to a resource and its REST path.
 */
import type { KubeClient } from './client.ts';
import { ApiStatusError, CliError } from './errors.ts';

/** One resource the server serves, at one group/version. */
export interface ApiResource {
  group: string;
  version: string;
  /** Plural, lowercase: `pods`, `deployments`. */
  name: string;
  singularName: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
  /** Categories such as `all` (what `get all` expands to). */
  categories: string[];
  /** True for the group's preferred version (what a typed name resolves to). */
  preferred: boolean;
}

interface APIResourceList {
  groupVersion: string;
  resources: {
    name: string;
    singularName?: string;
    namespaced: boolean;
    kind: string;
    verbs?: string[];
    shortNames?: string[];
    categories?: string[];
  }[];
}

interface APIGroupList {
  groups: { name: string; versions: { groupVersion: string; version: string }[]; preferredVersion?: { version: string } }[];
}

/** Discovery for one client; the resource list is fetched once and cached. */
export class Discovery {
  private cached?: Promise<ApiResource[]>;

  constructor(private readonly client: KubeClient) {}

  /** Every resource the server serves (subresources left out), core group first. */
  resources(): Promise<ApiResource[]> {
    this.cached ??= this.load();
    return this.cached;
  }

  /** Resolves a typed name (`po`, `pods`, `Pod`, `deployments.apps`) to a resource; throws CliError. */
  async resolveType(typed: string): Promise<ApiResource> {
    const found = matchType(await this.resources(), typed);
    if (!found) throw new CliError(`the server doesn't have a resource type "${typed}"`);
    return found;
  }

  /** The preferred resources in a category (`all`), in discovery order; empty when none. */
  async category(name: string): Promise<ApiResource[]> {
    return (await this.resources()).filter((r) => r.preferred && r.categories.includes(name));
  }

  /** Resolves a manifest's apiVersion and kind; throws CliError naming both when unknown. */
  async resolveKind(apiVersion: string, kind: string): Promise<ApiResource> {
    const { group, version } = splitApiVersion(apiVersion);
    const found = (await this.resources()).find((r) => r.group === group && r.version === version && r.kind === kind);
    if (!found) {
      throw new CliError(`resource mapping not found for kind "${kind}" in version "${apiVersion}": ensure CRDs are installed first`);
    }
    return found;
  }

  private async load(): Promise<ApiResource[]> {
    const core = await this.client.json<{ versions: string[] }>('GET', '/api');
    const groups = await this.client.json<APIGroupList>('GET', '/apis');
    const lists: Promise<ApiResource[]>[] = core.versions.map((v) => this.groupVersion('', v, v === core.versions[0]));
    for (const g of groups.groups) {
      const preferred = g.preferredVersion?.version ?? g.versions[0]?.version;
      for (const v of g.versions) {
        // As kubectl: one broken group must not hide the others; warn and go on.
        const list = this.groupVersion(g.name, v.version, v.version === preferred).catch((err: unknown) => {
          if (!(err instanceof ApiStatusError)) throw err;
          process.stderr.write(`couldn't get resource list for ${v.groupVersion}: ${err.message}\n`);
          return [];
        });
        lists.push(list);
      }
    }
    return (await Promise.all(lists)).flat();
  }

  private async groupVersion(group: string, version: string, preferred: boolean): Promise<ApiResource[]> {
    const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    const list = await this.client.json<APIResourceList>('GET', path);
    return list.resources
      .filter((r) => !r.name.includes('/'))
      .map((r) => ({
        group,
        version,
        name: r.name,
        singularName: r.singularName || r.kind.toLowerCase(),
        kind: r.kind,
        namespaced: r.namespaced,
        shortNames: r.shortNames ?? [],
        verbs: r.verbs ?? [],
        categories: r.categories ?? [],
        preferred,
      }));
  }
}

/**
 * Finds the resource a typed name means among preferred versions, core group first, as kubectl:
 * plural, singular, short name or kind (any case), optionally qualified with `.group`.
 */
export function matchType(resources: ApiResource[], typed: string): ApiResource | undefined {
  const lower = typed.toLowerCase();
  const candidates = resources.filter((r) => r.preferred);
  const byName = (r: ApiResource, n: string): boolean =>
    r.name === n || r.singularName === n || r.kind.toLowerCase() === n || r.shortNames.includes(n);
  const plain = candidates.find((r) => byName(r, lower));
  if (plain) return plain;
  // `deployments.apps`, `deploy.apps`, `hpa.autoscaling`: the part before the first dot names it.
  const dot = lower.indexOf('.');
  if (dot < 0) return undefined;
  const name = lower.slice(0, dot);
  const group = lower.slice(dot + 1);
  return candidates.find((r) => r.group === group && byName(r, name));
}

/** `apps/v1` → {group: 'apps', version: 'v1'}; `v1` → core group. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** `apiVersion` string of a resource: `v1` or `apps/v1`. */
export function apiVersionOf(r: ApiResource): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** REST path of a collection (no name) or one object; `namespace` is ignored for cluster-scoped kinds. */
export function resourcePath(r: ApiResource, namespace: string | undefined, name?: string): string {
  let path = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (r.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${r.name}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  return path;
}

/** How kubectl names a resource in messages: `pod`, `deployment.apps`. */
export function qualifiedKind(r: ApiResource): string {
  const kind = r.kind.toLowerCase();
  return r.group ? `${kind}.${r.group}` : kind;
}
