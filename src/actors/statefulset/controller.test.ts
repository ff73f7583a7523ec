import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { JsonObject, KubeObject } from '../../../src/api/object.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { StatefulSetController } from './controller.ts';
import { STATEFUL_SETS } from './kinds.ts';
import { claimsIn, createStatefulSet, fixture, live, markReady, NS, podsIn, statefulSet, type Fixture } from './test-support.ts';

let f: Fixture;
let controller: StatefulSetController | undefined;
let clock: SimulatedClock;

beforeEach(async () => {
  f = await fixture();
  clock = new SimulatedClock();
  clock.set(Date.parse('2024-06-01T00:00:00Z'));
});
afterEach(async () => {
  controller?.stop();
  controller = undefined;
  await f.close();
});

async function startController(): Promise<StatefulSetController> {
  controller = new StatefulSetController({ store: f.store, registry: f.registry, events: f.events, clock });
  await controller.start();
  return controller;
}

async function settled(): Promise<void> {
  await waitFor('controller idle', () => controller?.idle());
}

const names = (pods: readonly KubeObject[]): string[] => pods.map((p) => p.metadata?.name ?? '').sort();

describe('StatefulSet controller', () => {
  it('smoke: creates web-0 with its claim, then web-1 once web-0 is ready', async () => {
    await startController();
    await createStatefulSet(f, statefulSet('web', { replicas: 2, claims: ['data'] }));
    const [first] = await waitFor('web-0', async () => {
      const pods = live(await podsIn(f));
      return pods.length === 1 && pods;
    });
    expect(first!.metadata?.name).toBe('web-0');
    expect(names(await claimsIn(f))).toEqual(['data-web-0']);
    await settled();
    expect(names(await podsIn(f))).toEqual(['web-0']);
    await markReady(f, first!);
    await waitFor('web-1', async () => names(await podsIn(f)).length === 2);
    expect(names(await claimsIn(f))).toEqual(['data-web-0', 'data-web-1']);
    const status = (await f.registry.get(STATEFUL_SETS, NS, 'web')).status as JsonObject;
    expect(status).toMatchObject({ replicas: 1 });
  });
});
