/**
 * The ReplicaSet (and ReplicationController) machine: what a set does about its pods, decided
 * here. After every sync the controller tells it what the informers show (`replicas.observed`:
 * the owner, the active pods it controls — counted, and listed only when a scale-down ranks them —
 * whether the creates and deletes it issued have all come back through the watch, and the time). Guards choose the state; each state's entry is the
 * effect (Kubernetes' manageReplicas, then updateStatus):
 *
 * ```
 * unobserved ─ replicas.observed ─▶ terminating            owner being deleted: status only
 *                                   steady                 active = desired: status
 *                                   scaling.awaitingPods   creates/deletes not yet seen: status, resync after the expectations timeout
 *                                   scaling.creating       too few: expect, then create min(missing, burst) pods in slow-start batches
 *                                   scaling.deleting       too many: expect, then delete min(extra, burst) pods, worst ranked first
 * scaling.creating|deleting ─ done ─▶ scaling.awaitingPods, or scaling.failing (ReplicaFailure) when a create/delete failed
 * ```
 *
 * Every observation opens a round (controller-kit/rounds.ts) that the state's status write
 * closes; a failing round closes with its error, and the controller's work queue retries it.
 * Effects are named: actions `expectCreations`, `expectDeletions`, `forgetSkippedCreations`,
 * `forgetSkippedDeletions`, `requestSync`; actors `createPods`, `deletePods`, `writeStatus`. The
 * controller provides them (`machine.provide`); the defaults here do nothing, so the machine is
 * pure and tested with fakes and a SimulatedClock.
 */
import { assign, fromPromise, setup, type DoneActorEvent, type ErrorActorEvent } from 'xstate';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { rankForDeletion } from '../controller-kit/pods.ts';
import { NO_ROUND, type RoundContext } from '../controller-kit/rounds.ts';
import { replicaSpec } from './replica-kind.ts';
import { calculateStatus, NO_PODS, type ManageFailure, type ObservedPods } from './status.ts';

/** What one sync saw (the controller adds `round`). */
export interface ReplicasObserved {
  type: 'replicas.observed';
  round: number;
  /** The ReplicaSet or ReplicationController, as cached. */
  owner: KubeObject;
  /** The active pods it controls (after adopting orphans and releasing strays): counted, listed on demand. */
  pods: ObservedPods;
  /** Every create and delete issued earlier has come back through the pod watch (or timed out). */
  expectationsMet: boolean;
  /** Epoch ms (availability is measured against it). */
  now: number;
}

export type ReplicaEvent = ReplicasObserved;

export interface ReplicaMachineInput {
  /** The owner's informer key: what `requestSync` queues. */
  key: string;
  owner: KubeObject;
  /** Most pods created or deleted in one round (Kubernetes' BurstReplicas). */
  burstReplicas: number;
  /** How long expectations may stay unmet before they count as met (a lost watch event). */
  expectationsTimeoutMs: number;
}

export interface ReplicaContext extends RoundContext, ReplicaMachineInput {
  pods: ObservedPods;
  expectationsMet: boolean;
  now: number;
  /** The failure of this round's creates or deletes (the ReplicaFailure condition). */
  failure: ManageFailure | undefined;
}

export interface CreatePodsInput {
  owner: KubeObject;
  count: number;
}

export interface CreatePodsOutput {
  /** Pods created; the rest were not (slow start stops at the first failed batch). */
  created: number;
  /** Why a create failed. */
  error?: string;
}

export interface DeletePodsInput {
  owner: KubeObject;
  pods: KubeObject[];
}

export interface DeletePodsOutput {
  /** Uids whose deletion the watch will not report (the delete failed, or the pod was gone and seen gone). */
  notDeleted: string[];
  /** Why a delete failed. */
  error?: string;
}

export interface WriteStatusInput {
  owner: KubeObject;
  status: JsonObject;
}

// ---- what the guards and effects compute (pure) ----

const desiredOf = (c: { owner: KubeObject }): number => replicaSpec(c.owner).replicas;

/** Pods to create this round: the missing ones, at most `burstReplicas`. */
export function podsToCreate(c: ReplicaContext): number {
  return Math.max(0, Math.min(desiredOf(c) - c.pods.replicas, c.burstReplicas));
}

/** Pods to delete this round: the extra ones ranked worst first, at most `burstReplicas` (the only place the pods are listed). */
export function podsToDelete(c: ReplicaContext): KubeObject[] {
  const extra = Math.max(0, Math.min(c.pods.replicas - desiredOf(c), c.burstReplicas));
  return extra === 0 ? [] : rankForDeletion(c.pods.list()).slice(0, extra);
}

/** The status this round writes (Kubernetes' calculateStatus). */
export function statusToWrite(c: ReplicaContext): WriteStatusInput {
  return { owner: c.owner, status: calculateStatus(c.owner, c.pods, c.failure, c.now) };
}

const uidsOf = (pods: readonly KubeObject[]): string[] => pods.map((p) => p.metadata?.uid ?? '');

const writeStatus = (next: 'closeRound' | 'failRoundWithFailure') => ({
  id: 'writeStatus',
  src: 'writeStatus' as const,
  input: ({ context }: { context: ReplicaContext }) => statusToWrite(context),
  onDone: { actions: next },
  onError: { actions: 'failRound' as const },
});

export const replicaMachine = setup({
  types: { context: {} as ReplicaContext, events: {} as ReplicaEvent, input: {} as ReplicaMachineInput },
  actors: {
    createPods: fromPromise<CreatePodsOutput, CreatePodsInput>(async () => ({ created: 0, error: 'createPods is not provided' })),
    deletePods: fromPromise<DeletePodsOutput, DeletePodsInput>(async () => ({ notDeleted: [], error: 'deletePods is not provided' })),
    writeStatus: fromPromise<void, WriteStatusInput>(async () => undefined),
  },
  actions: {
    /** Records `count` creates in flight (expectations) before they are made. */
    expectCreations: (_, _params: { count: number }) => {},
    /** Records the deletes of these pod uids in flight before they are made. */
    expectDeletions: (_, _params: { uids: string[] }) => {},
    /** Creates that were not made: the watch will not report them. */
    forgetSkippedCreations: (_, _params: { count: number }) => {},
    /** Deletes that were not made (or already seen): the watch will not report them. */
    forgetSkippedDeletions: (_, _params: { uids: string[] }) => {},
    /** Asks the controller for a sync (a timer passed). */
    requestSync: () => {},
    observe: assign(({ event }) => {
      const e = event as ReplicasObserved;
      return { owner: e.owner, pods: e.pods, expectationsMet: e.expectationsMet, now: e.now, failure: undefined, round: e.round, pending: true, roundError: undefined };
    }),
    closeRound: assign({ pending: false, roundError: undefined }),
    failRound: assign(({ event }) => ({ pending: false, roundError: (event as unknown as ErrorActorEvent).error })),
    failRoundWithFailure: assign(({ context }) => ({ pending: false, roundError: `${context.failure?.reason ?? 'Failed'}: ${context.failure?.message ?? ''}` })),
    noteFailure: assign(({ event }, params: { reason: ManageFailure['reason'] }) => {
      const e = event as unknown as DoneActorEvent<{ error?: string }> | ErrorActorEvent;
      const message = 'output' in e ? (e.output.error ?? '') : e.error instanceof Error ? e.error.message : String(e.error);
      return { failure: { reason: params.reason, message } };
    }),
  },
  guards: {
    ownerDeleting: ({ event }) => Boolean(event.owner.metadata?.deletionTimestamp),
    replicasMatch: ({ event }) => event.pods.replicas === desiredOf(event),
    expectationsPending: ({ event }) => !event.expectationsMet,
    tooFewPods: ({ event }) => event.pods.replicas < desiredOf(event),
    createsFailed: ({ event }) => (event as unknown as DoneActorEvent<CreatePodsOutput>).output.error !== undefined,
    deletesFailed: ({ event }) => (event as unknown as DoneActorEvent<DeletePodsOutput>).output.error !== undefined,
    /** Every pod ready but some not yet available: look again when minReadySeconds has passed. */
    readyNotYetAvailable: ({ context }) => {
      const { replicas, minReadySeconds } = replicaSpec(context.owner);
      const { status } = statusToWrite(context);
      return minReadySeconds > 0 && status.readyReplicas === replicas && status.availableReplicas !== replicas;
    },
  },
  delays: {
    minReadySeconds: ({ context }) => replicaSpec(context.owner).minReadySeconds * 1000 + 1,
    // Expectations count as met strictly after the timeout.
    expectationsTimeout: ({ context }) => context.expectationsTimeoutMs + 1,
  },
}).createMachine({
  id: 'replicas',
  context: ({ input }) => ({ ...input, ...NO_ROUND, pods: NO_PODS, expectationsMet: true, now: 0, failure: undefined }),
  initial: 'unobserved',
  on: {
    'replicas.observed': [
      { guard: 'ownerDeleting', target: '.terminating', actions: 'observe' },
      { guard: 'replicasMatch', target: '.steady', actions: 'observe' },
      { guard: 'expectationsPending', target: '.scaling.awaitingPods', actions: 'observe' },
      { guard: 'tooFewPods', target: '.scaling.creating', actions: 'observe' },
      { target: '.scaling.deleting', actions: 'observe' },
    ],
  },
  states: {
    unobserved: {},
    steady: {
      invoke: writeStatus('closeRound'),
      after: { minReadySeconds: { guard: 'readyNotYetAvailable', actions: 'requestSync' } },
    },
    scaling: {
      // Only entered through a child the guards chose; waiting is the harmless default.
      initial: 'awaitingPods',
      states: {
        creating: {
          entry: { type: 'expectCreations', params: ({ context }) => ({ count: podsToCreate(context) }) },
          invoke: {
            id: 'createPods',
            src: 'createPods',
            input: ({ context }) => ({ owner: context.owner, count: podsToCreate(context) }),
            onDone: [
              {
                guard: 'createsFailed',
                target: 'failing',
                actions: [
                  { type: 'forgetSkippedCreations', params: ({ context, event }) => ({ count: podsToCreate(context) - event.output.created }) },
                  { type: 'noteFailure', params: { reason: 'FailedCreate' } },
                ],
              },
              { target: 'awaitingPods' },
            ],
            onError: { target: 'failing', actions: { type: 'noteFailure', params: { reason: 'FailedCreate' } } },
          },
        },
        deleting: {
          entry: { type: 'expectDeletions', params: ({ context }) => ({ uids: uidsOf(podsToDelete(context)) }) },
          invoke: {
            id: 'deletePods',
            src: 'deletePods',
            input: ({ context }) => ({ owner: context.owner, pods: podsToDelete(context) }),
            onDone: [
              {
                guard: 'deletesFailed',
                target: 'failing',
                actions: [
                  { type: 'forgetSkippedDeletions', params: ({ event }) => ({ uids: event.output.notDeleted }) },
                  { type: 'noteFailure', params: { reason: 'FailedDelete' } },
                ],
              },
              { target: 'awaitingPods', actions: { type: 'forgetSkippedDeletions', params: ({ event }) => ({ uids: event.output.notDeleted }) } },
            ],
            onError: { target: 'failing', actions: { type: 'noteFailure', params: { reason: 'FailedDelete' } } },
          },
        },
        awaitingPods: {
          invoke: writeStatus('closeRound'),
          after: { expectationsTimeout: { actions: 'requestSync' } },
        },
        failing: {
          invoke: writeStatus('failRoundWithFailure'),
        },
      },
    },
    terminating: {
      invoke: writeStatus('closeRound'),
    },
  },
});

export type ReplicaMachine = typeof replicaMachine;
