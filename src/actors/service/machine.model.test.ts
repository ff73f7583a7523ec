/**
 * Model test: @xstate/graph explores every state the Service machine reaches from every kind of
 * sync (each combination of selector / ExternalName / headless) and the deletion, then checks on
 * every edge that the state names the Service's case and that the effects are exactly the ones
 * that case calls for — replaying each edge with xstate's pure `transition()` to see its actions.
 */
import { adjacencyMapToArray, getAdjacencyMap } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import { createActor, type ActorScope, type ExecutableActionObject, type SnapshotFrom } from 'xstate';
import { createEffectRecorder } from '../testing/effect-recorder.ts';
import { serviceMachine, type ServiceFacts, type ServiceMachineEvent, type ServiceMachineInput } from './machine.ts';
import { MIRRORING_CONTROLLER, SLICE_CONTROLLER } from './names.ts';

type Snapshot = SnapshotFrom<typeof serviceMachine>;

const INPUT: ServiceMachineInput = { namespace: 'ns', name: 'web', uid: 'u1' };

const FACTS: ServiceFacts[] = [false, true].flatMap((selector) =>
  [false, true].flatMap((externalName) => [false, true].map((headless) => ({ selector, externalName, headless }))),
);
const ALPHABET: ServiceMachineEvent[] = [...FACTS.map((f) => ({ type: 'service.synced' as const, ...f })), { type: 'service.deleted' }];

function createReplayer() {
  const self = createActor(serviceMachine, { input: INPUT });
  let actions: ExecutableActionObject[] = [];
  const scope: ActorScope<Snapshot, ServiceMachineEvent> = {
    self,
    id: '',
    sessionId: '',
    logger: () => {},
    defer: () => {},
    emit: () => {},
    system: self.system,
    stopChild: () => {},
    actionExecutor: (action) => void actions.push(action),
  };
  return (state: Snapshot, event: ServiceMachineEvent): [Snapshot, ExecutableActionObject[]] => {
    actions = [];
    return [serviceMachine.transition(state, event, scope), actions];
  };
}

/** The state a sync with these facts must lead to. */
function expectedState(f: ServiceFacts): string {
  if (f.externalName) return 'externalName';
  if (f.selector) return f.headless ? 'selecting.headless' : 'selecting.virtualIP';
  return 'selectorless';
}

function stateName(s: Snapshot): string {
  return typeof s.value === 'string' ? s.value : Object.entries(s.value).map(([k, v]) => `${k}.${String(v)}`)[0];
}

/** Effects of an edge as `name` or `name:param`, in order (context assignments left out). */
function effects(actions: ExecutableActionObject[]): string[] {
  return actions
    .filter((a) => !a.type.startsWith('xstate.'))
    .map((a) => {
      const p = a.params as { headless?: boolean; managedBy?: string } | undefined;
      if (a.type === 'reconcileEndpoints') return `reconcileEndpoints:${p?.headless ? 'headless' : 'virtualIP'}`;
      if (a.type === 'deleteSlices') return `deleteSlices:${p?.managedBy}`;
      return a.type;
    });
}

describe('service machine model (@xstate/graph)', () => {
  it('on every reachable edge the state names the case and the effects are those of the case', () => {
    const edges = adjacencyMapToArray(getAdjacencyMap(serviceMachine, { input: INPUT, events: ALPHABET, limit: 10_000 }));
    const transition = createReplayer();
    const reached = new Set<string>();
    const effectsSeen = new Set<string>();
    const moves = new Set<string>();
    const violations: string[] = [];
    for (const { state, event } of edges) {
      const [next, actions] = transition(state, event);
      const done = effects(actions);
      const to = stateName(next);
      reached.add(to);
      moves.add(`${stateName(state)}>${to}`);
      done.forEach((e) => effectsSeen.add(e));
      const check = (holds: boolean, what: string) => {
        if (!holds) violations.push(`${what}: ${stateName(state)} + ${JSON.stringify(event)} -> ${to} doing ${JSON.stringify(done)}`);
      };
      const wasDeleted = state.matches('deleted');

      if (event.type === 'service.deleted') {
        check(to === 'deleted', 'a deletion did not end in deleted');
        check(
          JSON.stringify([...done].sort()) === JSON.stringify(['deleteEndpoints', `deleteSlices:${MIRRORING_CONTROLLER}`, `deleteSlices:${SLICE_CONTROLLER}`].sort()),
          'a deletion did not delete the Endpoints and every slice',
        );
        continue;
      }
      if (wasDeleted) {
        check(to === 'deleted' && done.length === 0, 'a sync after the deletion acted');
        continue;
      }
      const want = expectedState(event);
      check(to === want, `expected ${want}`);
      check(next.context.facts !== undefined && JSON.stringify(next.context.facts) === JSON.stringify({ selector: event.selector, externalName: event.externalName, headless: event.headless }), 'the facts were not remembered');
      check(!done.includes('deleteEndpoints'), 'a live Service lost its Endpoints');
      const selecting = want.startsWith('selecting');
      // Exactly one reconcile, on every sync of a selecting Service (level-triggered), with its headlessness.
      check(done.filter((e) => e.startsWith('reconcileEndpoints')).length === (selecting ? 1 : 0), 'reconcile count');
      if (selecting) check(done.includes(`reconcileEndpoints:${event.headless ? 'headless' : 'virtualIP'}`), 'reconcile with the wrong headlessness');
      check(done.filter((e) => e === 'mirrorEndpoints').length === (want === 'selectorless' ? 1 : 0), 'mirror count');
      // Whatever the case, the slices another case would make are removed.
      check(done.includes(`deleteSlices:${SLICE_CONTROLLER}`) === !selecting, 'managed slices kept or deleted wrongly');
      check(done.includes(`deleteSlices:${MIRRORING_CONTROLLER}`) === (want !== 'selectorless'), 'mirrored slices kept or deleted wrongly');
    }
    expect(violations.slice(0, 5)).toEqual([]);
    // Not vacuous: every case and every effect was reached.
    expect([...reached].sort()).toEqual(['deleted', 'externalName', 'selecting.headless', 'selecting.virtualIP', 'selectorless']);
    expect([...effectsSeen].sort()).toEqual(
      ['deleteEndpoints', `deleteSlices:${MIRRORING_CONTROLLER}`, `deleteSlices:${SLICE_CONTROLLER}`, 'mirrorEndpoints', 'reconcileEndpoints:headless', 'reconcileEndpoints:virtualIP'].sort(),
    );
    // Every case was left for every other one (the walk covered the changes between cases).
    const cases = ['selecting.virtualIP', 'selecting.headless', 'selectorless', 'externalName'];
    for (const from of cases) for (const to of cases) expect(moves).toContain(`${from}>${to}`);
  });

  it('removing the selector deletes the managed slices and starts mirroring (effects as the controller sees them)', () => {
    const recorder = createEffectRecorder(['reconcileEndpoints', 'mirrorEndpoints', 'deleteSlices', 'deleteEndpoints'] as const);
    const actor = createActor(serviceMachine.provide({ actions: recorder.actions }), { input: INPUT }).start();
    actor.send({ type: 'service.synced', selector: true, externalName: false, headless: false });
    expect(recorder.calls).toEqual([
      { effect: 'reconcileEndpoints', params: { headless: false } },
      { effect: 'deleteSlices', params: { managedBy: MIRRORING_CONTROLLER } },
    ]);
    recorder.clear();
    actor.send({ type: 'service.synced', selector: false, externalName: false, headless: false });
    expect(actor.getSnapshot().matches('selectorless')).toBe(true);
    expect(recorder.calls).toEqual([
      { effect: 'mirrorEndpoints', params: undefined },
      { effect: 'deleteSlices', params: { managedBy: SLICE_CONTROLLER } },
    ]);
    actor.stop();
  });
});
