/**
 * /healthz, /livez, /readyz (unauthenticated, plain "ok" as Kubernetes) and /metrics.
 * Readiness also asks the store for its revision: a server whose store does not answer is not ready.
 */
import type { ServerResponse } from 'node:http';
import type { Store } from '../../store/types.ts';
import type { ApiMetrics } from '../metrics.ts';
import { writeText } from '../http/respond.ts';

export async function serveHealth(res: ServerResponse, check: 'healthz' | 'livez' | 'readyz', store: Store): Promise<void> {
  if (check === 'readyz') {
    try {
      await store.currentRevision();
    } catch (err) {
      return writeText(res, 503, `[-]etcd failed: ${(err as Error).message}\nreadyz check failed`);
    }
  }
  writeText(res, 200, 'ok');
}

export async function serveMetrics(res: ServerResponse, metrics: ApiMetrics): Promise<void> {
  const text = await metrics.registry.metrics();
  res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
