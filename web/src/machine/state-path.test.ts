import { describe, expect, it } from 'vitest';
import { activeStates, edgeId, firedEdges } from './state-path.ts';
import { CONTAINER } from './test-machine.ts';

const ids = (path: string): string[] => [...activeStates(CONTAINER, path).ids].sort();

describe('activeStates', () => {
  it('activates nothing before the first state', () => {
    expect(ids('')).toEqual([]);
  });

  it('activates a leaf and every ancestor', () => {
    expect(ids('starting')).toEqual(['container', 'container.starting']);
  });

  it('reads full leaf paths of parallel regions joined with |', () => {
    expect(ids('running.health.live|running.readiness.checking')).toEqual([
      'container',
      'container.running',
      'container.running.health',
      'container.running.health.live',
      'container.running.readiness',
      'container.running.readiness.checking',
    ]);
  });

  it('reads a region written relative to its parallel state as well', () => {
    expect(ids('running.health.live|readiness.ready')).toEqual(ids('running.health.live|running.readiness.ready'));
  });

  it('accepts a path that starts with the root key', () => {
    expect(ids('container.backOff')).toEqual(['container', 'container.backOff']);
  });

  it('flags a path naming no state, keeping what it resolved', () => {
    const a = activeStates(CONTAINER, 'running.nonsense');
    expect(a.unknown).toBe(true);
    expect([...a.ids]).toContain('container.running');
  });
});

describe('firedEdges', () => {
  const fire = (from: string, to: string, event: string): string[] => firedEdges(CONTAINER, activeStates(CONTAINER, from).ids, activeStates(CONTAINER, to).ids, event);

  it('picks the transition of the event between the two states', () => {
    expect(fire('starting', 'running.health.checking|running.readiness.checking', 'container.started')).toEqual([
      edgeId({ source: 'container.starting', index: 0 }, 'container.running'),
    ]);
  });

  it('picks the guarded transition whose target became active, not its sibling of the same event', () => {
    expect(fire('running.health.live|running.readiness.ready', 'restarting', 'container.exited')).toEqual([edgeId({ source: 'container.running', index: 0 }, 'container.restarting')]);
    expect(fire('running.health.live|running.readiness.ready', 'terminated', 'container.exited')).toEqual([edgeId({ source: 'container.running', index: 1 }, 'container.terminated')]);
  });

  it('matches a delayed transition by its target (its event is xstate.after…)', () => {
    expect(fire('backOff', 'starting', 'xstate.after.backOffDelay.container.backOff')).toEqual([edgeId({ source: 'container.backOff', index: 0 }, 'container.starting')]);
  });

  it('follows a step through a transient state (reported only where it ended)', () => {
    expect(fire('running.health.live|running.readiness.ready', 'starting', 'container.exited')).toEqual([
      edgeId({ source: 'container.running', index: 0 }, 'container.restarting'),
      edgeId({ source: 'container.restarting', index: 1 }, 'container.starting'),
    ]);
  });

  it('finds nothing for a first state', () => {
    expect(fire('', 'waiting', 'xstate.init')).toEqual([]);
  });
});
