import { describe, expect, it } from 'vitest';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { requirementHolds } from '../../api/node-selector.ts';
import { placementOn } from './placement.ts';
import { DEFAULT_TOLERATIONS } from './template.ts';

const node = (labels: Record<string, string>, taints: JsonObject[] = [], name = 'n1'): KubeObject => ({ metadata: { name, labels }, spec: { taints } });
const affinity = (...terms: JsonObject[]): JsonObject => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } });

describe('requirementHolds (NodeSelectorRequirement)', () => {
  const labels = { zone: 'a', cores: '8' };
  it.each([
    [{ key: 'zone', operator: 'In', values: ['a', 'b'] }, true],
    [{ key: 'zone', operator: 'In', values: ['b'] }, false],
    [{ key: 'missing', operator: 'In', values: [''] }, false],
    [{ key: 'zone', operator: 'NotIn', values: ['b'] }, true],
    [{ key: 'zone', operator: 'NotIn', values: ['a'] }, false],
    [{ key: 'missing', operator: 'NotIn', values: ['a'] }, true],
    [{ key: 'zone', operator: 'Exists' }, true],
    [{ key: 'missing', operator: 'Exists' }, false],
    [{ key: 'missing', operator: 'DoesNotExist' }, true],
    [{ key: 'zone', operator: 'DoesNotExist' }, false],
    [{ key: 'cores', operator: 'Gt', values: ['4'] }, true],
    [{ key: 'cores', operator: 'Gt', values: ['8'] }, false],
    [{ key: 'cores', operator: 'Lt', values: ['16'] }, true],
    [{ key: 'cores', operator: 'Lt', values: ['8'] }, false],
    [{ key: 'zone', operator: 'Gt', values: ['1'] }, false],
    [{ key: 'missing', operator: 'Lt', values: ['1'] }, false],
    [{ key: 'zone', operator: 'Bogus', values: ['a'] }, false],
  ])('%j → %s', (req, expected) => {
    expect(requirementHolds(req, labels)).toBe(expected);
  });
});

describe('placementOn', () => {
  const tolerations = [...DEFAULT_TOLERATIONS];

  it('needs every nodeSelector label', () => {
    const spec = { nodeSelector: { disk: 'ssd' }, tolerations };
    expect(placementOn(spec, node({ disk: 'ssd' }))).toEqual({ shouldRun: true, shouldContinueRunning: true });
    expect(placementOn(spec, node({ disk: 'hdd' }))).toEqual({ shouldRun: false, shouldContinueRunning: false });
    expect(placementOn(spec, node({}))).toEqual({ shouldRun: false, shouldContinueRunning: false });
  });

  it('ORs affinity terms, ANDs requirements inside one, and matches fields on metadata.name', () => {
    const spec = {
      tolerations,
      affinity: affinity(
        { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'gpu', operator: 'DoesNotExist' }] },
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['special'] }] },
      ),
    };
    expect(placementOn(spec, node({ zone: 'a' })).shouldRun).toBe(true);
    expect(placementOn(spec, node({ zone: 'a', gpu: 'yes' })).shouldRun).toBe(false);
    expect(placementOn(spec, node({ zone: 'b' })).shouldRun).toBe(false);
    expect(placementOn(spec, node({ zone: 'b' }, [], 'special')).shouldRun).toBe(true);
  });

  it('an empty term matches no node', () => {
    expect(placementOn({ tolerations, affinity: affinity({}) }, node({ zone: 'a' })).shouldRun).toBe(false);
    expect(placementOn({ tolerations, affinity: affinity() }, node({ zone: 'a' })).shouldRun).toBe(false);
  });

  it('keeps new pods off untolerated NoSchedule taints but lets running ones stay; NoExecute evicts', () => {
    const noSchedule = node({}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
    const noExecute = node({}, [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }]);
    const preferNo = node({}, [{ key: 'dedicated', value: 'db', effect: 'PreferNoSchedule' }]);
    expect(placementOn({ tolerations }, noSchedule)).toEqual({ shouldRun: false, shouldContinueRunning: true });
    expect(placementOn({ tolerations }, noExecute)).toEqual({ shouldRun: false, shouldContinueRunning: false });
    expect(placementOn({ tolerations }, preferNo)).toEqual({ shouldRun: true, shouldContinueRunning: true });
    const tolerant = { tolerations: [...tolerations, { key: 'dedicated', operator: 'Equal', value: 'db' }] };
    expect(placementOn(tolerant, noExecute)).toEqual({ shouldRun: true, shouldContinueRunning: true });
  });

  it('the default tolerations cover not-ready, unreachable (NoExecute), pressure and cordoned nodes', () => {
    for (const taint of [
      { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/pid-pressure', effect: 'NoSchedule' },
    ]) {
      expect(placementOn({ tolerations }, node({}, [taint])), `${taint.key}:${taint.effect}`).toEqual({ shouldRun: true, shouldContinueRunning: true });
    }
  });

  it('an unreachable node (our node controller adds NoSchedule too) keeps its daemon but gets no new one, as in Kubernetes', () => {
    const unreachable = node({}, [
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
    ]);
    expect(placementOn({ tolerations }, unreachable)).toEqual({ shouldRun: false, shouldContinueRunning: true });
  });
});
