import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/object.ts';
import { Registry } from '../../registry/registry.ts';
import { ApiError } from '../../api/status.ts';
import { openMemoryStore } from '../../store/embedded/index.ts';
import type { Store } from '../../store/types.ts';
import { DeploymentEffects } from './effects.ts';
import { DEPLOYMENTS, REPLICA_SETS, specReplicas } from './objects.ts';
import { planRollout } from './plan.ts';
import { calculateStatus } from './status.ts';
import { deployment, NS, RecordingEvents } from './test-support.ts';

let store: Store;
let registry: Registry;
let events: RecordingEvents;
let effects: DeploymentEffects;
const NOW = Date.parse('2024-06-01T00:00:00Z');

beforeEach(async () => {
  store = await openMemoryStore();
  registry = new Registry({ store });
  await registry.start([NS]);
  events = new RecordingEvents();
  effects = new DeploymentEffects(registry, events);
});
afterEach(async () => {
  registry.close();
  await store.close();
});

/** Applies the rollout plan of `d` over `sets` with the status it computes. */
async function applyRollout(d: KubeObject, sets: KubeObject[]): Promise<void> {
  const plan = planRollout({ deployment: d, replicaSets: sets, replicaSetsWithPods: [], now: NOW });
  await effects.apply({ deployment: d, plan, status: calculateStatus(plan.deployment, plan.replicaSets, plan.newReplicaSet, NOW), now: NOW });
}

describe('DeploymentEffects.apply', () => {
  it('creates the new ReplicaSet, sets the revision and the status, with a ScalingReplicaSet Event', async () => {
    const d = await registry.create(DEPLOYMENTS, NS, deployment('web', 2));
    await applyRollout(d, []);
    const [rs] = (await registry.list(REPLICA_SETS, NS)).items;
    expect(specReplicas(rs!)).toBe(2);
    const stored = await registry.get(DEPLOYMENTS, NS, 'web');
    expect(stored.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(stored.status).toMatchObject({ observedGeneration: 1 });
    expect(events.recorded.map((e) => e.message)).toEqual([`Scaled up replica set ${rs!.metadata?.name ?? ''} from 0 to 2`]);
  });

  it('a new set name taken by a set of another template: a hash collision raises collisionCount and fails', async () => {
    const d = await registry.create(DEPLOYMENTS, NS, deployment('web', 2));
    const plan = planRollout({ deployment: d, replicaSets: [], replicaSetsWithPods: [], now: NOW });
    const wanted = plan.writes[0]!.type === 'create' ? plan.writes[0]!.replicaSet : undefined;
    // Someone else's set under that name.
    await registry.create(REPLICA_SETS, NS, { ...wanted, metadata: { name: wanted?.metadata?.name, labels: { app: 'other' } }, spec: { ...(wanted?.spec as object), selector: { matchLabels: { app: 'other' } }, template: { metadata: { labels: { app: 'other' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } });
    const err = await effects.apply({ deployment: d, plan, status: calculateStatus(plan.deployment, plan.replicaSets, plan.newReplicaSet, NOW), now: NOW }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).reason).toBe('AlreadyExists');
    expect((await registry.get(DEPLOYMENTS, NS, 'web')).status).toMatchObject({ collisionCount: 1 });
  });

  it('our own earlier create not yet seen: a Conflict, so the round is retried once the cache has it', async () => {
    const d = await registry.create(DEPLOYMENTS, NS, deployment('web', 2));
    await applyRollout(d, []);
    const err = await applyRollout(await registry.get(DEPLOYMENTS, NS, 'web'), []).catch((e: unknown) => e);
    expect((err as ApiError).reason).toBe('Conflict');
    expect((await registry.list(REPLICA_SETS, NS)).items).toHaveLength(1);
  });
});
