import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import type { EventSink } from '../../registry/event-recorder.ts';
import { testCluster, waitFor, type TestCluster } from '../../registry/test-support.ts';
import { NodeIpamController, podCidrOf } from './controller.ts';

const NODES = findKind('v1', 'Node') as ResourceInfo;
const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });

describe('node IPAM controller', () => {
  let cluster: TestCluster;
  let recorded: { name: string; reason: string }[];
  let events: EventSink;
  const controllers: NodeIpamController[] = [];

  beforeEach(async () => {
    cluster = await testCluster();
    recorded = [];
    events = { record: async (ref, _type, reason) => void recorded.push({ name: ref.name, reason }) };
  });
  afterEach(async () => {
    for (const c of controllers.splice(0)) c.stop();
    await cluster.close();
  });

  const start = async (clusterCIDR: string, nodeCIDRMaskSize = 24): Promise<NodeIpamController> => {
    const c = new NodeIpamController({ store: cluster.store, registry: cluster.registry, events, network: { clusterCIDR, nodeCIDRMaskSize }, logger, maxRetryDelayMs: 100 });
    controllers.push(c);
    await c.start();
    return c;
  };
  const addNode = (name: string, podCIDR?: string) =>
    cluster.registry.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name }, ...(podCIDR ? { spec: { podCIDR, podCIDRs: [podCIDR] } } : {}) });
  const cidrOf = async (name: string) => podCidrOf(await cluster.registry.get(NODES, undefined, name));
  const allocated = (name: string) => waitFor(`a pod CIDR on ${name}`, () => cidrOf(name));

  it('gives each node its own block, podCIDR and podCIDRs alike, around blocks already taken', async () => {
    await addNode('old', '10.244.0.0/24');
    await start('10.244.0.0/16');
    await Promise.all(['a', 'b', 'c'].map((n) => addNode(n)));
    const got = await Promise.all(['a', 'b', 'c'].map(allocated));
    expect(new Set([...got, '10.244.0.0/24']).size).toBe(4);
    for (const cidr of got) expect(cidr).toMatch(/^10\.244\.\d+\.0\/24$/);
    const a = (await cluster.registry.get(NODES, undefined, 'a')) as KubeObject & { spec: { podCIDRs: string[] } };
    expect(a.spec.podCIDRs).toEqual([got[0]]);
  });

  it('a new leader marks every block in use before it allocates', async () => {
    const first = await start('10.9.0.0/23');
    await addNode('a');
    const a = await allocated('a');
    first.stop();
    await start('10.9.0.0/23');
    await addNode('b');
    const b = await allocated('b');
    expect(b).not.toBe(a);
    expect([a, b].sort()).toEqual(['10.9.0.0/24', '10.9.1.0/24']);
  });

  it('warns CIDRNotAvailable once when the cluster CIDR is full, and allocates when a node leaves', async () => {
    await start('10.7.0.0/24', 24);
    await addNode('a');
    await allocated('a');
    await addNode('b');
    await waitFor('the CIDRNotAvailable Warning', () => recorded.find((e) => e.name === 'b' && e.reason === 'CIDRNotAvailable'));
    expect(await cidrOf('b')).toBeUndefined();
    await cluster.registry.delete(NODES, undefined, 'a');
    expect(await allocated('b')).toBe('10.7.0.0/24');
    expect(recorded.filter((e) => e.reason === 'CIDRNotAvailable')).toHaveLength(1);
  });
});
