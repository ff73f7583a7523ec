import { describe, expect, it } from 'vitest';
import type { Transition } from '../api/types.ts';
import { ActorTable, actorTree, childName, machineKindOf, mergeHistory, parentActor, replayAt } from './actors.ts';

let next = 1;
const t = (actor: string, from: string, to: string, extra: Partial<Transition> = {}): Transition => ({
  index: next++,
  time: new Date(1_700_000_000_000 + next * 1000).toISOString(),
  kind: 'Pod',
  namespace: 'default',
  name: 'web',
  uid: 'u1',
  actor,
  from,
  to,
  event: 'e',
  ...extra,
});

describe('actor names', () => {
  it('maps actors to their machines and parents', () => {
    expect(machineKindOf({ kind: 'Pod', actor: '' })).toBe('Pod');
    expect(machineKindOf({ kind: 'Pod', actor: 'container:web' })).toBe('Pod/container');
    expect(machineKindOf({ kind: 'Pod', actor: 'container:web/probe:liveness' })).toBe('Pod/probe');
    expect(childName('container:web/probe:liveness')).toBe('liveness');
    expect(parentActor('container:web/probe:liveness')).toBe('container:web');
    expect(parentActor('container:web')).toBe('');
    expect(parentActor('')).toBeUndefined();
  });
});

describe('ActorTable', () => {
  it('keeps each actor\'s latest state and recent transitions, ignoring older ones', () => {
    const table = new ActorTable();
    const a = t('', '', 'pending.scheduling');
    const b = t('', 'pending.scheduling', 'running');
    table.apply(a);
    table.apply(b);
    table.apply(a); // a late duplicate
    const pod = table.get('u1/')!;
    expect(pod.last.to).toBe('running');
    expect(pod.recent.map((r) => r.to)).toEqual(['pending.scheduling', 'running']);
    table.apply({ ...b }); // the same transition again, as a snapshot after a reconnect
    expect(table.get('u1/')!.recent).toHaveLength(2);
  });

  it('lists children of an object and forgets a deleted object', () => {
    const table = new ActorTable();
    table.apply(t('', '', 'running'));
    table.apply(t('container:web', '', 'running.health.live'));
    table.apply(t('', '', 'running', { uid: 'u2', name: 'other' }));
    expect(table.children('u1').map((c) => c.actor)).toEqual(['container:web']);
    table.removeObject('u1');
    expect(table.list().map((a) => a.uid)).toEqual(['u2']);
  });
});

describe('replay and history', () => {
  const h = [t('', '', 'pending.scheduling'), t('', 'pending.scheduling', 'pending.creatingSandbox'), t('container:web', '', 'waiting'), t('', 'pending.creatingSandbox', 'running'), t('container:web', 'waiting', 'running')];

  it('gives every actor\'s state at a position', () => {
    const at2 = replayAt(h, 2);
    expect(at2.get('u1/')!.to).toBe('pending.creatingSandbox');
    expect(at2.get('u1/container:web')!.to).toBe('waiting');
    expect(replayAt(h, 0).size).toBe(1);
    expect(replayAt(h, h.length - 1).get('u1/')!.to).toBe('running');
  });

  it('merges live transitions without doubling, in index order', () => {
    const merged = mergeHistory(h.slice(0, 3), [h[4]!, h[2]!, h[3]!]);
    expect(merged.map((x) => x.index)).toEqual(h.map((x) => x.index));
  });

  it('builds the actor tree: containers under the pod, probes under their container', () => {
    const probe = t('container:web/probe:readiness', '', 'probing');
    const tree = actorTree([...replayAt([...h, probe], h.length).values()]);
    expect(tree).toHaveLength(1);
    expect(tree[0]!.actor).toBe('');
    expect(tree[0]!.children.map((c) => c.actor)).toEqual(['container:web']);
    expect(tree[0]!.children[0]!.children.map((c) => c.machineKind)).toEqual(['Pod/probe']);
  });
});
