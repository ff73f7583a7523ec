/** RealStatefulPodControl against the memory store and a real Registry: claims before the pod, Kubernetes' Events. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/object.ts';
import { claimsFor, newStatefulSetPod } from './identity.ts';
import { CLAIMS, PODS } from './kinds.ts';
import { RealStatefulPodControl } from './stateful-pod-control.ts';
import { claimsIn, createStatefulSet, fixture, NS, podsIn, statefulSet, type Fixture } from './test-support.ts';
import { statefulSetSpec } from './spec.ts';

let f: Fixture;
let control: RealStatefulPodControl;
let set: KubeObject;

beforeEach(async () => {
  f = await fixture();
  control = new RealStatefulPodControl(f.registry, f.events);
  set = await createStatefulSet(f, statefulSet('web', { claims: ['data', 'logs'] }));
});
afterEach(async () => {
  await f.close();
});

const pod = (ordinal: number): KubeObject => newStatefulSetPod(set, statefulSetSpec(set).template, ordinal, 'web-rev');

describe('RealStatefulPodControl', () => {
  it('creates the claims, then the pod, recording each as Kubernetes does; an existing claim is kept', async () => {
    const [data] = claimsFor(set, 0);
    await f.registry.create(CLAIMS, NS, data!);
    await control.createStatefulPod(set, pod(0), claimsFor(set, 0));
    expect((await claimsIn(f)).map((c) => c.metadata?.name).sort()).toEqual(['data-web-0', 'logs-web-0']);
    expect((await podsIn(f)).map((p) => p.metadata?.name)).toEqual(['web-0']);
    expect(f.events.recorded.map((e) => `${e.reason}: ${e.message}`)).toEqual([
      'SuccessfulCreate: create Claim logs-web-0 Pod web-0 in StatefulSet web success',
      'SuccessfulCreate: create Pod web-0 in StatefulSet web successful',
    ]);
  });

  it('does not create the pod while one of its claims is being deleted', async () => {
    const [data] = claimsFor(set, 1);
    await f.registry.create(CLAIMS, NS, { ...data!, metadata: { ...data!.metadata, finalizers: ['kubernetes.io/pvc-protection'] } });
    await f.registry.delete(CLAIMS, NS, 'data-web-1');
    await expect(control.createStatefulPod(set, pod(1), claimsFor(set, 1))).rejects.toThrow('pvc data-web-1 is being deleted');
    expect(await podsIn(f)).toEqual([]);
    expect(f.events.recorded.at(-1)).toMatchObject({ reason: 'FailedCreate', message: expect.stringContaining('create Pod web-1 in StatefulSet web failed error: pvc data-web-1 is being deleted') });
  });

  it('deletes a pod by uid, false when it is already gone', async () => {
    await control.createStatefulPod(set, pod(2), []);
    const created = (await podsIn(f))[0]!;
    expect(await control.deleteStatefulPod(set, created)).toBe(true);
    expect(await control.deleteStatefulPod(set, created)).toBe(false);
    await expect(f.registry.get(PODS, NS, 'web-2')).rejects.toMatchObject({ code: 404 });
    expect(f.events.reasons()).toContain('SuccessfulDelete');
  });

  it("sets a claim's owner references, and removes them", async () => {
    const [data] = claimsFor(set, 0);
    const claim = await f.registry.create(CLAIMS, NS, data!);
    const ref = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: set.metadata?.uid, controller: true, blockOwnerDeletion: true };
    await control.updateClaimOwners(set, pod(0), claim, [ref]);
    expect((await f.registry.get(CLAIMS, NS, 'data-web-0')).metadata?.ownerReferences).toEqual([ref]);
    await control.updateClaimOwners(set, pod(0), claim, []);
    expect((await f.registry.get(CLAIMS, NS, 'data-web-0')).metadata?.ownerReferences).toBeUndefined();
  });
});
