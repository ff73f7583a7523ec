/**
 * The StatefulSet's lifecycle: one actor per StatefulSet decides, from what the controller
 * observed, what each round does and what the set is (Kubernetes' StatefulSet control loop as a
 * machine).
 *
 * The controller only reads its caches and sends `statefulset.observed` (the set, the pods it
 * controls, the names of every pod that could hold one of its identities, the claims named
 * after its templates, the ControllerRevisions it controls, the time, and whether the creates
 * and deletes of the last round have come back through the watch). A round (`syncing`, tagged
 * `busy`) then runs; each step is chosen by named guards and each effect is an invoked actor
 * the controller provides with `.provide()`:
 *
 *   start ── expectationsPending ─────────────────────────────────▶ reporting
 *         ── revisionOutdated ─▶ recordingRevision (syncRevisions) ─▶ planning
 *         ────────────────────────────────────────────────────────▶ planning
 *   planning (planStatefulSet) ─ mustReplaceFailed ─▶ deleting                        (a Failed/Succeeded pod)
 *                              ─ mayCreate ─▶ orderingCreation ─ predecessorsReady ─▶ claimingIdentity ─ identityFree ─▶ creating (claims, then the pod)
 *                              ─▶ choosing ─ mustRepair ─▶ repairing                  (claims, labels, claim owners)
 *                                          ─ mayCondemn ─▶ orderingScaleDown ─ successorsGone ─▶ deleting (scale down)
 *                                          ─▶ choosingUpdate ─ mayUpdate ─▶ deleting   (rolling update)
 *                                                            ─▶ reporting
 *   (a check that does not hold goes on to `choosing`, or from orderingScaleDown to `choosingUpdate`)
 *   reporting ─ statusChanged ─▶ writingStatus (writeStatus) ─▶ done
 *
 * `planStatefulSet` (plan.ts) is Kubernetes' walk over the slots; the guards pick one kind of
 * work per round, the next round waiting (expectations) until the watch has seen this one's.
 * Two guards hold the set's promises on their own, from the facts rather than the plan:
 * `predecessorsReady` (OrderedReady: a pod is created only when every lower ordinal runs, ready
 * and available) and `identityFree` (never two pods with one identity: a pod is created only
 * when no pod object of that name exists at all, owned or not, terminating or not: a pod on a
 * lost node is replaced only once it is confirmed gone from the store); `successorsGone` keeps
 * scale down in reverse order, one pod at a time.
 *
 * After the round the machine settles by guards in `steady` (every replica at the update
 * revision, running, ready and available), `rolling` (RollingUpdate: a pod at or above the
 * partition is not at the update revision), `partitioned` (RollingUpdate: only pods below the
 * partition are old), `outdated` (OnDelete: old pods wait for their user to delete them) or
 * `progressing` (pods missing, extra, or not yet available). A set marked for deletion ends in
 * `terminating` (final: the garbage collector removes its pods, and its claims when
 * `whenDeleted` is Delete).
 *
 * Timers go through the actor's clock: a pod that becomes available only once minReadySeconds
 * pass makes the round schedule `statefulset.recheck`, which asks for a sync (`requestSync`).
 */
import { assign, cancel, fromPromise, raise, setup, type DoneActorEvent, type ErrorActorEvent } from 'xstate';
import type { KubeObject } from '../../api/object.ts';
import { ordinalOf, podName, revisionOf } from './identity.ts';
import { isRunningAndAvailable, isRunningAndReady, isTerminating, nextAvailableInMs } from './pod-state.ts';
import { EMPTY_PLAN, planStatefulSet, slotsOf, type PodRepair, type PodToCreate, type SetPlan } from './plan.ts';
import { resolveRevisions, type ResolvedRevisions, type RevisionAction } from './revisions.ts';
import { statefulSetSpec } from './spec.ts';
import { calculateStatus, statusChanged, type StatefulSetStatus } from './status.ts';

/** Most pods created or deleted in one round (Kubernetes' MaxBatchSize). */
export const DEFAULT_BURST_PODS = 500;

/** What the controller read from its caches for one round. */
export interface StatefulSetFacts {
  set: KubeObject;
  /** The pods the set controls (terminating ones included). */
  pods: readonly KubeObject[];
  /** Every pod in the set's namespace named like a member (`<set>-<n>`), whoever owns it, in any state. */
  podNames: readonly string[];
  /** The namespace's claims named after the set's claim templates. */
  claims: readonly KubeObject[];
  /** The ControllerRevisions the set controls. */
  revisions: readonly KubeObject[];
  /** Epoch ms (availability). */
  now: number;
  /** No create or delete of an earlier round is still awaited from the watch. */
  expectationsMet: boolean;
}

export type StatefulSetEvent =
  /** The controller read the set, its pods, claims and revisions. */
  | { type: 'statefulset.observed'; facts: StatefulSetFacts }
  /** A delayed look again (minReadySeconds passed). */
  | { type: 'statefulset.recheck' };

export interface StatefulSetMachineInput {
  namespace?: string;
  name: string;
  /** Most pods created or deleted in one round. */
  burst?: number;
}

export type DeleteReason = 'Failed' | 'ScaleDown' | 'Update';

/** The work one round does: one kind only. */
export interface RoundWork {
  create: PodToCreate[];
  delete: { pod: KubeObject; reason: DeleteReason }[];
  repair: PodRepair[];
}

export interface StatefulSetContext {
  namespace?: string;
  name: string;
  burst: number;
  facts?: StatefulSetFacts;
  revisions?: ResolvedRevisions;
  status?: StatefulSetStatus;
  plan: SetPlan;
  work: RoundWork;
  /** Ms until this round wants a look again (undefined: no timer). */
  recheckInMs?: number;
  /** What an effect of this round failed with (the controller's work queue retries). */
  error?: unknown;
}

export interface SyncRevisionsInput {
  set: KubeObject;
  /** The update revision's name (what `action` makes current; a name collision changes it). */
  updateRevision: string;
  action: RevisionAction;
  /** History revisions to delete (beyond revisionHistoryLimit). */
  truncate: string[];
  collisionCount: number;
}

/** The update revision as stored (a name collision changes its name and the count). */
export interface SyncRevisionsOutput {
  updateRevision: string;
  collisionCount: number;
}

export interface CreatePodsInput {
  set: KubeObject;
  pods: PodToCreate[];
}

export interface DeletePodsInput {
  set: KubeObject;
  deletions: RoundWork['delete'];
}

export interface RepairPodsInput {
  set: KubeObject;
  repairs: PodRepair[];
}

export interface WriteStatusInput {
  set: KubeObject;
  status: StatefulSetStatus;
}

/** The tag of the states in which a round's effects run. */
export const BUSY = 'busy';

/** The id of the delayed `statefulset.recheck` (cancelled when a new round starts). */
const RECHECK_ID = 'recheck';

const NO_WORK: RoundWork = { create: [], delete: [], repair: [] };

/** An effect the controller has not provided: the machine is pure until `.provide()`. */
function notProvided<O, I>(name: string) {
  return fromPromise<O, I>(() => Promise.reject(new Error(`statefulset machine: effect ${name} not provided`)));
}

type Args = { context: StatefulSetContext };

function factsOf(context: StatefulSetContext): StatefulSetFacts {
  if (!context.facts) throw new Error('statefulset machine: a round without facts');
  return context.facts;
}

function revisionsOf(context: StatefulSetContext): ResolvedRevisions {
  if (!context.revisions) throw new Error('statefulset machine: a round without revisions');
  return context.revisions;
}

function statusOf(facts: StatefulSetFacts, revisions: ResolvedRevisions): StatefulSetStatus {
  return calculateStatus({ set: facts.set, pods: facts.pods, currentRevision: revisions.current.name, updateRevision: revisions.update.name, collisionCount: revisions.collisionCount, now: facts.now });
}

/** Running, ready, available for minReadySeconds and not terminating: what OrderedReady waits for. */
function settledPod(pod: KubeObject | undefined, minReadySeconds: number, now: number): boolean {
  return pod !== undefined && !isTerminating(pod) && isRunningAndReady(pod) && isRunningAndAvailable(pod, minReadySeconds, now);
}

/** Live pods of the set not at the update revision. */
function outdatedPods(context: StatefulSetContext): KubeObject[] {
  const update = context.revisions?.update.name;
  return (context.facts?.pods ?? []).filter((p) => !isTerminating(p) && revisionOf(p) !== update);
}

export const statefulSetMachine = setup({
  types: {
    context: {} as StatefulSetContext,
    events: {} as StatefulSetEvent,
    input: {} as StatefulSetMachineInput,
  },
  actors: {
    syncRevisions: notProvided<SyncRevisionsOutput, SyncRevisionsInput>('syncRevisions'),
    createPods: notProvided<void, CreatePodsInput>('createPods'),
    deletePods: notProvided<void, DeletePodsInput>('deletePods'),
    repairPods: notProvided<void, RepairPodsInput>('repairPods'),
    writeStatus: notProvided<void, WriteStatusInput>('writeStatus'),
  },
  actions: {
    /** Keeps the facts, resolves the revisions, computes the status; clears the last round's work. */
    observe: assign(({ event }) => {
      if (event.type !== 'statefulset.observed') return {};
      const { set, pods, revisions: controlled, now } = event.facts;
      const revisions = resolveRevisions(set, controlled, pods);
      return {
        facts: event.facts,
        revisions,
        status: statusOf(event.facts, revisions),
        recheckInMs: nextAvailableInMs(pods, statefulSetSpec(set).minReadySeconds, now),
        plan: EMPTY_PLAN,
        work: NO_WORK,
        error: undefined,
      };
    }),
    /** The stored update revision (its name changes on a hash collision). */
    revisionRecorded: assign(({ context, event }) => {
      const { updateRevision, collisionCount } = (event as unknown as DoneActorEvent<SyncRevisionsOutput>).output;
      const before = revisionsOf(context);
      const update = { ...before.update, name: updateRevision };
      const current = before.current.name === before.update.name ? update : before.current;
      const revisions: ResolvedRevisions = { ...before, update, current, collisionCount, action: { type: 'none' }, truncate: [] };
      return { revisions, status: statusOf(factsOf(context), revisions) };
    }),
    /** This round's candidate work (Kubernetes' walk over the slots). */
    plan: assign(({ context }) => {
      const { set, pods, claims, now } = factsOf(context);
      const { current, update } = revisionsOf(context);
      return { plan: planStatefulSet({ set, pods, claims: new Map(claims.map((c) => [c.metadata?.name ?? '', c])), current, update, now }) };
    }),
    takeFailed: assign({ work: ({ context }) => ({ ...NO_WORK, delete: firstOrAll(context, context.plan.replaceFailed).map((pod) => ({ pod, reason: 'Failed' as const })) }) }),
    takeCreations: assign({ work: ({ context }) => ({ ...NO_WORK, create: firstOrAll(context, context.plan.create) }) }),
    takeRepairs: assign({ work: ({ context }) => ({ ...NO_WORK, repair: context.plan.repair }) }),
    takeCondemned: assign({ work: ({ context }) => ({ ...NO_WORK, delete: firstOrAll(context, context.plan.condemn).map((pod) => ({ pod, reason: 'ScaleDown' as const })) }) }),
    takeUpdates: assign({ work: ({ context }) => ({ ...NO_WORK, delete: context.plan.update.slice(0, context.burst).map((pod) => ({ pod, reason: 'Update' as const })) }) }),
    effectFailed: assign({ error: ({ event }) => (event as unknown as ErrorActorEvent).error }),
    scheduleRecheck: raise({ type: 'statefulset.recheck' }, { id: RECHECK_ID, delay: ({ context }) => context.recheckInMs ?? 0 }),
    cancelRecheck: cancel(RECHECK_ID),
    /** Ask the controller for fresh facts (it enqueues the set's key). */
    requestSync: () => {},
  },
  guards: {
    beingDeleted: ({ event }) => event.type === 'statefulset.observed' && Boolean(event.facts.set.metadata?.deletionTimestamp),
    expectationsPending: ({ context }) => !factsOf(context).expectationsMet,
    revisionOutdated: ({ context }) => revisionsOf(context).action.type !== 'none' || revisionsOf(context).truncate.length > 0,
    mustReplaceFailed: ({ context }) => context.plan.replaceFailed.length > 0,
    mayCreate: ({ context }) => context.plan.create.length > 0,
    /** OrderedReady: every ordinal below the first pod to create runs, ready and available. */
    predecessorsReady: ({ context }) => {
      const { set, pods, now } = factsOf(context);
      const spec = statefulSetSpec(set);
      if (spec.parallel) return true;
      const first = context.plan.create[0];
      if (!first) return false;
      const { slots } = slotsOf(spec, pods);
      return slots.slice(0, first.ordinal - spec.start).every((p) => settledPod(p, spec.minReadySeconds, now));
    },
    /** Never two pods with one identity: no pod object of the name exists, in any state, whoever owns it. */
    identityFree: ({ context }) => {
      const { set, podNames } = factsOf(context);
      const taken = new Set(podNames);
      return firstOrAll(context, context.plan.create).every((p) => !taken.has(podName(set, p.ordinal)));
    },
    mustRepair: ({ context }) => context.plan.repair.length > 0,
    mayCondemn: ({ context }) => context.plan.condemn.length > 0,
    /**
     * OrderedReady scales down from the top, one pod at a time: no higher pod of the set is left,
     * none is terminating, and every pod it keeps runs, ready and available.
     */
    successorsGone: ({ context }) => {
      const { set, pods, now } = factsOf(context);
      const spec = statefulSetSpec(set);
      if (spec.parallel) return true;
      const target = context.plan.condemn[0];
      if (!target) return false;
      const { slots } = slotsOf(spec, pods);
      return pods.every((p) => p === target || (ordinalOf(p) < ordinalOf(target) && !isTerminating(p))) && slots.every((p) => settledPod(p, spec.minReadySeconds, now));
    },
    mayUpdate: ({ context }) => context.plan.update.length > 0,
    statusChanged: ({ context }) => context.status !== undefined && statusChanged(factsOf(context).set, context.status),
    recheckDue: ({ context }) => context.recheckInMs !== undefined,
    /** Every replica is at the update revision, running, ready and available; nothing extra. */
    settled: ({ context }) => {
      const s = context.status;
      const desired = statefulSetSpec(factsOf(context).set).replicas;
      return s !== undefined && s.replicas === desired && s.readyReplicas === desired && s.availableReplicas === desired && s.updatedReplicas === desired;
    },
    /** RollingUpdate: a pod at or above the partition is not at the update revision. */
    rollingOut: ({ context }) => {
      const spec = statefulSetSpec(factsOf(context).set);
      return spec.strategy === 'RollingUpdate' && outdatedPods(context).some((p) => ordinalOf(p) - spec.start >= spec.partition);
    },
    /** RollingUpdate: only pods below the partition are old. */
    partitionHeld: ({ context }) => statefulSetSpec(factsOf(context).set).strategy === 'RollingUpdate' && outdatedPods(context).length > 0,
    /** OnDelete: old pods wait for their user. */
    awaitingDeletion: ({ context }) => statefulSetSpec(factsOf(context).set).strategy === 'OnDelete' && outdatedPods(context).length > 0,
  },
}).createMachine({
  id: 'statefulset',
  context: ({ input }) => ({
    namespace: input.namespace,
    name: input.name,
    burst: input.burst ?? DEFAULT_BURST_PODS,
    plan: EMPTY_PLAN,
    work: NO_WORK,
  }),
  initial: 'observing',
  on: {
    'statefulset.observed': [{ guard: 'beingDeleted', target: '.terminating' }, { target: '.syncing', actions: 'observe' }],
    'statefulset.recheck': { actions: 'requestSync' },
  },
  states: {
    /** Nothing observed yet. */
    observing: {},
    syncing: {
      tags: [BUSY],
      entry: 'cancelRecheck',
      initial: 'start',
      states: {
        start: {
          always: [{ guard: 'expectationsPending', target: 'reporting' }, { guard: 'revisionOutdated', target: 'recordingRevision' }, { target: 'planning' }],
        },
        recordingRevision: {
          invoke: {
            id: 'syncRevisions',
            src: 'syncRevisions',
            input: ({ context }: Args): SyncRevisionsInput => {
              const { set } = factsOf(context);
              const { update, action, truncate, collisionCount } = revisionsOf(context);
              return { set, updateRevision: update.name, action, truncate, collisionCount };
            },
            onDone: { target: 'planning', actions: 'revisionRecorded' },
            onError: { target: 'reporting', actions: 'effectFailed' },
          },
        },
        planning: {
          entry: 'plan',
          always: [
            { guard: 'mustReplaceFailed', target: 'deleting', actions: 'takeFailed' },
            { guard: 'mayCreate', target: 'orderingCreation' },
            { target: 'choosing' },
          ],
        },
        /** OrderedReady: the first pod to create waits for every lower ordinal. */
        orderingCreation: {
          always: [{ guard: 'predecessorsReady', target: 'claimingIdentity' }, { target: 'choosing' }],
        },
        /** Never two pods with one identity: no pod object of the name may exist. */
        claimingIdentity: {
          always: [{ guard: 'identityFree', target: 'creating', actions: 'takeCreations' }, { target: 'choosing' }],
        },
        choosing: {
          always: [{ guard: 'mustRepair', target: 'repairing', actions: 'takeRepairs' }, { guard: 'mayCondemn', target: 'orderingScaleDown' }, { target: 'choosingUpdate' }],
        },
        /** OrderedReady: scale down from the top, one pod at a time. */
        orderingScaleDown: {
          always: [{ guard: 'successorsGone', target: 'deleting', actions: 'takeCondemned' }, { target: 'choosingUpdate' }],
        },
        choosingUpdate: {
          always: [{ guard: 'mayUpdate', target: 'deleting', actions: 'takeUpdates' }, { target: 'reporting' }],
        },
        creating: {
          invoke: {
            id: 'createPods',
            src: 'createPods',
            input: ({ context }: Args): CreatePodsInput => ({ set: factsOf(context).set, pods: context.work.create }),
            onDone: 'reporting',
            onError: { target: 'reporting', actions: 'effectFailed' },
          },
        },
        deleting: {
          invoke: {
            id: 'deletePods',
            src: 'deletePods',
            input: ({ context }: Args): DeletePodsInput => ({ set: factsOf(context).set, deletions: context.work.delete }),
            onDone: 'reporting',
            onError: { target: 'reporting', actions: 'effectFailed' },
          },
        },
        repairing: {
          invoke: {
            id: 'repairPods',
            src: 'repairPods',
            input: ({ context }: Args): RepairPodsInput => ({ set: factsOf(context).set, repairs: context.work.repair }),
            onDone: 'reporting',
            onError: { target: 'reporting', actions: 'effectFailed' },
          },
        },
        reporting: {
          always: [{ guard: 'statusChanged', target: 'writingStatus' }, { target: 'done' }],
        },
        writingStatus: {
          invoke: {
            id: 'writeStatus',
            src: 'writeStatus',
            input: ({ context }: Args): WriteStatusInput => ({ set: factsOf(context).set, status: context.status as StatefulSetStatus }),
            onDone: 'done',
            onError: { target: 'done', actions: 'effectFailed' },
          },
        },
        done: { type: 'final' },
      },
      onDone: [{ guard: 'recheckDue', target: 'settling', actions: 'scheduleRecheck' }, { target: 'settling' }],
    },
    settling: {
      always: [
        { guard: 'settled', target: 'steady' },
        { guard: 'rollingOut', target: 'rolling' },
        { guard: 'partitionHeld', target: 'partitioned' },
        { guard: 'awaitingDeletion', target: 'outdated' },
        { target: 'progressing' },
      ],
    },
    steady: {},
    rolling: {},
    partitioned: {},
    outdated: {},
    progressing: {},
    /** Final: the actor is done and takes nothing more (the explicit no-ops keep pure `transition()` calls there too). */
    terminating: { type: 'final', on: { 'statefulset.observed': {}, 'statefulset.recheck': {} } },
  },
});

/** OrderedReady takes the first candidate, Parallel all of them (at most `burst`). */
function firstOrAll<T>(context: StatefulSetContext, items: readonly T[]): T[] {
  const parallel = context.facts !== undefined && statefulSetSpec(context.facts.set).parallel;
  return items.slice(0, parallel ? context.burst : 1);
}

export type StatefulSetMachine = typeof statefulSetMachine;
