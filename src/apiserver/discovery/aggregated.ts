/**
 * Aggregated discovery (apidiscovery.k8s.io v2 and v2beta1, the same shape): one document for
 * /api and one for /apis carrying every resource, so kubectl needs 2 requests instead of one
 * per group/version.
 */
import type { GroupVersion, ResourceInfo } from '../../api/kinds.ts';
import { servedGroupVersions } from './served.ts';
import type { AggregatedDiscoveryVersion } from '../http/negotiate.ts';
import { subresourceFacts } from './subresources.ts';

function resourceDiscovery(info: ResourceInfo): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    resource: info.resource,
    responseKind: { group: info.group, version: info.version, kind: info.kind },
    scope: info.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: info.singular,
    verbs: info.verbs,
  };
  if (info.shortNames.length) entry.shortNames = info.shortNames;
  if (info.categories.length) entry.categories = info.categories;
  if (info.subresources.length) {
    entry.subresources = info.subresources.map((sub) => {
      const facts = subresourceFacts(info, sub);
      return { subresource: sub, responseKind: facts.kind, verbs: facts.verbs };
    });
  }
  return entry;
}

/** The APIGroupDiscoveryList for the core group (`core: true`, /api) or for all named groups (/apis). */
export function aggregatedDiscovery(core: boolean, version: AggregatedDiscoveryVersion, withMetrics = false): unknown {
  const byGroup = new Map<string, GroupVersion[]>();
  for (const gv of servedGroupVersions(withMetrics)) {
    if ((gv.group === '') !== core) continue;
    const list = byGroup.get(gv.group) ?? [];
    list.push(gv);
    byGroup.set(gv.group, list);
  }
  const items = [...byGroup].map(([group, gvs]) => ({
    metadata: group === '' ? {} : { name: group },
    versions: gvs.map((gv) => ({ version: gv.version, resources: gv.resources.map(resourceDiscovery), freshness: 'Current' })),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}
