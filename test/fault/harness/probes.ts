/**
 * What a fault test asks of the cluster after a heal: a write through a master is acknowledged
 * and read back through another, and a Deployment converges (every replica ready, none left
 * over). Both poll with a deadline.
 */
import type { FaultCluster } from './cluster.ts';
import { waitUntil } from './hosts.ts';

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/**
 * Creates ConfigMap `name` (namespace default) through master `via`, retrying until one attempt
 * is acknowledged, then reads it back through the next master. Resolves with the time from the
 * first attempt to the acknowledgement (ms).
 */
export async function writeAndReadBack(cluster: FaultCluster, name: string, via = 0, timeoutMs = 20_000): Promise<number> {
  const started = Date.now();
  const writer = cluster.api[via % cluster.api.length]!;
  const reader = cluster.api[(via + 1) % cluster.api.length]!;
  const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { written: String(started) } };
  let last = '';
  let ackedAt = 0;
  await waitUntil(
    async () => {
      const r = await writer.request('POST', '/api/v1/namespaces/default/configmaps', body, 5_000).catch((err: unknown) => ({ status: 0, body: errorText(err) }));
      // 409: an earlier attempt that timed out on our side was applied after all.
      if (r.status === 201 || r.status === 409) {
        ackedAt = Date.now();
        return true;
      }
      last = `${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;
      return false;
    },
    timeoutMs,
    () => `write of configmap ${name} through ${writer.server} not acknowledged: ${last}`,
  );
  await waitUntil(
    async () => {
      const r = await reader.request('GET', `/api/v1/namespaces/default/configmaps/${name}`, undefined, 5_000).catch((err: unknown) => ({ status: 0, body: errorText(err) }));
      last = `${r.status}`;
      return r.status === 200 && (r.body as { data?: Record<string, string> }).data?.written === String(started);
    },
    timeoutMs,
    () => `configmap ${name} not read back through ${reader.server}: ${last}`,
  );
  return ackedAt - started;
}

export interface DeploymentState {
  replicas: number;
  ready: number;
  updated: number;
  available: number;
  /** Pods of the Deployment that are Running and not being deleted. */
  runningPods: number;
}

/** The Deployment's status and its live pods, through master `via`. */
export async function deploymentState(cluster: FaultCluster, name: string, selector: string, via = 0): Promise<DeploymentState | undefined> {
  const api = cluster.api[via % cluster.api.length]!;
  const d = await api.request('GET', `/apis/apps/v1/namespaces/default/deployments/${name}`, undefined, 5_000).catch(() => undefined);
  const pods = await api.request('GET', `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(selector)}`, undefined, 5_000).catch(() => undefined);
  if (d?.status !== 200 || pods?.status !== 200) return undefined;
  const dep = d.body as { spec: { replicas: number }; status?: { readyReplicas?: number; updatedReplicas?: number; availableReplicas?: number } };
  const items = (pods.body as { items: { metadata: { deletionTimestamp?: string }; status?: { phase?: string } }[] }).items;
  return {
    replicas: dep.spec.replicas,
    ready: dep.status?.readyReplicas ?? 0,
    updated: dep.status?.updatedReplicas ?? 0,
    available: dep.status?.availableReplicas ?? 0,
    runningPods: items.filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp).length,
  };
}

/** Resolves (with the time it took, ms) once the Deployment has exactly `replicas` ready, available and Running pods. */
export async function deploymentConverged(cluster: FaultCluster, name: string, selector: string, replicas: number, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  let last: DeploymentState | undefined;
  let via = 0;
  await waitUntil(
    async () => {
      last = await deploymentState(cluster, name, selector, via++);
      return last !== undefined && last.ready === replicas && last.available === replicas && last.updated === replicas && last.runningPods === replicas;
    },
    timeoutMs,
    () => `deployment ${name} not converged to ${replicas}: ${JSON.stringify(last)}`,
  );
  return Date.now() - started;
}
