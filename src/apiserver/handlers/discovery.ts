/**
 * Discovery routes: /api and /apis answer aggregated discovery when the client asks for it
 * (echoing the exact media type in Content-Type), else the legacy documents; /apis/<g>,
 * /api/v1 and /apis/<g>/<v> and /version are plain JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { aggregatedDiscovery } from '../discovery/aggregated.ts';
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from '../discovery/legacy.ts';
import { versionInfo } from '../discovery/version.ts';
import { negotiateDiscovery } from '../http/negotiate.ts';
import { writeJson } from '../http/respond.ts';
import { pathNotFound, type Route } from '../http/router.ts';

export type DiscoveryRoute = Extract<Route, { type: 'apiVersions' | 'apiGroupList' | 'apiGroup' | 'apiResourceList' | 'version' }>;

/** `withMetrics`: the server has a metrics source, so metrics.k8s.io is listed. */
export function serveDiscovery(req: IncomingMessage, res: ServerResponse, route: DiscoveryRoute, serverAddress: string, withMetrics = false): void {
  switch (route.type) {
    case 'version':
      return writeJson(res, 200, versionInfo());
    case 'apiVersions':
    case 'apiGroupList': {
      const core = route.type === 'apiVersions';
      const aggregated = negotiateDiscovery(req.headers.accept);
      if (aggregated) return writeJson(res, 200, aggregatedDiscovery(core, aggregated.version, withMetrics), aggregated.contentType);
      return writeJson(res, 200, core ? apiVersions(serverAddress) : apiGroupList(withMetrics));
    }
    case 'apiGroup': {
      const doc = apiGroup(route.group, withMetrics);
      if (!doc) throw pathNotFound();
      return writeJson(res, 200, doc);
    }
    case 'apiResourceList': {
      const doc = apiResourceList(route.group, route.version, withMetrics);
      if (!doc) throw pathNotFound();
      return writeJson(res, 200, doc);
    }
  }
}
