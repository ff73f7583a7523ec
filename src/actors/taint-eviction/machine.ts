/**
 * One pod on a node with NoExecute taints (Kubernetes' taint-eviction controller, per pod):
 *
 *   idle ──taints.observed [untolerated]──▶ evicted (final; entry: evictPod)
 *   idle ──taints.observed [toleratedFor]──▶ waiting ──after the deadline──▶ evicted
 *   waiting ──taints.observed [none or forever]──▶ idle (entry: cancelEviction Event)
 *   any ──pod.gone──▶ gone (final)
 *
 * The deadline counts from when the eviction was first scheduled (a later observation with a
 * longer toleration does not push it back past `since + seconds`, as Kubernetes keeps the
 * scheduled work's creation time). Pure: facts arrive stamped `at`, the timer runs on the
 * actor's clock, the effects are named actions.
 */
import { setup } from 'xstate';
import type { JsonObject } from '../../api/object.ts';
import type { Taint } from '../../scheduler/taints.ts';
import { evictionVerdict } from './eviction-time.ts';

export interface TaintEvictionInput {
  namespace: string;
  name: string;
  uid: string;
}

export interface TaintEvictionContext extends TaintEvictionInput {
  /** When the pending eviction was first scheduled (epoch ms). */
  since?: number;
  /** When it happens. */
  deadline?: number;
  /** The `at` of the latest observation (the timer's delay is counted from it). */
  lastAt: number;
}

export type TaintEvictionEvent = { type: 'taints.observed'; at: number; taints: Taint[]; tolerations: JsonObject[] } | { type: 'pod.gone' };

export interface EvictionParams {
  namespace: string;
  name: string;
  uid: string;
}

const verdictOf = (event: TaintEvictionEvent) => (event.type === 'taints.observed' ? evictionVerdict(event.taints, event.tolerations) : { kind: 'none' as const });

const base = setup({
  types: {
    context: {} as TaintEvictionContext,
    events: {} as TaintEvictionEvent,
    input: {} as TaintEvictionInput,
  },
  actions: {
    evictPod: (_, _params: EvictionParams) => {},
    cancelEviction: (_, _params: EvictionParams) => {},
  },
  guards: {
    /** A NoExecute taint the pod does not tolerate: now (or a toleration of 0 s or less). */
    evictNow: ({ event }) => {
      const v = verdictOf(event);
      return v.kind === 'now' || (v.kind === 'after' && v.seconds === 0);
    },
    /** Tolerated for a while (the shortest matching tolerationSeconds). */
    toleratedForAWhile: ({ event }) => verdictOf(event).kind === 'after',
  },
  delays: {
    untilDeadline: ({ context }) => Math.max(0, (context.deadline ?? context.lastAt) - context.lastAt),
  },
});

const withActions = base.extend({
  actions: {
    /** The deadline: from when the eviction was first scheduled, the shortest toleration. */
    schedule: base.assign(({ context, event }) => {
      const v = verdictOf(event);
      if (event.type !== 'taints.observed' || v.kind !== 'after') return {};
      const since = context.since ?? event.at;
      return { since, deadline: since + v.seconds * 1000, lastAt: event.at };
    }),
    unschedule: base.assign({ since: undefined, deadline: undefined }),
  },
});

export const taintEvictionMachine = withActions.createMachine({
  id: 'taintEviction',
  context: ({ input }) => ({ ...input, lastAt: 0 }),
  initial: 'idle',
  on: {
    'pod.gone': '.gone',
  },
  states: {
    idle: {
      on: {
        'taints.observed': [
          { guard: 'evictNow', target: 'evicted' },
          {
            guard: 'toleratedForAWhile',
            target: 'waiting',
            actions: 'schedule',
          },
        ],
      },
    },
    waiting: {
      after: { untilDeadline: 'evicted' },
      on: {
        'taints.observed': [
          { guard: 'evictNow', target: 'evicted' },
          { guard: 'toleratedForAWhile', target: 'waiting', reenter: true, actions: 'schedule' },
          {
            target: 'idle',
            actions: [{ type: 'cancelEviction', params: ({ context }) => ({ namespace: context.namespace, name: context.name, uid: context.uid }) }, 'unschedule'],
          },
        ],
      },
    },
    evicted: {
      type: 'final',
      entry: { type: 'evictPod', params: ({ context }) => ({ namespace: context.namespace, name: context.name, uid: context.uid }) },
    },
    gone: { type: 'final' },
  },
});
