/**
 * The pod and container machines are readable as data (for the machine catalogue and the
 * visualizer, which draw them from `machine.toJSON()` / `machine.root`): every guard and action
 * in their configs is named (an implementation in `setup`), every child is a named actor, and the
 * definitions serialise with those names.
 */
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { containerMachine } from './container-machine.ts';
import { podMachine } from './machine.ts';

/** Named actions may be referenced by name or `{ type, params }`; xstate's own (after's raise and cancel) are functions typed `xstate.*`. */
function unnamed(action: unknown): boolean {
  if (typeof action === 'string') return false;
  if (typeof action === 'function') return !String((action as { type?: string }).type ?? '').startsWith('xstate.');
  return typeof (action as { type?: unknown }).type !== 'string';
}

function nodesOf(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((child) => nodesOf(child))];
}

function problems(machine: AnyStateMachine): string[] {
  const found: string[] = [];
  const named = (where: string, kind: 'guard' | 'action', ref: unknown, impls: Record<string, unknown>) => {
    if (kind === 'action' && unnamed(ref)) found.push(`${where}: an inline action`);
    if (kind === 'guard' && ref !== undefined && typeof ref !== 'string' && typeof (ref as { type?: unknown }).type !== 'string') found.push(`${where}: an inline guard`);
    const name = typeof ref === 'string' ? ref : (ref as { type?: string } | undefined)?.type;
    if (name !== undefined && !name.startsWith('xstate.') && !(name in impls)) found.push(`${where}: ${kind} ${name} is not implemented in setup`);
  };
  const { actions, guards, actors } = machine.implementations;
  for (const node of nodesOf(machine.root)) {
    const at = `#${node.id}`;
    for (const a of [...node.entry, ...node.exit]) named(`${at} entry/exit`, 'action', a, actions);
    const transitions = [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
    for (const t of transitions) {
      named(`${at} on ${t.eventType}`, 'guard', t.guard, guards);
      for (const a of t.actions) named(`${at} on ${t.eventType}`, 'action', a, actions);
    }
    for (const invoke of node.invoke) {
      if (typeof invoke.src !== 'string' || !(invoke.src in actors)) found.push(`${at}: invokes an unnamed actor`);
    }
  }
  return found;
}

describe('machine definitions as data', () => {
  it.each([
    ['pod', podMachine],
    ['container', containerMachine],
  ] as const)('%s: every guard, action and child actor is named', (_name, machine) => {
    expect(problems(machine)).toEqual([]);
  });

  it('serialise with their states, events, guards and actions by name', () => {
    const pod = JSON.stringify(podMachine.toJSON());
    for (const name of ['terminating', 'succeeded', 'everyContainerSucceeded', 'lastInitContainerCompleted', 'container.terminated', 'spawnContainers']) {
      expect(pod).toContain(name);
    }
    const container = JSON.stringify(containerMachine.toJSON());
    for (const name of ['backOff', 'crashBackOff', 'restartPolicyAlways', 'failedUnderOnFailure', 'killedByProbe', 'probe:liveness', 'startContainer']) {
      expect(container).toContain(name);
    }
  });

  it('the restart table is the guarded exit of a running container, row by row', () => {
    const exits = containerMachine.root.states.running!.transitions.get('container.exited')!;
    expect(exits.map((t) => [typeof t.guard === 'string' ? t.guard : undefined, t.target?.map((s) => s.key)])).toEqual([
      ['stopRequested', ['terminated']],
      ['restartPolicyAlways', ['restarting']],
      ['failedUnderOnFailure', ['restarting']],
      ['killedByProbe', ['restarting']],
      [undefined, ['terminated']],
    ]);
  });
});
