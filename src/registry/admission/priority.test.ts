/** The Priority admission plugin and the PriorityClass kind, through the Registry on a real embedded store. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findResource } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import { testCluster, waitFor, type TestCluster } from '../test-support.ts';
import { PRIORITY_CLASSES } from './priority.ts';

const PODS = findResource('', 'v1', 'pods')!;

const pod = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } });
const priorityClass = (name: string, value: number, extra: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...extra });

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof ApiError) return err;
  throw new Error(`expected an ApiError, got ${String(err)}`);
}

describe('Priority admission and PriorityClasses', () => {
  let c: TestCluster;
  beforeEach(async () => (c = await testCluster({ admission: {} })));
  afterEach(() => c.close());

  const spec = (p: KubeObject) => p.spec as Record<string, unknown>;

  it('the system classes exist; a pod naming one gets its value', async () => {
    const names = (await c.registry.list(PRIORITY_CLASSES, undefined)).items.map((i) => [i.metadata?.name, i.value]);
    expect(names).toEqual([
      ['system-cluster-critical', 2_000_000_000],
      ['system-node-critical', 2_000_001_000],
    ]);
    const created = await c.registry.create(PODS, 'default', pod('critical', { priorityClassName: 'system-node-critical' }));
    expect(spec(created)).toMatchObject({ priority: 2_000_001_000, preemptionPolicy: 'PreemptLowerPriority' });
    expect((await refusal(c.registry.delete(PRIORITY_CLASSES, undefined, 'system-node-critical'))).message).toBe('priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: the system priority class system-node-critical cannot be deleted');
  });

  it('resolves priorityClassName to spec.priority and preemptionPolicy; no class: 0', async () => {
    await c.registry.create(PRIORITY_CLASSES, undefined, priorityClass('high', 1000, { preemptionPolicy: 'Never' }));
    await waitFor('the class in the admission informer', async () => spec(await c.registry.create(PODS, 'default', pod(`probe-${Date.now()}`, { priorityClassName: 'high' }))).priority === 1000);
    expect(spec(await c.registry.create(PODS, 'default', pod('h', { priorityClassName: 'high' })))).toMatchObject({ priority: 1000, preemptionPolicy: 'Never' });
    expect(spec(await c.registry.create(PODS, 'default', pod('plain')))).toMatchObject({ priority: 0, preemptionPolicy: 'PreemptLowerPriority' });
    expect((await refusal(c.registry.create(PODS, 'default', pod('missing', { priorityClassName: 'nope' })))).message).toBe('pods "missing" is forbidden: no PriorityClass with name nope was found');
    const wrong = await refusal(c.registry.create(PODS, 'default', pod('wrong', { priorityClassName: 'high', priority: 5 })));
    expect(wrong.code).toBe(403);
    expect(wrong.message).toBe('pods "wrong" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name');
  });

  it('a globalDefault class applies to pods without a class; only one may exist', async () => {
    await c.registry.create(PRIORITY_CLASSES, undefined, priorityClass('normal', 100, { globalDefault: true }));
    await waitFor('the default in force', async () => spec(await c.registry.create(PODS, 'default', pod(`probe-${Date.now()}`))).priority === 100);
    expect(spec(await c.registry.create(PODS, 'default', pod('d')))).toMatchObject({ priorityClassName: 'normal', priority: 100 });
    const second = await refusal(c.registry.create(PRIORITY_CLASSES, undefined, priorityClass('other', 5, { globalDefault: true })));
    expect(second.message).toBe('priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass normal is already marked as default. Only one default can exist');
  });

  it('validates classes: value required, user values at most 1e9, system- names reserved, value immutable', async () => {
    expect((await refusal(c.registry.create(PRIORITY_CLASSES, undefined, priorityClass('huge', 2_000_000_000)))).message).toContain('value: Forbidden: maximum allowed value of a user defined priority is 1000000000');
    expect((await refusal(c.registry.create(PRIORITY_CLASSES, undefined, priorityClass('system-mine', 10)))).message).toContain("priority class names with 'system-' prefix are reserved for system use only");
    expect((await refusal(c.registry.create(PRIORITY_CLASSES, undefined, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'novalue' } }))).code).toBe(422);
    const low = await c.registry.create(PRIORITY_CLASSES, undefined, priorityClass('low', 1));
    expect(low.preemptionPolicy).toBe('PreemptLowerPriority');
    expect((await refusal(c.registry.update(PRIORITY_CLASSES, undefined, 'low', { ...low, value: 2 }))).message).toContain('value: Forbidden: may not be changed in an update.');
  });
});
