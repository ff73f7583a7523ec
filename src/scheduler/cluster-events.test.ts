import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.ts';
import { nodeSchedulingChanged } from './cluster-events.ts';
import { node } from './test-fixtures.ts';

const base = node({ name: 'n' });
const withStatus = (patch: Record<string, unknown>): KubeObject => ({ ...base, status: { ...(base.status as object), ...patch } });

describe('nodeSchedulingChanged (which node updates move parked pods)', () => {
  it.each<[string, KubeObject, boolean]>([
    ['a heartbeat (condition times only)', withStatus({ conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: '2026-01-01T00:00:10Z' }] }), false],
    ['images and addresses', withStatus({ images: [{ names: ['busybox'] }], addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] }), false],
    ['more allocatable', node({ name: 'n', cpu: '8' }), true],
    ['a label', node({ name: 'n', labels: { disk: 'ssd' } }), true],
    ['a taint', node({ name: 'n', taints: [{ key: 'k', effect: 'NoSchedule' }] }), true],
    ['cordoned', node({ name: 'n', unschedulable: true }), true],
    ['Ready turns False', node({ name: 'n', ready: 'False' }), true],
  ])('%s → %s', (_what, updated, moves) => {
    expect(nodeSchedulingChanged(base, updated)).toBe(moves);
  });
});
