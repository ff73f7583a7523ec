import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/object.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { maxSurge, maxUnavailable } from './fenceposts.ts';
import { DEPLOYMENTS, PODS, POD_TEMPLATE_HASH_LABEL, REPLICA_SETS, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, specReplicas, statusNumber } from './objects.ts';
import { REASONS } from './status.ts';
import { deployment, fixture, NS, runToFixedPoint, setImage, stepReplicaSets, type Fixture } from './test-support.ts';

let f: Fixture;
beforeEach(async () => {
  f = await fixture();
});
afterEach(async () => {
  await f.close();
});

const revision = (o: KubeObject): string | undefined => o.metadata?.annotations?.[REVISION_ANNOTATION];
const imageOf = (rs: KubeObject): string => ((rs.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]?.image ?? '');
const condition = (d: KubeObject, type: string): Record<string, unknown> | undefined =>
  ((d.status as { conditions?: Record<string, unknown>[] }).conditions ?? []).find((c) => c.type === type);

/** What `kubectl rollout status` waits for. */
function rolloutDone(d: KubeObject): boolean {
  const replicas = (d.spec as { replicas: number }).replicas;
  const s = d.status as Record<string, number>;
  return s.observedGeneration >= (d.metadata?.generation ?? 0) && s.updatedReplicas === replicas && s.replicas === s.updatedReplicas && s.availableReplicas === s.updatedReplicas;
}

describe('deployment controller', () => {
  it('creates a ReplicaSet per template with the hash label, owner reference and revision 1', async () => {
    await f.registry.create(DEPLOYMENTS, NS, deployment('web', 3));
    await runToFixedPoint(f, { instant: true });
    const [rs] = await f.replicaSets();
    const hash = rs.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] ?? '';
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs.metadata?.name).toBe(`web-${hash}`);
    expect((rs.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels).toEqual({ app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash });
    expect((rs.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels).toEqual({ app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash });
    const d = await f.deployment('web');
    expect(rs.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    expect(specReplicas(rs)).toBe(3);
    expect(revision(rs)).toBe('1');
    expect(revision(d)).toBe('1');
    expect(d.status).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0 });
    expect(condition(d, 'Available')).toMatchObject({ status: 'True', reason: REASONS.minimumReplicasAvailable });
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: REASONS.newReplicaSetAvailable });
    expect(rolloutDone(d)).toBe(true);
    expect(f.controller.stateOf(NS, 'web')).toBe('complete');
    expect(f.events.recorded.map((e) => e.message)).toContain(`Scaled up replica set web-${hash} from 0 to 3`);
  });

  it.each([
    ['25%', '25%', 10],
    [3, 2, 10],
    [1, 0, 4],
    [0, 1, 4],
    ['50%', '0%', 5],
    ['0%', '30%', 7],
  ])('rolls out step by step within maxSurge %s / maxUnavailable %s of %i', async (surge, unavailable, replicas) => {
    await f.registry.create(DEPLOYMENTS, NS, deployment('web', replicas, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } } }));
    await runToFixedPoint(f, { instant: true });
    await setImage(f, 'web', 'busybox:2');
    const d = await f.deployment('web');
    const limitTotal = replicas + maxSurge(d);
    const limitAvailable = replicas - maxUnavailable(d);
    let steps = 0;
    await runToFixedPoint(f, {}, 100, async () => {
      steps++;
      const sets = await f.replicaSets();
      const total = sets.reduce((n, rs) => n + specReplicas(rs), 0);
      const available = sets.reduce((n, rs) => n + Math.min(statusNumber(rs, 'availableReplicas'), specReplicas(rs)), 0);
      expect(total).toBeLessThanOrEqual(limitTotal);
      expect(available).toBeGreaterThanOrEqual(limitAvailable);
    });
    expect(steps).toBeGreaterThan(1);
    const sets = await f.replicaSets();
    expect(sets.map((rs) => [imageOf(rs), specReplicas(rs)]).sort()).toEqual([['busybox:1', 0], ['busybox:2', replicas]]);
    const done = await f.deployment('web');
    expect(rolloutDone(done)).toBe(true);
    expect(revision(done)).toBe('2');
    expect(f.controller.stateOf(NS, 'web')).toBe('complete');
  });

  it('Recreate scales the old set to 0, waits until its pods are gone, then starts the new one', async () => {
    await f.registry.create(DEPLOYMENTS, NS, deployment('db', 3, { strategy: { type: 'Recreate' } }));
    await runToFixedPoint(f, { instant: true });
    const [old] = await f.replicaSets();
    // One of the old set's pods, still there (the stand-in RS controller makes no pods).
    const ownerRef = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: old.metadata?.name, uid: old.metadata?.uid, controller: true };
    await f.registry.create(PODS, NS, { metadata: { name: 'db-old', labels: { app: 'db' }, ownerReferences: [ownerRef] }, spec: { containers: [{ name: 'app', image: 'busybox:1' }] } });
    await setImage(f, 'db', 'busybox:2');
    await f.settle();
    expect((await f.replicaSets()).map((rs) => [imageOf(rs), specReplicas(rs)])).toEqual([['busybox:1', 0]]);
    // The set reports no pods, but one is still there: no new set yet.
    await stepReplicaSets(f);
    await f.settle();
    expect(await f.replicaSets()).toHaveLength(1);
    expect(f.controller.stateOf(NS, 'db')).toBe('progressing.recreating');
    await f.registry.delete(PODS, NS, 'db-old', { gracePeriodSeconds: 0 });
    await waitFor('the new ReplicaSet', async () => (await f.replicaSets()).length === 2);
    await f.settle();
    const sets = await f.replicaSets();
    expect(sets.map((rs) => [imageOf(rs), specReplicas(rs)]).sort()).toEqual([['busybox:1', 0], ['busybox:2', 3]]);
    await runToFixedPoint(f);
    expect(rolloutDone(await f.deployment('db'))).toBe(true);
  });

  it('rollback reuses the old ReplicaSet with a new revision and keeps its history', async () => {
    await f.registry.create(DEPLOYMENTS, NS, deployment('web', 2));
    await runToFixedPoint(f, { instant: true });
    const [first] = await f.replicaSets();
    await setImage(f, 'web', 'busybox:2');
    await runToFixedPoint(f, { instant: true });
    expect(revision(await f.deployment('web'))).toBe('2');
    // kubectl rollout undo: the Deployment gets the old set's template back.
    await setImage(f, 'web', 'busybox:1');
    await runToFixedPoint(f, { instant: true });
    const sets = await f.replicaSets();
    expect(sets).toHaveLength(2);
    const reused = sets.find((rs) => rs.metadata?.uid === first.metadata?.uid) as KubeObject;
    expect(specReplicas(reused)).toBe(2);
    expect(revision(reused)).toBe('3');
    expect(reused.metadata?.annotations?.[REVISION_HISTORY_ANNOTATION]).toBe('1');
    expect(revision(await f.deployment('web'))).toBe('3');
    expect(rolloutDone(await f.deployment('web'))).toBe(true);
  });

  it('keeps at most revisionHistoryLimit old ReplicaSets, deleting the oldest idle ones', async () => {
    await f.registry.create(DEPLOYMENTS, NS, deployment('web', 1, { revisionHistoryLimit: 2 }));
    await runToFixedPoint(f, { instant: true });
    for (const v of [2, 3, 4, 5]) {
      await setImage(f, 'web', `busybox:${v}`);
      await runToFixedPoint(f, { instant: true });
    }
    await f.controller.enqueue(NS, 'web');
    await f.settle();
    const sets = await f.replicaSets();
    expect(sets.map((rs) => [imageOf(rs), revision(rs)]).sort()).toEqual([
      ['busybox:3', '3'],
      ['busybox:4', '4'],
      ['busybox:5', '5'],
    ]);
  });

  it('makes no rollout progress while paused, and resumes', async () => {
    await f.registry.create(DEPLOYMENTS, NS, deployment('web', 2));
    await runToFixedPoint(f, { instant: true });
    await f.registry.patch(DEPLOYMENTS, NS, 'web', 'application/merge-patch+json', { spec: { paused: true } });
    await setImage(f, 'web', 'busybox:2');
    await runToFixedPoint(f, { instant: true });
    expect(await f.replicaSets()).toHaveLength(1);
    let d = await f.deployment('web');
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'Unknown', reason: REASONS.paused });
    expect(d.status).toMatchObject({ observedGeneration: 3, updatedReplicas: 0, replicas: 2 });
    expect(f.controller.stateOf(NS, 'web')).toBe('paused');
    // Scaling still works while paused.
    await f.registry.patch(DEPLOYMENTS, NS, 'web', 'application/merge-patch+json', { spec: { replicas: 3 } });
    await runToFixedPoint(f, { instant: true });
    expect((await f.replicaSets()).map(specReplicas)).toEqual([3]);
    await f.registry.patch(DEPLOYMENTS, NS, 'web', 'application/merge-patch+json', { spec: { paused: false } });
    await runToFixedPoint(f, { instant: true });
    d = await f.deployment('web');
    expect(rolloutDone(d)).toBe(true);
    expect((d.status as Record<string, number>).replicas).toBe(3);
    expect(f.controller.stateOf(NS, 'web')).toBe('complete');
    expect(f.transitions.filter((t) => t.name === 'web').map((t) => t.to)).toEqual(expect.arrayContaining(['progressing.rolling', 'complete', 'paused']));
  });

  it('a rollout stalled past its deadline: the machine timer asks for a sync, a guard chooses failed, whose entry writes ProgressDeadlineExceeded', async () => {
    await f.registry.create(DEPLOYMENTS, NS, deployment('web', 2, { progressDeadlineSeconds: 60 }));
    await runToFixedPoint(f, { instant: true });
    await setImage(f, 'web', 'busybox:broken');
    // The new pods never become available.
    const healthy = (rs: KubeObject): boolean => imageOf(rs) !== 'busybox:broken';
    await runToFixedPoint(f, { healthy });
    let d = await f.deployment('web');
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: REASONS.replicaSetUpdated });
    expect(f.controller.stateOf(NS, 'web')).toBe('progressing.rolling');
    // Nothing changes for 59 s: no sync, still progressing.
    f.clock.increment(59_000);
    await f.settle();
    expect(condition(await f.deployment('web'), 'Progressing')).toMatchObject({ reason: REASONS.replicaSetUpdated });
    expect(f.controller.stateOf(NS, 'web')).toBe('progressing.rolling');
    // The deadline passes: the machine's own timer brings the sync that fails it.
    f.clock.increment(2_000);
    await waitFor('failed', () => f.controller.stateOf(NS, 'web') === 'failed');
    await f.settle();
    d = await f.deployment('web');
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'False', reason: REASONS.progressDeadlineExceeded });
    expect(f.transitions.filter((t) => t.name === 'web').map((t) => t.to).slice(-2)).toEqual(['progressing.rolling', 'failed']);
    // A stalled rollout keeps going: the pods becoming available complete it.
    await runToFixedPoint(f, { instant: true });
    expect(f.controller.stateOf(NS, 'web')).toBe('complete');
    expect(condition(await f.deployment('web'), 'Progressing')).toMatchObject({ status: 'True', reason: REASONS.newReplicaSetAvailable });
  });

  it('reports Available=False below minimum availability', async () => {
    await f.registry.create(DEPLOYMENTS, NS, deployment('web', 4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }));
    await f.settle();
    await stepReplicaSets(f, { healthy: () => false });
    await f.settle();
    const d = await f.deployment('web');
    expect(condition(d, 'Available')).toMatchObject({ status: 'False', reason: REASONS.minimumReplicasUnavailable });
    expect(d.status).toMatchObject({ replicas: 4, updatedReplicas: 4, availableReplicas: 0, unavailableReplicas: 4 });
    expect(rolloutDone(d)).toBe(false);
  });

  it('adopts a matching orphan ReplicaSet', async () => {
    await f.registry.create(DEPLOYMENTS, NS, deployment('web', 1));
    await runToFixedPoint(f, { instant: true });
    const [rs] = await f.replicaSets();
    await f.registry.update(REPLICA_SETS, NS, rs.metadata?.name ?? '', { ...rs, metadata: { ...rs.metadata, ownerReferences: [] } });
    const d = await f.deployment('web');
    await waitFor('adoption', async () => (await f.replicaSets())[0]?.metadata?.ownerReferences?.[0]?.uid === d.metadata?.uid);
  });

  it('kubectl rollout restart (a restartedAt template annotation) rolls out a new ReplicaSet', async () => {
    await f.registry.create(DEPLOYMENTS, NS, deployment('web', 2));
    await runToFixedPoint(f, { instant: true });
    await f.registry.patch(DEPLOYMENTS, NS, 'web', 'application/merge-patch+json', {
      spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-06-01T00:00:00Z' } } } },
    });
    await runToFixedPoint(f);
    const sets = await f.replicaSets();
    expect(sets.map((rs) => [revision(rs), specReplicas(rs)]).sort()).toEqual([['1', 0], ['2', 2]]);
    expect(rolloutDone(await f.deployment('web'))).toBe(true);
  });

  it('scales proportionally when spec.replicas changes mid-rollout', async () => {
    const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } };
    await f.registry.create(DEPLOYMENTS, NS, deployment('web', 10, { strategy }));
    await runToFixedPoint(f, { instant: true });
    await setImage(f, 'web', 'busybox:broken');
    await runToFixedPoint(f, { healthy: (rs) => imageOf(rs) !== 'busybox:broken' });
    // Stuck: old 8, new 5 (13 = 10 + surge 3).
    expect((await f.replicaSets()).map((rs) => [imageOf(rs), specReplicas(rs)]).sort()).toEqual([['busybox:1', 8], ['busybox:broken', 5]]);
    await f.registry.patch(DEPLOYMENTS, NS, 'web', 'application/merge-patch+json', { spec: { replicas: 15 } });
    await f.settle();
    // 18 = 15 + 3 shared in proportion: 8·18/13 ≈ 11, 5·18/13 ≈ 7.
    expect((await f.replicaSets()).map((rs) => [imageOf(rs), specReplicas(rs)]).sort()).toEqual([['busybox:1', 11], ['busybox:broken', 7]]);
  });

  it('records a Warning and does not retry a maxSurge that is not an int or a percentage', async () => {
    await f.registry.create(DEPLOYMENTS, NS, deployment('web', 2, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'lots', maxUnavailable: 1 } } }));
    await f.settle();
    expect(f.events.recorded.filter((e) => e.reason === 'InvalidStrategy')).toHaveLength(1);
    expect(await f.replicaSets()).toHaveLength(0);
  });
});
