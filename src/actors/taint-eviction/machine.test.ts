/** The taint-eviction machine on a SimulatedClock with recorded effects. */
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { createEffectRecorder } from '../testing/effect-recorder.ts';
import { evictionVerdict } from './eviction-time.ts';
import { taintEvictionMachine } from './machine.ts';

const TAINT = { key: 'maintenance', effect: 'NoExecute' };
const POD = { namespace: 'default', name: 'web', uid: 'u1' };

function start() {
  const clock = new SimulatedClock();
  const effects = createEffectRecorder(['evictPod', 'cancelEviction'] as const);
  const actor = createActor(taintEvictionMachine.provide({ actions: effects.actions }), { input: POD, clock });
  actor.start();
  const observe = (taints: (typeof TAINT)[], tolerations: Record<string, unknown>[] = []) => actor.send({ type: 'taints.observed', at: clock.now(), taints, tolerations });
  return { clock, effects, actor, observe };
}

describe('evictionVerdict (getMatchingTolerations, getMinTolerationTime)', () => {
  it.each<[string, (typeof TAINT)[], Record<string, unknown>[], ReturnType<typeof evictionVerdict>]>([
    ['no taints', [], [], { kind: 'none' }],
    ['untolerated', [TAINT], [], { kind: 'now', taint: { key: 'maintenance', value: undefined, effect: 'NoExecute' } }],
    ['tolerated forever', [TAINT], [{ key: 'maintenance', operator: 'Exists' }], { kind: 'never' }],
    ['tolerated for 30 s', [TAINT], [{ key: 'maintenance', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }], { kind: 'after', seconds: 30 }],
    ['the shortest matching toleration wins', [TAINT], [{ operator: 'Exists', tolerationSeconds: 60 }, { key: 'maintenance', operator: 'Exists', tolerationSeconds: 20 }], { kind: 'after', seconds: 20 }],
    ['a non-matching toleration does not count', [TAINT], [{ key: 'maintenance', operator: 'Exists' }, { key: 'other', operator: 'Exists', tolerationSeconds: 5 }], { kind: 'never' }],
    ['0 or less: now', [TAINT], [{ key: 'maintenance', operator: 'Exists', tolerationSeconds: -1 }], { kind: 'after', seconds: 0 }],
    ['NoSchedule tolerations do not tolerate NoExecute taints', [TAINT], [{ key: 'maintenance', operator: 'Exists', effect: 'NoSchedule' }], { kind: 'now', taint: { key: 'maintenance', value: undefined, effect: 'NoExecute' } }],
  ])('%s', (_t, taints, tolerations, want) => {
    expect(evictionVerdict(taints, tolerations)).toEqual(want);
  });
});

describe('taint-eviction machine', () => {
  it('an untolerated NoExecute taint evicts at once', () => {
    const { effects, actor, observe } = start();
    observe([TAINT]);
    expect(effects.paramsOf('evictPod')).toEqual([POD]);
    expect(actor.getSnapshot().status).toBe('done');
  });

  it('tolerationSeconds: evicted when it runs out, not before', () => {
    const { clock, effects, observe } = start();
    observe([TAINT], [{ key: 'maintenance', operator: 'Exists', tolerationSeconds: 30 }]);
    clock.increment(29_999);
    expect(effects.calls).toEqual([]);
    clock.increment(1);
    expect(effects.paramsOf('evictPod')).toEqual([POD]);
  });

  it('the deadline counts from the first observation; the taint removed in time cancels it', () => {
    const { clock, effects, actor, observe } = start();
    const tolerate = [{ key: 'maintenance', operator: 'Exists', tolerationSeconds: 30 }];
    observe([TAINT], tolerate);
    clock.increment(20_000);
    // The node updated (another taint tolerated forever added): the deadline stays 30 s after the first sight.
    observe([TAINT, { key: 'x', effect: 'NoExecute' }], [...tolerate, { key: 'x', operator: 'Exists' }]);
    clock.increment(5_000);
    observe([], tolerate);
    expect(effects.paramsOf('cancelEviction')).toEqual([POD]);
    clock.increment(60_000);
    expect(effects.paramsOf('evictPod')).toEqual([]);
    expect(actor.getSnapshot().value).toBe('idle');
    // Tainted again: a new 30 s from now.
    observe([TAINT], tolerate);
    clock.increment(30_000);
    expect(effects.paramsOf('evictPod')).toEqual([POD]);
  });

  it('tolerated forever: never evicted; the pod going ends it', () => {
    const { clock, effects, actor, observe } = start();
    observe([TAINT], [{ key: 'maintenance', operator: 'Exists' }]);
    clock.increment(3_600_000);
    expect(effects.calls).toEqual([]);
    actor.send({ type: 'pod.gone' });
    expect(actor.getSnapshot().value).toBe('gone');
  });
});
