import { describe, expect, it } from 'vitest';
import { machineCatalogue, type StateDescription } from './catalogue.ts';

function allStates(state: StateDescription): StateDescription[] {
  return [state, ...state.states.flatMap(allStates)];
}

describe('the machine catalogue', () => {
  const catalogue = machineCatalogue();

  it('has every kind whose lifecycle is a machine', () => {
    expect(catalogue.map((m) => m.kind)).toEqual(
      expect.arrayContaining(['Pod', 'Node', 'ReplicaSet', 'Deployment', 'DaemonSet', 'StatefulSet', 'Job', 'CronJob', 'HorizontalPodAutoscaler', 'Service']),
    );
  });

  it.each(machineCatalogue().map((m) => [m.kind, m] as const))('%s: every guard, action and actor in the tree is a named implementation of its setup', (_kind, machine) => {
    const states = allStates(machine.root);
    expect(states.length).toBeGreaterThan(1);
    for (const s of states) {
      for (const a of [...s.entry, ...s.exit]) expect(machine.actions, `${s.id} entry/exit ${a}`).toContain(a);
      for (const i of s.invoke) expect(machine.actors, `${s.id} invokes ${i.src}`).toContain(i.src);
      for (const t of s.transitions) {
        if (t.guard !== undefined) expect(machine.guards, `${s.id} on ${t.event}: guard ${t.guard}`).toContain(t.guard);
        for (const a of t.actions) expect(machine.actions, `${s.id} on ${t.event}: action ${a}`).toContain(a);
        for (const target of t.targets) expect(states.map((x) => x.id), `${s.id} on ${t.event}: target`).toContain(target);
      }
    }
  });

  it('draws the Pod machine from its definition: a lost node fails the pod', () => {
    const pod = machineCatalogue().find((m) => m.kind === 'Pod')!;
    const transitions = allStates(pod.root).flatMap((s) => s.transitions.map((t) => ({ from: s.id, ...t })));
    expect(transitions.some((t) => t.event === 'node.lost' && t.targets.some((x) => x.endsWith('.failed')))).toBe(true);
    expect(pod.events).toContain('container.exited');
    expect(JSON.parse(JSON.stringify(pod))).toEqual(pod); // plain data
  });
});
