import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { etcdTestsEnabled, startEtcdCluster } from './etcd.ts';

/** Put through etcd's JSON gateway, so the harness test needs no client library. */
async function gatewayPut(endpoint: string, key: string, value: string): Promise<Response> {
  return fetch(`http://${endpoint}/v3/kv/put`, {
    method: 'POST',
    body: JSON.stringify({ key: btoa(key), value: btoa(value) }),
    signal: AbortSignal.timeout(5000),
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.runIf(etcdTestsEnabled())('etcd harness', () => {
  it('starts a healthy 3-member cluster, survives a killed member, and cleans up', async () => {
    const cluster = await startEtcdCluster({ members: 3 });
    try {
      expect(cluster.endpoints).toHaveLength(3);
      expect(cluster.uri).toBe(`etcd://${cluster.endpoints.join(',')}`);
      const pids = cluster.pids();
      expect(pids).toHaveLength(3);

      await cluster.killMember(0);
      expect(alive(pids[0] ?? -1)).toBe(false);
      await cluster.waitHealthy();
      const res = await gatewayPut(cluster.endpoints[1] ?? '', 'k', 'v');
      expect(res.status).toBe(200);

      await cluster.restartMember(0);
      expect(cluster.pids()).toHaveLength(3);
      expect((await gatewayPut(cluster.endpoints[0] ?? '', 'k', 'v2')).status).toBe(200);
    } finally {
      const pids = cluster.pids();
      await cluster.stop();
      expect(pids.filter(alive)).toEqual([]);
      expect(existsSync(cluster.dataDir)).toBe(false);
    }
  });
});
