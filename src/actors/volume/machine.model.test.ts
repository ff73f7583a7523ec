/**
 * Model test: @xstate/graph explores every state the claim and volume machines reach from an
 * alphabet of observations, and the binder's rules are checked on every edge, replaying each with
 * xstate's pure `transition()` to see the effects it asks for.
 *
 * Bounds: claims — each binding situation Kubernetes distinguishes (waiting for a consumer, with
 * unscheduled pods, a selected node, a match, no class with and without a default, another
 * provisioner, a missing class, a local-path claim without a node, a named volume absent / free /
 * not fitting / ours / another's, bound and fine, bound to a volume with no claimRef, lost in
 * each of the three ways, each with the stored phase Bound or Lost), crossed with five protection
 * situations (kept, unprotected, deleting in use, deleting unused, deleting without the
 * finalizer). Volumes — each claim relation (none, reserved, binding, here, elsewhere, missing)
 * crossed with the reclaim cases (Retain; Delete by the local provisioner, by another, by none;
 * Recycle; an unknown policy), the stored phase (Bound, Released, Failed) and the same protection
 * situations. A node of the graph is a state value (see `explore`), so the graph is finite.
 */
import { adjacencyMapToArray, getAdjacencyMap } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine, EventObject, ExecutableActionObject, StateValue } from 'xstate';
import { stateValueToString } from '../inspection.ts';
import { actionsNamed, createReplayer } from '../testing/machine-replay.ts';
import { claimMachine } from './claim-machine.ts';
import type { ClaimFacts, VolumeFacts } from './facts.ts';
import { claim, volume } from './machine-fixtures.ts';
import type { StorageEvent } from './messages.ts';
import { isSpare, volumeMachine } from './volume-machine.ts';

const LIMIT = 200_000;

const NO_CLASS = { className: '', classFound: false, provisioner: '', provisionerHere: false, delayBinding: false };
const NAMED = { ...NO_CLASS, volumeName: 'pv1' };

const CLAIM_SITUATIONS: Partial<ClaimFacts>[] = [
  {},
  { unscheduledPods: ['web-0', 'web-1'] },
  { selectedNode: 'n1' },
  { selectedNode: 'n1', match: 'pvc-u1' },
  { ...NO_CLASS, defaultClass: 'local-path' },
  { ...NO_CLASS },
  { className: 'fast', provisioner: 'ebs.csi.aws.com', provisionerHere: false, delayBinding: false },
  { className: 'gold', classFound: false, provisioner: '', provisionerHere: false, delayBinding: false },
  { delayBinding: false },
  { ...NAMED, named: 'absent' },
  { ...NAMED, named: 'free', mismatch: 'requested PV is too small' },
  { ...NAMED, named: 'free' },
  { ...NAMED, named: 'ours' },
  { ...NAMED, named: 'other' },
  ...['Bound', 'Lost'].flatMap((storedPhase) => [
    { ...NAMED, bindCompleted: true, named: 'ours' as const, storedPhase },
    { ...NAMED, bindCompleted: true, named: 'free' as const, storedPhase },
    { ...NAMED, bindCompleted: true, named: 'absent' as const, storedPhase },
    { ...NAMED, bindCompleted: true, named: 'other' as const, storedPhase },
    { ...NO_CLASS, bindCompleted: true, storedPhase },
  ]),
];

const PROTECTION = [
  { deleting: false, protected: true, usedBy: 0 },
  { deleting: false, protected: false, usedBy: 0 },
  { deleting: true, protected: true, usedBy: 1 },
  { deleting: true, protected: true, usedBy: 0 },
  { deleting: true, protected: false, usedBy: 0 },
];

const CLAIM_ALPHABET = CLAIM_SITUATIONS.flatMap((s) => PROTECTION.map((p) => ({ type: 'claim.observed' as const, facts: claim({ ...s, ...p }) })));

const LOCAL = { reclaimPolicy: 'Delete', provisionedBy: 'kactus.io/local-path', deleterHere: true };
const RECLAIM: Partial<VolumeFacts>[] = [
  { reclaimPolicy: 'Retain' },
  LOCAL,
  { reclaimPolicy: 'Delete', provisionedBy: 'ebs.csi.aws.com' },
  { reclaimPolicy: 'Delete' },
  { reclaimPolicy: 'Recycle' },
  { reclaimPolicy: 'Keep' },
];
const VOLUME_PROTECTION = PROTECTION.filter((p) => p.usedBy === 0);
const RELATIONS = ['none', 'reserved', 'binding', 'here', 'elsewhere', 'missing'] as const;
const VOLUME_ALPHABET = RELATIONS.flatMap((rel) =>
  RECLAIM.flatMap((r) =>
    ['Bound', 'Released', 'Failed'].flatMap((storedPhase) => VOLUME_PROTECTION.map(({ deleting, protected: p }) => ({ type: 'volume.observed' as const, facts: volume({ claim: rel, ...r, storedPhase, deleting, protected: p }) }))),
  ),
);

function explore<E extends EventObject>(machine: AnyStateMachine, input: unknown, alphabet: E[]) {
  // A node is a state value: the guards read only the observation, and the context is only the last
  // observation (entry params read it after the same step stored it), so contexts add no behaviour.
  const adjacency = getAdjacencyMap(machine, { input, events: () => alphabet, limit: LIMIT, serializeState: (s: { value: unknown }) => JSON.stringify(s.value) } as never);
  return adjacencyMapToArray(adjacency) as unknown as { state: { value: StateValue; context: unknown }; event: E }[];
}

const recorded = (actions: ExecutableActionObject[]): string[] => actionsNamed<StorageEvent>(actions, 'recordEvent').map((e) => e.reason);
const names = (actions: ExecutableActionObject[]): string[] => actions.map((a) => a.type).filter((t) => !t.startsWith('xstate.'));

describe('claim machine model (@xstate/graph)', () => {
  it('the binder and pvc-protection rules hold on every reachable edge', () => {
    const input = { namespace: 'default', name: 'data', uid: 'u1' };
    const edges = explore(claimMachine, input, CLAIM_ALPHABET);
    const transition = createReplayer(claimMachine, input);
    const violations: string[] = [];
    const reached = new Set<string>();
    const seen = new Set<string>();
    for (const { state, event } of edges) {
      const [next, actions] = transition(state as never, event);
      const f = event.facts;
      const to = stateValueToString(next.value);
      const phase = /phase\.([\w.]+)/.exec(to)?.[1] ?? '';
      const protection = /protection\.(\w+)/.exec(to)?.[1] ?? '';
      reached.add(phase).add(`protection.${protection}`);
      for (const n of names(actions)) seen.add(n);
      const check = (holds: boolean, rule: string) => {
        if (!holds) violations.push(`${rule}: ${stateValueToString(state.value)} + ${JSON.stringify(f)} → ${to} ${JSON.stringify(actions.map((a) => [a.type, a.params]))}`);
      };

      // The state says what is true.
      check(phase !== 'unobserved' && protection !== 'unobserved', 'an observation left a region unobserved');
      check((phase === 'bound' || phase === 'lost') === f.bindCompleted, 'bound or lost without bind-completed, or pending with it');
      check(phase !== 'lost' || f.volumeName === '' || f.named === 'absent' || f.named === 'other', 'lost with its volume there and its own');

      // Binding: only to the matched volume, or to the named one when it is free and fits (or already ours).
      const binds = actionsNamed<{ volume: string }>(actions, 'bind');
      check(binds.length <= 1, 'bound twice in one step');
      for (const { volume } of binds) {
        const toMatch = !f.bindCompleted && f.volumeName === '' && volume === f.match;
        const toNamed = volume === f.volumeName && (f.named === 'ours' || (f.named === 'free' && (f.bindCompleted || f.mismatch === undefined)));
        check(volume !== '' && (toMatch || toNamed), 'bound to a volume it may not have');
      }
      const statuses = actionsNamed<{ phase: string }>(actions, 'writeStatus').map((s) => s.phase);
      check(binds.length === 0 || statuses.length === 0, 'bound and wrote another phase in one step');
      check(statuses.includes('Lost') === (phase === 'lost'), 'Lost written outside lost, or lost without it');
      check(!statuses.includes('Pending') || phase.startsWith('pending'), 'Pending written outside pending');

      // Events: lost once (on the phase change), waiting only for a consumer with none scheduled.
      const reasons = recorded(actions);
      const lostEvents = reasons.filter((r) => r === 'ClaimLost' || r === 'ClaimMisbound');
      check(lostEvents.length === (phase === 'lost' && f.storedPhase !== 'Lost' ? 1 : 0), 'ClaimLost not recorded exactly once when the claim is lost');
      check(!reasons.some((r) => r === 'WaitForFirstConsumer' || r === 'WaitForPodScheduled') || (f.delayBinding && f.selectedNode === undefined), 'waiting for a consumer that is not awaited');
      check(!reasons.includes('WaitForPodScheduled') || f.unscheduledPods.length > 0, 'WaitForPodScheduled without a pod waiting');

      // Provisioning: only an unbound claim with no match, by this controller only on the node selected.
      for (const { node } of actionsNamed<{ node: string }>(actions, 'provisionVolume')) {
        check(f.provisionerHere && node === f.selectedNode && !f.bindCompleted && f.volumeName === '' && f.match === undefined, 'provisioned a volume it should not');
      }
      check(!names(actions).includes('annotateProvisioner') || (f.className !== '' && f.classFound && f.match === undefined && !f.bindCompleted), 'asked a provisioner without a class, or with a volume to bind');
      for (const { className } of actionsNamed<{ className: string }>(actions, 'assignClass')) check(f.className === '' && className === f.defaultClass, 'assigned a class to a claim that has one');

      // Protection: added only to a live claim, removed only from a deleted, unused one.
      check(!names(actions).includes('addProtection') || (!f.deleting && !f.protected), 'protection added to a deleted or protected claim');
      check(!names(actions).includes('removeProtection') || (f.deleting && f.usedBy === 0 && f.protected), 'protection removed from a claim in use');
      check(protection !== 'inUse' || f.usedBy > 0, 'in use with no pod');
    }
    expect(violations.slice(0, 5)).toEqual([]);
    expect([...reached].sort()).toEqual(
      expect.arrayContaining([
        'bound',
        'lost',
        'pending.binding',
        'pending.assigningClass',
        'pending.waitingForFirstConsumer',
        'pending.provisioning.external',
        'pending.provisioning.local',
        'pending.provisioning.unplaced',
        'pending.classMissing',
        'pending.waitingForVolume',
        'pending.volumeMissing',
        'pending.volumeMismatch',
        'pending.volumeTaken',
        'protection.protecting',
        'protection.protected',
        'protection.inUse',
        'protection.releasing',
        'protection.released',
      ]),
    );
    expect([...seen]).toEqual(expect.arrayContaining(['bind', 'writeStatus', 'assignClass', 'annotateProvisioner', 'provisionVolume', 'recordEvent', 'addProtection', 'removeProtection']));
    // Every node saw the whole alphabet.
    expect(edges.length % CLAIM_ALPHABET.length).toBe(0);
    expect(edges.length / CLAIM_ALPHABET.length).toBeGreaterThan(40);
  });
});

describe('volume machine model (@xstate/graph)', () => {
  it('the binder, reclaim and pv-protection rules hold on every reachable edge', () => {
    const input = { name: 'pv1', uid: 'v1' };
    const edges = explore(volumeMachine, input, VOLUME_ALPHABET);
    const transition = createReplayer(volumeMachine, input);
    const violations: string[] = [];
    const reached = new Set<string>();
    const seen = new Set<string>();
    for (const { state, event } of edges) {
      const [next, actions] = transition(state as never, event);
      const f = event.facts;
      const to = stateValueToString(next.value);
      const phase = /phase\.([\w.]+)/.exec(to)?.[1] ?? '';
      const protection = /protection\.(\w+)/.exec(to)?.[1] ?? '';
      reached.add(phase).add(`protection.${protection}`);
      for (const n of names(actions)) seen.add(n);
      const check = (holds: boolean, rule: string) => {
        if (!holds) violations.push(`${rule}: ${stateValueToString(state.value)} + ${JSON.stringify(f)} → ${to} ${JSON.stringify(actions.map((a) => [a.type, a.params]))}`);
      };
      const released = f.claim === 'missing' || isSpare(f);
      const phases = actionsNamed<{ phase: string }>(actions, 'writePhase').map((p) => p.phase);
      const did = (n: string) => names(actions).includes(n);

      check(phases.length <= 1, 'two phases written in one step');
      check(!phases.includes('Available') || f.claim === 'none' || f.claim === 'reserved', 'Available while claimed');
      check(!phases.includes('Bound') || f.claim === 'here', 'Bound while its claim does not name it');
      check(!phases.includes('Released') || (released && f.storedPhase !== 'Failed'), 'Released while not released, or over Failed');
      check(!phases.includes('Failed') || (released && f.reclaimPolicy !== 'Retain' && !(f.reclaimPolicy === 'Delete' && f.provisionedBy !== '')), 'Failed while a reclaim was possible');
      check(!(released && f.storedPhase === 'Failed') || phases.length === 0, 'a Failed volume overwritten');
      check(!did('deleteVolume') || (released && f.reclaimPolicy === 'Delete' && f.deleterHere && !f.deleting && f.storedPhase !== 'Failed'), 'deleted a volume not released for deletion here');
      check(!did('unbind') || (f.claim === 'elsewhere' && !isSpare(f)), 'unbound a volume its claim still names');
      check(!did('syncClaim') || f.claim === 'binding', 'asked for a claim sync with nothing to finish');
      check(recorded(actions).length === 0 || (phases.includes('Failed') && f.storedPhase !== 'Failed'), 'an Event without a failure, or twice');
      check(phase !== 'bound' || f.claim === 'here', 'bound state without its claim');

      check(!did('addProtection') || (!f.deleting && !f.protected), 'protection added to a deleted or protected volume');
      check(!did('removeProtection') || (f.deleting && f.protected && f.storedPhase !== 'Bound'), 'protection removed from a Bound volume');
    }
    expect(violations.slice(0, 5)).toEqual([]);
    expect([...reached].sort()).toEqual(
      expect.arrayContaining([
        'available',
        'binding',
        'bound',
        'unbinding',
        'released.retained',
        'released.deleting',
        'released.removing',
        'released.awaitingDeleter',
        'failed',
        'protection.protecting',
        'protection.protected',
        'protection.inUse',
        'protection.releasing',
        'protection.released',
      ]),
    );
    expect([...seen]).toEqual(expect.arrayContaining(['writePhase', 'syncClaim', 'unbind', 'deleteVolume', 'recordEvent', 'addProtection', 'removeProtection']));
    expect(edges.length % VOLUME_ALPHABET.length).toBe(0);
    expect(edges.length / VOLUME_ALPHABET.length).toBeGreaterThan(40);
  });
});
