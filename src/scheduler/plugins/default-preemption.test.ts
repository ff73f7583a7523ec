/** DefaultPreemption's pure part: eligibility, victims per node, the node chosen, the words. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/object.ts';
import { DEFAULT_FRAMEWORK, schedulePod } from '../framework.ts';
import { clusterOf, node, pod, podInfo } from '../test-fixtures.ts';
import { NOT_ELIGIBLE_NEVER, NOT_ELIGIBLE_TERMINATING, preempt, type PreemptionResult } from './default-preemption.ts';

const HOST = 'kubernetes.io/hostname';
const low = (name: string, nodeName: string, priority: number, cpu = '1', extra: Partial<Parameters<typeof pod>[0]> = {}) => pod({ name, nodeName, priority, cpu, ...extra });

/** Schedules `p` on the cluster; when nothing fits, runs preemption on the FitError. */
function attempt(p: KubeObject, nodes: KubeObject[], placed: KubeObject[]): { fit: string; preemption: PreemptionResult } | { nodeName: string } {
  const cluster = clusterOf(nodes, placed);
  const info = podInfo(p);
  const result = schedulePod(info, cluster.nodeInfos(), DEFAULT_FRAMEWORK, { cluster });
  if ('nodeName' in result) return { nodeName: result.nodeName };
  return { fit: result.unschedulable, preemption: preempt(info, cluster.nodeInfos(), result.failures, DEFAULT_FRAMEWORK) };
}
const victimsOf = (r: ReturnType<typeof attempt>) => ('preemption' in r && 'candidate' in r.preemption ? { node: r.preemption.candidate.nodeName, victims: r.preemption.candidate.victims.map((v) => v.metadata?.name) } : r);

describe('DefaultPreemption', () => {
  const two = [node({ name: 'a', cpu: '2' }), node({ name: 'b', cpu: '2' })];

  it('evicts the fewest, lowest-priority pods on the best node', () => {
    const placed = [low('a1', 'a', 10), low('a2', 'a', 10), low('b1', 'b', 1), low('b2', 'b', 50)];
    // b: evicting b1 (priority 1) is enough; on a one pod of priority 10 would be.
    expect(victimsOf(attempt(pod({ name: 'p', cpu: '1', priority: 100 }), two, placed))).toEqual({ node: 'b', victims: ['b1'] });
  });

  it('reprieves the more important pods when fewer evictions do', () => {
    const placed = [low('x', 'a', 5, '500m'), low('y', 'a', 7, '500m'), low('z', 'a', 9, '1')];
    // The pod needs 1 cpu on a (2 cpu, all used): keeping z (most important) means evicting x and y.
    expect(victimsOf(attempt(pod({ name: 'p', cpu: '1', priority: 100 }), [two[0] as KubeObject], placed))).toEqual({ node: 'a', victims: ['y', 'x'] });
  });

  it('only lower priorities are victims; equal or higher ones make the node useless', () => {
    const placed = [low('a1', 'a', 100, '2'), low('b1', 'b', 200, '2')];
    const r = attempt(pod({ name: 'p', cpu: '1', priority: 100 }), two, placed);
    expect(r).toEqual({
      fit: '0/2 nodes are available: 2 Insufficient cpu.',
      preemption: { message: 'preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.' },
    });
  });

  it('nodes whose failure evictions cannot fix are not helpful', () => {
    const nodes = [node({ name: 'a', cpu: '2' }), node({ name: 'b', cpu: '8', unschedulable: true })];
    const r = attempt(pod({ name: 'p', cpu: '4', priority: 100 }), nodes, [low('a1', 'a', 1, '1')]);
    expect(r).toMatchObject({ preemption: { message: 'preemption: 0/2 nodes are available: 1 Insufficient cpu, 1 Preemption is not helpful for scheduling.' } });
  });

  it('resolves anti-affinity by evicting the lower-priority pod it repels', () => {
    const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOST, labelSelector: { matchLabels: { app: 'x' } } }] } };
    const placed = [low('a1', 'a', 1, '100m', { labels: { app: 'x' } }), low('b1', 'b', 500, '100m', { labels: { app: 'x' } })];
    const r = attempt(pod({ name: 'p', priority: 100, affinity: anti }), two, placed);
    expect(r).toMatchObject({ fit: "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules." });
    expect(victimsOf(r)).toEqual({ node: 'a', victims: ['a1'] });
  });

  it('is not eligible with preemptionPolicy Never, nor while a victim is terminating on its nominated node', () => {
    expect(attempt(pod({ name: 'p', cpu: '3', priority: 100, preemptionPolicy: 'Never' }), two, [])).toMatchObject({ preemption: { message: `preemption: ${NOT_ELIGIBLE_NEVER}` } });
    const nominated = { ...pod({ name: 'p', cpu: '2', priority: 100 }), status: { phase: 'Pending', nominatedNodeName: 'a' } };
    const r = attempt(nominated, two, [low('a1', 'a', 1, '2', { deleting: true }), low('b1', 'b', 1, '2')]);
    expect(r).toMatchObject({ preemption: { message: `preemption: ${NOT_ELIGIBLE_TERMINATING}` } });
  });

  it('ties: fewer victims, then the node whose victims started last', () => {
    const placed = [low('a1', 'a', 1, '1', { startTime: '2024-01-01T00:00:00Z' }), low('a2', 'a', 1, '1', { startTime: '2024-01-01T00:00:00Z' }), low('b1', 'b', 1, '2', { startTime: '2024-01-01T00:00:00Z' })];
    expect(victimsOf(attempt(pod({ name: 'p', cpu: '2', priority: 9 }), two, placed))).toEqual({ node: 'b', victims: ['b1'] });
    const later = [low('a1', 'a', 1, '2', { startTime: '2024-01-01T00:00:00Z' }), low('b1', 'b', 1, '2', { startTime: '2024-06-01T00:00:00Z' })];
    expect(victimsOf(attempt(pod({ name: 'p', cpu: '2', priority: 9 }), two, later))).toEqual({ node: 'b', victims: ['b1'] });
  });
});
