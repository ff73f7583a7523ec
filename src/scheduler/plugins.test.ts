import { describe, expect, it } from 'vitest';
import { feasibleNodesToFind, fitErrorMessage, schedulePod } from './framework.ts';
import { leastAllocated } from './plugins/least-allocated.ts';
import { nodeAffinity } from './plugins/node-affinity.ts';
import { nodeName } from './plugins/node-name.ts';
import { nodePorts } from './plugins/node-ports.ts';
import { nodeReady } from './plugins/node-ready.ts';
import { nodeResourcesFit } from './plugins/node-resources-fit.ts';
import { podRequests } from './resources.ts';
import { node, nodeInfo, pod, podInfo } from './test-fixtures.ts';
import type { FilterPlugin } from './types.ts';

const NO_FREE_PORTS = "node(s) didn't have free ports for the requested pod ports";
const UNREACHABLE = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };

describe('filter plugins', () => {
  it.each<[string, FilterPlugin, ReturnType<typeof node>, ReturnType<typeof pod>, ReturnType<typeof pod>[], string[] | undefined]>([
    ['ready node fits', nodeReady, node({ name: 'n' }), pod({ name: 'p' }), [], undefined],
    ['Ready False', nodeReady, node({ name: 'n', ready: 'False' }), pod({ name: 'p' }), [], ['node(s) were not ready']],
    ['Ready Unknown', nodeReady, node({ name: 'n', ready: 'Unknown' }), pod({ name: 'p' }), [], ['node(s) were not ready']],
    ['cordoned', nodeReady, node({ name: 'n', unschedulable: true }), pod({ name: 'p' }), [], ['node(s) were unschedulable']],
    ['untolerated NoExecute taint', nodeReady, node({ name: 'n', taints: [UNREACHABLE] }), pod({ name: 'p' }), [], ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }']],
    ['tolerated by Exists', nodeReady, node({ name: 'n', taints: [UNREACHABLE] }), pod({ name: 'p', tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }] }), [], undefined],
    ['Equal needs the value', nodeReady, node({ name: 'n', taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }), pod({ name: 'p', tolerations: [{ key: 'k', value: 'w' }] }), [], ['node(s) had untolerated taint {k: v}']],
    ['PreferNoSchedule does not filter', nodeReady, node({ name: 'n', taints: [{ key: 'k', effect: 'PreferNoSchedule' }] }), pod({ name: 'p' }), [], undefined],
    ['cpu fits exactly', nodeResourcesFit, node({ name: 'n', cpu: '1' }), pod({ name: 'p', cpu: '500m' }), [pod({ name: 'q', cpu: '500m' })], undefined],
    ['cpu fits exactly in millicores', nodeResourcesFit, node({ name: 'n', cpu: '1' }), pod({ name: 'p', cpu: '700m' }), [pod({ name: 'q', cpu: '100m' }), pod({ name: 'r', cpu: '200m' })], undefined],
    ['cpu short', nodeResourcesFit, node({ name: 'n', cpu: '1' }), pod({ name: 'p', cpu: '600m' }), [pod({ name: 'q', cpu: '500m' })], ['Insufficient cpu']],
    ['memory short', nodeResourcesFit, node({ name: 'n', memory: '1Gi' }), pod({ name: 'p', memory: '600Mi' }), [pod({ name: 'q', memory: '500Mi' })], ['Insufficient memory']],
    ['both short', nodeResourcesFit, node({ name: 'n', cpu: '1', memory: '1Gi' }), pod({ name: 'p', cpu: '2', memory: '2Gi' }), [], ['Insufficient cpu', 'Insufficient memory']],
    ['pod count', nodeResourcesFit, node({ name: 'n', pods: '1' }), pod({ name: 'p' }), [pod({ name: 'q' })], ['Too many pods']],
    ['no requests always fit resources', nodeResourcesFit, node({ name: 'n', cpu: '0' }), pod({ name: 'p' }), [], undefined],
    ['nodeName matches', nodeName, node({ name: 'n' }), pod({ name: 'p', nodeName: 'n' }), [], undefined],
    ['nodeName differs', nodeName, node({ name: 'n' }), pod({ name: 'p', nodeName: 'm' }), [], ["node(s) didn't match the requested node name"]],
    ['nodeSelector matches', nodeAffinity, node({ name: 'n', labels: { disk: 'ssd' } }), pod({ name: 'p', nodeSelector: { disk: 'ssd' } }), [], undefined],
    ['nodeSelector misses', nodeAffinity, node({ name: 'n' }), pod({ name: 'p', nodeSelector: { disk: 'ssd' } }), [], ["node(s) didn't match Pod's node affinity/selector"]],
    ['host port free', nodePorts, node({ name: 'n' }), pod({ name: 'p', hostPorts: [{ port: 80 }] }), [pod({ name: 'q', hostPorts: [{ port: 81 }] })], undefined],
    ['host port taken', nodePorts, node({ name: 'n' }), pod({ name: 'p', hostPorts: [{ port: 80 }] }), [pod({ name: 'q', hostPorts: [{ port: 80 }] })], [NO_FREE_PORTS]],
    ['same port, other protocol', nodePorts, node({ name: 'n' }), pod({ name: 'p', hostPorts: [{ port: 53, protocol: 'UDP' }] }), [pod({ name: 'q', hostPorts: [{ port: 53 }] })], undefined],
    ['same port, two host IPs', nodePorts, node({ name: 'n' }), pod({ name: 'p', hostPorts: [{ port: 80, ip: '10.0.0.1' }] }), [pod({ name: 'q', hostPorts: [{ port: 80, ip: '10.0.0.2' }] })], undefined],
    ['same port, one host IP and every IP', nodePorts, node({ name: 'n' }), pod({ name: 'p', hostPorts: [{ port: 80, ip: '10.0.0.1' }] }), [pod({ name: 'q', hostPorts: [{ port: 80 }] })], [NO_FREE_PORTS]],
    ['same port, every IP wanted, one held', nodePorts, node({ name: 'n' }), pod({ name: 'p', hostPorts: [{ port: 80 }] }), [pod({ name: 'q', hostPorts: [{ port: 80, ip: '10.0.0.2' }] })], [NO_FREE_PORTS]],
  ])('%s', (_title, plugin, n, p, placed, reasons) => {
    expect(plugin.filter(podInfo(p), nodeInfo(n, placed))?.reasons).toEqual(reasons);
    // A filter that skips a pod (PreFilter Skip) must have nothing to say about it on any node.
    if (plugin.skips?.(podInfo(p))) expect(reasons).toBeUndefined();
  });
});

describe('LeastAllocated', () => {
  it.each([
    ['empty node, pod of a quarter', node({ name: 'n', cpu: '4', memory: '4Gi' }), pod({ name: 'p', cpu: '1', memory: '1Gi' }), [], 75],
    ['half used before', node({ name: 'n', cpu: '4', memory: '4Gi' }), pod({ name: 'p', cpu: '1', memory: '1Gi' }), [pod({ name: 'q', cpu: '2', memory: '2Gi' })], 25],
    ['no requests count the defaults (100m, 200Mi)', node({ name: 'n', cpu: '1', memory: '2000Mi' }), pod({ name: 'p' }), [], 90],
  ])('%s', (_t, n, p, placed, score) => {
    expect(leastAllocated.score(podInfo(p), nodeInfo(n, placed))).toBe(score);
  });
});

describe('resources', () => {
  it('sums containers and takes the max of init containers; limits stand in for missing requests', () => {
    const p = pod({ name: 'p', cpu: '250m', memory: '64Mi' });
    const spec = p.spec as { containers: Record<string, unknown>[]; initContainers?: Record<string, unknown>[] };
    spec.containers.push({ name: 'd', image: 'x', resources: { limits: { cpu: '250m', memory: '64Mi' } } });
    spec.initContainers = [{ name: 'i', image: 'x', resources: { requests: { cpu: '2' } } }];
    expect(podRequests(p)).toEqual({ cpu: 2, memory: 128 * 2 ** 20, pods: 1 });
  });
});

describe('schedulePod', () => {
  it('picks the least allocated node that fits', () => {
    const busy = nodeInfo(node({ name: 'a' }), [pod({ name: 'x', cpu: '3' })]);
    const idle = nodeInfo(node({ name: 'b' }));
    const small = nodeInfo(node({ name: 'c', cpu: '500m' }));
    expect(schedulePod(podInfo(pod({ name: 'p', cpu: '1' })), [busy, small, idle])).toMatchObject({ nodeName: 'b' });
  });

  it('words a failure as kube-scheduler, reasons counted and sorted', () => {
    const nodes = [
      nodeInfo(node({ name: 'a', cpu: '1' })),
      nodeInfo(node({ name: 'b', ready: 'Unknown', taints: [UNREACHABLE] })),
      nodeInfo(node({ name: 'c', cpu: '1' })),
    ];
    expect(schedulePod(podInfo(pod({ name: 'p', cpu: '2' })), nodes)).toMatchObject({
      evaluated: 3,
      unschedulable: '0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient cpu.',
    });
  });

  it('ties go to the first node by name, whatever the order the nodes come in', () => {
    const nodes = ['n-3', 'n-1', 'n-2'].map((name) => nodeInfo(node({ name })));
    expect(schedulePod(podInfo(pod({ name: 'p' })), nodes)).toMatchObject({ nodeName: 'n-1', evaluated: 3 });
  });

  it('starts where it is told, wraps, and stops filtering once enough nodes fit', () => {
    const nodes = Array.from({ length: 10 }, (_, i) => nodeInfo(node({ name: `n-${i}`, cpu: i === 9 ? '16' : i % 2 === 0 ? '1' : '8' })));
    // From n-7: n-7 (fits), n-8 (too small), n-9 (fits, the most room): two feasible after three nodes.
    expect(schedulePod(podInfo(pod({ name: 'p', cpu: '2' })), nodes, undefined, { start: 7, feasibleToFind: 1 })).toEqual({ nodeName: 'n-7', evaluated: 1 });
    expect(schedulePod(podInfo(pod({ name: 'p', cpu: '2' })), nodes, undefined, { start: 7, feasibleToFind: 2 })).toEqual({ nodeName: 'n-9', evaluated: 3 });
    expect(schedulePod(podInfo(pod({ name: 'p', cpu: '2' })), nodes, undefined, { start: 17, feasibleToFind: 2 })).toEqual({ nodeName: 'n-9', evaluated: 3 });
    // Nothing fits: every node is tried, so the message counts them all.
    expect(schedulePod(podInfo(pod({ name: 'p', cpu: '17' })), nodes, undefined, { start: 7, feasibleToFind: 2 })).toMatchObject({ unschedulable: '0/10 nodes are available: 10 Insufficient cpu.', evaluated: 10 });
  });

  it.each([
    [1, 1],
    [99, 99],
    [100, 100],
    [1000, 420],
    [5000, 500],
    [6000, 300],
    [20_000, 1000],
  ])('kube-scheduler\'s adaptive number of feasible nodes to find: %i nodes → %i', (nodes, wanted) => {
    expect(feasibleNodesToFind(nodes)).toBe(wanted);
  });

  it('has its own words for an empty cluster', () => {
    expect(fitErrorMessage(0, new Map())).toBe('no nodes available to schedule pods');
  });
});
