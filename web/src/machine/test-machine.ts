/** Small machine descriptions in the catalogue's shape, for the pure modules' tests. */
import type { MachineDescription, StateDescription, TransitionDescription } from '../api/types.ts';

export function state(id: string, type: StateDescription['type'], transitions: TransitionDescription[] = [], states: StateDescription[] = [], initial?: string): StateDescription {
  const s: StateDescription = { id, key: id.split('.').pop()!, type, entry: [], exit: [], invoke: [], transitions, tags: [], states };
  if (initial) s.initial = initial;
  return s;
}

export const go = (event: string, target: string, extra: Partial<TransitionDescription> = {}): TransitionDescription => ({ event, targets: [target], actions: [], ...extra });

/**
 * A container-like machine: waiting → starting → running (parallel: health {checking, live},
 * readiness {checking, ready}) → restarting → backOff → starting.
 */
export const CONTAINER: MachineDescription = {
  kind: 'Pod/container',
  id: 'container',
  events: ['container.start', 'container.started', 'container.exited', 'probe.succeeded'],
  guards: ['restartPolicyAlways'],
  actions: ['startContainer'],
  actors: [],
  delays: ['backOffDelay'],
  root: state(
    'container',
    'compound',
    [{ event: 'always', targets: [], guard: 'reportDue', actions: ['report'] }],
    [
      state('container.waiting', 'atomic', [go('container.start', 'container.starting')]),
      state('container.starting', 'atomic', [go('container.started', 'container.running', { actions: ['startContainer'] })]),
      state(
        'container.running',
        'parallel',
        [go('container.exited', 'container.restarting', { guard: 'restartPolicyAlways' }), go('container.exited', 'container.terminated')],
        [
          state('container.running.health', 'compound', [], [state('container.running.health.checking', 'atomic', [{ event: 'always', targets: ['container.running.health.live'], actions: [] }]), state('container.running.health.live', 'atomic')], 'container.running.health.checking'),
          state('container.running.readiness', 'compound', [], [state('container.running.readiness.checking', 'atomic', [go('probe.succeeded', 'container.running.readiness.ready')]), state('container.running.readiness.ready', 'atomic')], 'container.running.readiness.checking'),
        ],
      ),
      state('container.restarting', 'atomic', [{ event: 'always', targets: ['container.backOff'], guard: 'crashLooping', actions: [] }, { event: 'always', targets: ['container.starting'], actions: [] }]),
      state('container.backOff', 'atomic', [{ event: 'after', targets: ['container.starting'], actions: [], delay: 'backOffDelay' }]),
      state('container.terminated', 'final'),
    ],
    'container.waiting',
  ),
};
