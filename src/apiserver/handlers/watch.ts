/**
 * GET with `?watch=1` (or under /watch/): opens a registry watch and streams it through a
 * WatchStream, rendering event objects in the negotiated view (Tables for `kubectl get -w`).
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ApiMetrics } from '../metrics.ts';
import type { Registry } from '../../registry/registry.ts';
import type { RegistryWatch, WatchEvent } from '../../registry/types.ts';
import type { ObjectView } from '../http/negotiate.ts';
import { timeoutSeconds, watchOptions } from '../http/query.ts';
import type { ResourceRoute } from '../http/router.ts';
import { includeObjectParam, renderObject } from '../http/views.ts';
import { WatchStream, type WatchStreamLimits } from '../http/watch-stream.ts';

/** Kubernetes' default watch lifetime: a random time between 30 and 60 minutes, spreading re-watches. */
const MIN_WATCH_SECONDS = 1800;

export interface WatchDeps {
  registry: Registry;
  metrics: ApiMetrics;
  log: Logger;
  limits: WatchStreamLimits;
  /** Open streams, ended when the server closes. */
  streams: Set<WatchStream>;
}

export async function serveWatch(res: ServerResponse, route: ResourceRoute, q: URLSearchParams, view: ObjectView, deps: WatchDeps): Promise<void> {
  const { info, namespace, name } = route;
  const opts = watchOptions(q);
  if (name !== undefined) {
    // Watching one object is watching its collection filtered by name, as Kubernetes does.
    opts.fieldSelector = [opts.fieldSelector, `metadata.name=${name}`].filter(Boolean).join(',');
  }
  const includeObject = includeObjectParam(q);
  const timeoutMs = (timeoutSeconds(q) ?? MIN_WATCH_SECONDS * (1 + Math.random())) * 1000;
  const render = (ev: WatchEvent): unknown =>
    ev.type === 'ERROR' || ev.type === 'BOOKMARK' ? ev.object : renderObject(view, info, ev.object, includeObject);

  let registryWatch: RegistryWatch | undefined;
  const resource = info.resource;
  deps.metrics.watchers.inc({ resource });
  const stream = new WatchStream(res, render, deps.limits, (reason) => {
    registryWatch?.close();
    deps.streams.delete(stream);
    deps.metrics.watchers.dec({ resource });
    if (reason === 'slow-client') {
      deps.metrics.slowWatchersClosed.inc({ resource });
      deps.log.warn({ resource, namespace }, 'watch closed: client fell too far behind');
    }
  });
  deps.streams.add(stream);
  try {
    registryWatch = await deps.registry.watch(info, namespace, opts, {
      onEvent(event) {
        deps.metrics.watchEvents.inc({ resource, type: event.type });
        stream.send(event);
      },
    });
  } catch (err) {
    stream.fail(err);
    return;
  }
  if (stream.isEnded) registryWatch.close();
  else stream.open(timeoutMs);
}
