/**
 * Unaggregated discovery documents: /api (APIVersions), /apis (APIGroupList), /apis/<g>
 * (APIGroup) and /api/v1, /apis/<g>/<v> (APIResourceList). Built from the resource registry, so
 * every served kind appears without being listed here.
 */
import { groupVersions, type GroupVersion, type ResourceInfo } from '../../api/kinds.ts';
import { servedGroupVersions } from './served.ts';
import { subresourceFacts } from './subresources.ts';

interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

interface ApiGroup {
  kind?: 'APIGroup';
  apiVersion?: 'v1';
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion: GroupVersionForDiscovery;
}

export function apiVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions',
    versions: groupVersions().filter((gv) => gv.group === '').map((gv) => gv.version),
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groups(withMetrics: boolean): ApiGroup[] {
  const byGroup = new Map<string, GroupVersion[]>();
  for (const gv of servedGroupVersions(withMetrics)) {
    if (gv.group === '') continue;
    const list = byGroup.get(gv.group) ?? [];
    list.push(gv);
    byGroup.set(gv.group, list);
  }
  return [...byGroup].map(([name, gvs]) => {
    const versions = gvs.map((gv) => ({ groupVersion: gv.groupVersion, version: gv.version }));
    return { name, versions, preferredVersion: versions[0] };
  });
}

export function apiGroupList(withMetrics = false): unknown {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups(withMetrics) };
}

/** The APIGroup document, or undefined when the group is not served. */
export function apiGroup(name: string, withMetrics = false): unknown {
  const group = groups(withMetrics).find((g) => g.name === name);
  return group ? { kind: 'APIGroup', apiVersion: 'v1', ...group } : undefined;
}

function resourceEntries(info: ResourceInfo): unknown[] {
  const main: Record<string, unknown> = {
    name: info.resource,
    singularName: info.singular,
    namespaced: info.namespaced,
    kind: info.kind,
    verbs: info.verbs,
  };
  if (info.shortNames.length) main.shortNames = info.shortNames;
  if (info.categories.length) main.categories = info.categories;
  const subs = info.subresources.map((sub) => {
    const entry: Record<string, unknown> = { name: `${info.resource}/${sub}`, singularName: '', namespaced: info.namespaced };
    const facts = subresourceFacts(info, sub);
    // The legacy list names group/version only when they differ from the parent's.
    if (facts.kind.group !== info.group || facts.kind.version !== info.version) Object.assign(entry, facts.kind);
    else entry.kind = facts.kind.kind;
    entry.verbs = facts.verbs;
    return entry;
  });
  return [main, ...subs];
}

/** The APIResourceList of one group/version, or undefined when it is not served. */
export function apiResourceList(group: string, version: string, withMetrics = false): unknown {
  const gv = servedGroupVersions(withMetrics).find((g) => g.group === group && g.version === version);
  if (!gv) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv.groupVersion, resources: gv.resources.flatMap(resourceEntries) };
}
