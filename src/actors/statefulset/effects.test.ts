/**
 * The StatefulSet's revision and status writes against the memory store and a real Registry:
 * a new revision, an equal one already there, a name held by another set's revision (collision
 * count bumped, a new name), a rollback renumbering, history trimmed, status written only when a
 * field the controller owns changed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/object.ts';
import { StatefulSetEffects } from './effects.ts';
import { CONTROLLER_REVISIONS, STATEFUL_SETS } from './kinds.ts';
import { newRevision, resolveRevisions } from './revisions.ts';
import { createStatefulSet, fixture, NS, revisionsIn, statefulSet, type Fixture } from './test-support.ts';
import type { StatefulSetStatus } from './status.ts';

let f: Fixture;
let effects: StatefulSetEffects;
let set: KubeObject;

beforeEach(async () => {
  f = await fixture();
  effects = new StatefulSetEffects(f.registry);
  set = await createStatefulSet(f, statefulSet('web', { image: 'busybox:1' }));
});
afterEach(async () => {
  await f.close();
});

/** What one sync of `set` writes for its revisions, given what the store holds. */
async function sync(s: KubeObject): Promise<{ updateRevision: string; collisionCount: number }> {
  const owned = (await revisionsIn(f)).filter((r) => r.metadata?.ownerReferences?.[0]?.uid === s.metadata?.uid);
  const r = resolveRevisions(s, owned, []);
  return effects.syncRevisions({ set: s, updateRevision: r.update.name, action: r.action, truncate: r.truncate, collisionCount: r.collisionCount });
}

const withImage = (s: KubeObject, image: string): KubeObject => ({ ...s, spec: { ...(s.spec as object), template: (statefulSet('web', { image }).spec as { template: unknown }).template } });

describe('StatefulSetEffects.syncRevisions', () => {
  it('creates the revision of a new template, and keeps it when nothing changed', async () => {
    const first = await sync(set);
    expect(first).toEqual({ updateRevision: newRevision(set, 1, 0).metadata?.name, collisionCount: 0 });
    const stored = await f.registry.get(CONTROLLER_REVISIONS, NS, first.updateRevision);
    expect(stored).toMatchObject({ revision: 1, data: { spec: { template: { $patch: 'replace' } } } });
    expect(stored.metadata?.labels).toMatchObject({ app: 'web', 'controller.kubernetes.io/hash': first.updateRevision.slice('web-'.length) });
    expect(stored.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'StatefulSet', name: 'web', uid: set.metadata?.uid, controller: true })]);
    expect(await sync(set)).toEqual(first);
    expect(await revisionsIn(f)).toHaveLength(1);
  });

  it('renumbers an equal older revision on a rollback, keeping its name', async () => {
    const first = await sync(set);
    const second = await sync(withImage(set, 'busybox:2'));
    expect(second.updateRevision).not.toBe(first.updateRevision);
    const back = await sync(set);
    expect(back.updateRevision).toBe(first.updateRevision);
    expect((await f.registry.get(CONTROLLER_REVISIONS, NS, first.updateRevision)).revision).toBe(3);
  });

  it("bumps the collision count when the name is another set's revision (an earlier set of that name)", async () => {
    const name = String(newRevision(set, 1, 0).metadata?.name);
    await f.registry.create(CONTROLLER_REVISIONS, NS, { ...newRevision({ ...set, metadata: { ...set.metadata, uid: 'earlier-set' } }, 1, 0), metadata: { name, namespace: NS } });
    const out = await sync(set);
    expect(out.collisionCount).toBe(1);
    expect(out.updateRevision).not.toBe(name);
    expect(out.updateRevision).toBe(newRevision(set, 1, 1).metadata?.name);
  });

  it('deletes history beyond revisionHistoryLimit (oldest first) and still answers the update revision', async () => {
    const limited = { ...set, spec: { ...(set.spec as object), revisionHistoryLimit: 1 } };
    const r1 = await sync(withImage(limited, 'busybox:1'));
    const r2 = await sync(withImage(limited, 'busybox:2'));
    const r3 = await sync(withImage(limited, 'busybox:3'));
    // Live: the update revision (3) and the current one (none recorded in status: the update one); history: 1 and 2, limit 1.
    const again = await sync(withImage(limited, 'busybox:3'));
    expect(again.updateRevision).toBe(r3.updateRevision);
    expect((await revisionsIn(f)).map((r) => r.metadata?.name).sort()).toEqual([r2.updateRevision, r3.updateRevision].sort());
    expect(r1.updateRevision).not.toBe(r2.updateRevision);
  });
});

describe('StatefulSetEffects.writeStatus', () => {
  const status = (over: Partial<StatefulSetStatus> = {}): StatefulSetStatus => ({
    observedGeneration: 1,
    replicas: 1,
    readyReplicas: 1,
    currentReplicas: 1,
    updatedReplicas: 1,
    availableReplicas: 1,
    currentRevision: 'web-a',
    updateRevision: 'web-a',
    collisionCount: 0,
    ...over,
  });

  it('writes a changed status and skips an unchanged one', async () => {
    await effects.writeStatus(set, status());
    const written = await f.registry.get(STATEFUL_SETS, NS, 'web');
    expect(written.status).toMatchObject(status());
    await effects.writeStatus(written, status());
    expect((await f.registry.get(STATEFUL_SETS, NS, 'web')).metadata?.resourceVersion).toBe(written.metadata?.resourceVersion);
  });

  it('leaves a set of another uid alone', async () => {
    await effects.writeStatus({ ...set, metadata: { ...set.metadata, uid: 'other' } }, status({ replicas: 7 }));
    expect((await f.registry.get(STATEFUL_SETS, NS, 'web')).status).toEqual({ replicas: 0 });
  });
});
