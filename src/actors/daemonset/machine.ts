/**
 * The DaemonSet's lifecycle: one actor per DaemonSet decides, from what the controller observed,
 * what each round does and what the DaemonSet is (Kubernetes' syncDaemonSet as a machine).
 *
 * The controller only reads its caches and sends `daemonset.observed` (the DaemonSet, the nodes,
 * its pods, the time, whether the pods of the last round have been seen). A round (`syncing`,
 * tagged `busy`) then runs, each step chosen by a named guard and each effect an invoked actor
 * the controller provides with `.provide()`:
 *
 *   start ── expectationsPending ──────────────────────────────▶ reporting
 *         ── revisionOutdated ─▶ recordingRevision (syncRevisions) ─▶ planning
 *         ─────────────────────────────────────────────────────▶ planning
 *   planning (planSync + failed-pod back-off) ─ mustDelete ─▶ deleting (deletePods)
 *                                              ─ mustCreate ─▶ creating (createPods)
 *                                              ─ mayRetire ──▶ deleting (rolling update: old pods)
 *                                              ─ maySurge ───▶ creating (rolling update: new pods beside old)
 *                                              ─────────────▶ reporting
 *   reporting ─ statusChanged ─▶ writingStatus (writeStatus) ─▶ done
 *
 * One kind of work per round: Kubernetes runs its rolling update only once manage's creates and
 * deletes are observed, and expectations (controller-kit) hold the next round until they are.
 * After the round the machine settles, by guards on the counts, in `steady` (every node that
 * should run the daemon runs the current template, available), `rolling` (RollingUpdate: some
 * node still runs an old template), `outdated` (OnDelete: old pods wait for their user to delete
 * them) or `progressing` (pods missing, not yet available, or on nodes they should leave). A
 * DaemonSet marked for deletion ends in `terminating` (final: the garbage collector removes its
 * pods through their ownerReferences).
 *
 * Timers go through the actor's clock (SimulatedClock in tests): when a pod becomes available
 * only once minReadySeconds pass, or a failed pod waits out its node's back-off, the round
 * schedules a delayed `daemonset.recheck`, which asks the controller for fresh facts
 * (`requestSync`).
 */
import { assign, cancel, fromPromise, raise, setup, type ErrorActorEvent } from 'xstate';
import type { KubeObject } from '../../api/object.ts';
import { admitFailedDeletions, type FailedPodBackoff } from './failed-pod-backoff.ts';
import { EMPTY_PLAN, planSync, type DaemonPlan, type PlannedDelete } from './plan.ts';
import { strategyOf } from './rolling.ts';
import { calculateStatus, nextAvailableInMs, statusChanged, type DaemonSetStatus } from './status.ts';
import { REVISION_HASH_LABEL, templateHash } from './template.ts';

/** Most pods created or deleted in one round (Kubernetes' BurstReplicas). */
export const DEFAULT_BURST_PODS = 250;

/** What the controller read from its caches for one round. */
export interface DaemonSetFacts {
  ds: KubeObject;
  nodes: readonly KubeObject[];
  /** The pods this DaemonSet controls (terminating ones included). */
  pods: readonly KubeObject[];
  /** Epoch ms (availability, back-off). */
  now: number;
  /** No create or delete of an earlier round is still awaited from the watch (expectations). */
  expectationsMet: boolean;
}

export type DaemonSetEvent =
  /** The controller read the DaemonSet, its nodes and its pods. */
  | { type: 'daemonset.observed'; facts: DaemonSetFacts }
  /** A delayed look again (minReadySeconds passed, a failed pod's back-off elapsed). */
  | { type: 'daemonset.recheck' };

export interface DaemonSetMachineInput {
  namespace?: string;
  name: string;
  /** Most pods created or deleted in one round. */
  burst?: number;
}

/** The pods one round creates or deletes. */
export interface RoundWork {
  create: string[];
  delete: PlannedDelete[];
}

export interface DaemonSetContext {
  namespace?: string;
  name: string;
  burst: number;
  facts?: DaemonSetFacts;
  /** The template hash of the observed DaemonSet. */
  hash: string;
  /** The status the observed facts give. */
  status?: DaemonSetStatus;
  /** The template hash whose ControllerRevision was last made current. */
  revision?: string;
  plan: DaemonPlan;
  backoff: FailedPodBackoff;
  work: RoundWork;
  /** Ms until this round wants a look again (undefined: no timer). */
  recheckInMs?: number;
  /** What an effect of this round failed with (the controller's work queue retries). */
  error?: unknown;
}

export interface CreatePodsInput {
  ds: KubeObject;
  hash: string;
  nodes: string[];
}

export interface DeletePodsInput {
  ds: KubeObject;
  deletions: PlannedDelete[];
}

export interface WriteStatusInput {
  ds: KubeObject;
  status: DaemonSetStatus;
}

export interface SyncRevisionsInput {
  ds: KubeObject;
  hash: string;
  /** The template hashes some pod still runs (their revisions are kept). */
  liveHashes: string[];
}

/** The id of the delayed `daemonset.recheck` (cancelled when a new round starts). */
const RECHECK_ID = 'recheck';

/** The tag of the states in which a round's effects run. */
export const BUSY = 'busy';

/** An effect the controller has not provided: the machine is pure until `.provide()`. */
function notProvided<I>(name: string) {
  return fromPromise<void, I>(() => Promise.reject(new Error(`daemonset machine: effect ${name} not provided`)));
}

type Args = { context: DaemonSetContext };

function factsOf(context: DaemonSetContext): DaemonSetFacts {
  if (!context.facts) throw new Error('daemonset machine: a round without facts');
  return context.facts;
}

function syncRevisionsInput({ context }: Args): SyncRevisionsInput {
  const { ds, pods } = factsOf(context);
  return { ds, hash: context.hash, liveHashes: [...new Set(pods.map((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] ?? ''))] };
}

function createPodsInput({ context }: Args): CreatePodsInput {
  return { ds: factsOf(context).ds, hash: context.hash, nodes: context.work.create };
}

function deletePodsInput({ context }: Args): DeletePodsInput {
  return { ds: factsOf(context).ds, deletions: context.work.delete };
}

function writeStatusInput({ context }: Args): WriteStatusInput {
  return { ds: factsOf(context).ds, status: context.status as DaemonSetStatus };
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** The observed DaemonSet runs some old template on a node it counts. */
function outdated(context: DaemonSetContext): boolean {
  const s = context.status;
  return s !== undefined && s.updatedNumberScheduled < s.currentNumberScheduled;
}

export const daemonSetMachine = setup({
  types: {
    context: {} as DaemonSetContext,
    events: {} as DaemonSetEvent,
    input: {} as DaemonSetMachineInput,
  },
  actors: {
    syncRevisions: notProvided<SyncRevisionsInput>('syncRevisions'),
    createPods: notProvided<CreatePodsInput>('createPods'),
    deletePods: notProvided<DeletePodsInput>('deletePods'),
    writeStatus: notProvided<WriteStatusInput>('writeStatus'),
  },
  actions: {
    /** Keeps the facts, their template hash and status; clears the last round's work. */
    observe: assign(({ event }) => {
      if (event.type !== 'daemonset.observed') return {};
      const { ds, nodes, pods, now } = event.facts;
      const hash = templateHash(ds);
      return {
        facts: event.facts,
        hash,
        status: calculateStatus(ds, hash, nodes, pods, now),
        recheckInMs: nextAvailableInMs(ds, pods, now),
        plan: EMPTY_PLAN,
        work: { create: [], delete: [] },
        error: undefined,
      };
    }),
    /** The round's candidate work (planSync), failed pods admitted by their node's back-off. */
    plan: assign(({ context }) => {
      const { ds, nodes, pods, now } = factsOf(context);
      const plan = planSync({ ds, hash: context.hash, nodes, pods, now });
      const admission = admitFailedDeletions(plan.delete, context.backoff, now, nodes.map((n) => n.metadata?.name ?? ''));
      return { plan: { ...plan, delete: admission.admitted }, backoff: admission.backoff, recheckInMs: minDefined(context.recheckInMs, admission.retryInMs) };
    }),
    takeDeletions: assign({ work: ({ context }) => ({ create: [], delete: context.plan.delete.slice(0, context.burst) }) }),
    takeCreations: assign({ work: ({ context }) => ({ create: context.plan.create.slice(0, context.burst), delete: [] }) }),
    takeRetirements: assign({ work: ({ context }) => ({ create: [], delete: context.plan.retire.slice(0, context.burst) }) }),
    takeSurge: assign({ work: ({ context }) => ({ create: context.plan.surge.slice(0, context.burst), delete: [] }) }),
    revisionRecorded: assign({ revision: ({ context }) => context.hash }),
    effectFailed: assign({ error: ({ event }) => (event as unknown as ErrorActorEvent).error }),
    scheduleRecheck: raise({ type: 'daemonset.recheck' }, { id: RECHECK_ID, delay: ({ context }) => context.recheckInMs ?? 0 }),
    cancelRecheck: cancel(RECHECK_ID),
    /** Ask the controller for fresh facts (it enqueues the DaemonSet's key). */
    requestSync: () => {},
  },
  guards: {
    beingDeleted: ({ event }) => event.type === 'daemonset.observed' && Boolean(event.facts.ds.metadata?.deletionTimestamp),
    expectationsPending: ({ context }) => !factsOf(context).expectationsMet,
    revisionOutdated: ({ context }) => context.revision !== context.hash,
    mustDelete: ({ context }) => context.plan.delete.length > 0,
    mustCreate: ({ context }) => context.plan.create.length > 0,
    mayRetire: ({ context }) => context.plan.retire.length > 0,
    maySurge: ({ context }) => context.plan.surge.length > 0,
    statusChanged: ({ context }) => context.status !== undefined && statusChanged(factsOf(context).ds, context.status),
    recheckDue: ({ context }) => context.recheckInMs !== undefined,
    /** Every node that should run the daemon runs the current template, available; none is misscheduled. */
    settled: ({ context }) => {
      const s = context.status;
      return s !== undefined && s.updatedNumberScheduled === s.desiredNumberScheduled && s.numberAvailable === s.desiredNumberScheduled && s.numberMisscheduled === 0;
    },
    rollingOut: ({ context }) => outdated(context) && strategyOf(factsOf(context).ds).type === 'RollingUpdate',
    awaitingDeletion: ({ context }) => outdated(context) && strategyOf(factsOf(context).ds).type === 'OnDelete',
  },
}).createMachine({
  id: 'daemonset',
  context: ({ input }) => ({
    namespace: input.namespace,
    name: input.name,
    burst: input.burst ?? DEFAULT_BURST_PODS,
    hash: '',
    plan: EMPTY_PLAN,
    backoff: {},
    work: { create: [], delete: [] },
  }),
  initial: 'observing',
  on: {
    'daemonset.observed': [{ guard: 'beingDeleted', target: '.terminating' }, { target: '.syncing', actions: 'observe' }],
    'daemonset.recheck': { actions: 'requestSync' },
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
            input: syncRevisionsInput,
            onDone: { target: 'planning', actions: 'revisionRecorded' },
            onError: { target: 'reporting', actions: 'effectFailed' },
          },
        },
        planning: {
          entry: 'plan',
          always: [
            { guard: 'mustDelete', target: 'deleting', actions: 'takeDeletions' },
            { guard: 'mustCreate', target: 'creating', actions: 'takeCreations' },
            { guard: 'mayRetire', target: 'deleting', actions: 'takeRetirements' },
            { guard: 'maySurge', target: 'creating', actions: 'takeSurge' },
            { target: 'reporting' },
          ],
        },
        deleting: {
          invoke: { id: 'deletePods', src: 'deletePods', input: deletePodsInput, onDone: 'reporting', onError: { target: 'reporting', actions: 'effectFailed' } },
        },
        creating: {
          invoke: { id: 'createPods', src: 'createPods', input: createPodsInput, onDone: 'reporting', onError: { target: 'reporting', actions: 'effectFailed' } },
        },
        reporting: {
          always: [{ guard: 'statusChanged', target: 'writingStatus' }, { target: 'done' }],
        },
        writingStatus: {
          invoke: { id: 'writeStatus', src: 'writeStatus', input: writeStatusInput, onDone: 'done', onError: { target: 'done', actions: 'effectFailed' } },
        },
        done: { type: 'final' },
      },
      onDone: [{ guard: 'recheckDue', target: 'settling', actions: 'scheduleRecheck' }, { target: 'settling' }],
    },
    settling: {
      always: [
        { guard: 'settled', target: 'steady' },
        { guard: 'rollingOut', target: 'rolling' },
        { guard: 'awaitingDeletion', target: 'outdated' },
        { target: 'progressing' },
      ],
    },
    steady: {},
    rolling: {},
    outdated: {},
    progressing: {},
    /** Final: the actor is done and takes nothing more (the explicit no-ops keep pure `transition()` calls there too). */
    terminating: { type: 'final', on: { 'daemonset.observed': {}, 'daemonset.recheck': {} } },
  },
});

export type DaemonSetMachine = typeof daemonSetMachine;
