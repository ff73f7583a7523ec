/** `GET /kactus/v1/machines`: every kind's machine as data, authenticated as the API is. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { machineCatalogue } from '../../src/actors/catalogue.ts';
import { ApiClient, startTestCluster, type TestCluster } from './harness.ts';

describe('GET /kactus/v1/machines', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ server: { machines: machineCatalogue } });
  });
  afterAll(() => cluster?.close());

  it('lists every kind\'s machine with its states, transitions and named guards and actions', async () => {
    const res = await cluster.client.request<{ kind: string; items: { kind: string; root: { states: unknown[] }; guards: string[] }[] }>('GET', '/kactus/v1/machines');
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('MachineList');
    const pod = res.body.items.find((m) => m.kind === 'Pod');
    expect(pod?.root.states.length).toBeGreaterThan(2);
    expect(res.body.items.map((m) => m.kind)).toContain('Deployment');
    expect(res.body.items.find((m) => m.kind === 'Deployment')?.guards).toContain('progressDeadlineExceeded');
  });

  it('answers 401 without a token, and 404 on a server without a catalogue', async () => {
    const anonymous = new ApiClient(cluster.server.url, cluster.server.caCertPem, '');
    expect((await anonymous.request('GET', '/kactus/v1/machines')).status).toBe(401);
    const bare = await startTestCluster();
    try {
      expect((await bare.client.request('GET', '/kactus/v1/machines')).status).toBe(404);
    } finally {
      await bare.close();
    }
  });
});
