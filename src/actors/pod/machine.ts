/**
 * The pod state machine: one actor per pod on its node. Its states are the pod's phases
 * (pending → running → succeeded | failed) and its deletion (terminating); each container is a
 * child actor (`container-machine.ts`, id `container:<name>`, init containers first) that lives
 * its own life and reports to the pod. The pod's transitions follow from those reports, chosen by
 * guards over its records of the containers (`container-records.ts`):
 *
 * ```
 * pending: scheduling → [mountingVolumes ⇄ mountBackoff] → creatingSandbox ⇄ sandboxBackoff →
 *          initializing (init containers, one at a time) → startingContainers ─every container started→ running
 * pending | running ─every container done→ succeeded (all exited 0) | failed
 * pending | running ─volume.failed | node.lost | node.fenced | an init container failed for good→ failed
 * pending | running ─pod.delete→ terminating (graceful → killing) ─every container stopped→ succeeded | failed
 * succeeded, failed: deciding → retained ─pod.delete→ removed (final) — a terminal phase never changes
 * ```
 *
 * The pod hands each container the runtime's facts about it (`image.*`, `container.created`,
 * `container.started`, `container.exited`, `probe.*`), commands it (`container.start`,
 * `container.stop`), and carries out the effects its containers ask for (`container.effect`) as
 * its own named actions, so the effect layer provides every effect in one place. The status is
 * written (`reportStatus`) once per settled transition, when it changed.
 *
 * A pod with volumes has them set up first (`mountVolumes`); one that cannot be set up yet (a
 * missing ConfigMap, a claim not bound) records FailedMount and is retried after a back-off
 * (0.5 s doubling to 122 s, as the kubelet's volume operations) or at once when the node says a
 * source changed (`sources.changed`): the pod stays Pending, never stuck.
 *
 * Timers go through the actor's clock (pass `clock` to `createActor`; tests use `SimulatedClock`):
 * the volume retry (`mountRetry`), the sandbox retry (`sandboxRetry`) and the termination grace
 * (`terminationGrace`) here; each container's back-offs and its probers' periods in the children.
 */
import { assign, sendTo, setup } from 'xstate';
import type { PodStatus } from 'kubernetes-types/core/v1.js';
import { backoffDelayMs, mountBackoffMs } from './backoff.ts';
import { containerMachine } from './container-machine.ts';
import { containerActorId, type ContainerEffectRequest, type ContainerReport, type StopReason } from './container-events.ts';
import {
  allRecords,
  everyDone,
  everyInitPassed,
  everyReady,
  everyStarted,
  hasContainer,
  initFailed,
  initReady,
  isInitContainer,
  isSidecar,
  nextInitContainer,
  readinessRecords,
  sidecarNames,
  someRunning,
  succeeded,
  withReport,
} from './container-records.ts';
import { initialPodContext, type PodContext } from './context.ts';
import type { ContainerFactEvent, PodEventRecord, PodMachineEvent, PodMachineInput, ProbeFactEvent, StopSignal } from './events.ts';
import { podStatus } from './status.ts';

/** Everything the pod machine accepts: the outside's facts and commands, and its containers' reports. */
export type PodInternalEvent = PodMachineEvent | ContainerReport | ContainerEffectRequest;

type Event = PodInternalEvent;

/** Facts about one container, handed to its actor. */
const CONTAINER_FACTS = [
  'image.pulled',
  'image.pullFailed',
  'container.created',
  'container.started',
  'container.exited',
  'probe.succeeded',
  'probe.failed',
  'probe.errored',
  'container.configFailed',
] as const;

function containerFactOf(e: Event): ContainerFactEvent | ProbeFactEvent | undefined {
  return (CONTAINER_FACTS as readonly string[]).includes(e.type) ? (e as ContainerFactEvent | ProbeFactEvent) : undefined;
}

function reportOf(e: Event): ContainerReport | undefined {
  return e.type === 'container.running' || e.type === 'container.terminated' || e.type === 'container.changed' ? e : undefined;
}

/** The context as it will be once the report is taken in (guards decide on it). */
function reported(context: PodContext, e: Event): PodContext {
  const report = reportOf(e);
  return report ? withReport(context, report) : context;
}

/**
 * The status a context shows, and its JSON, computed once per context object (contexts are
 * immutable: most events — effects asked for, facts handed on — leave it as it was, and the
 * status-changed check runs after every one).
 */
const STATUS = new WeakMap<PodContext, { status: PodStatus; json: string }>();

function statusOf(context: PodContext): { status: PodStatus; json: string } {
  let known = STATUS.get(context);
  if (!known) {
    const status = podStatus(context);
    known = { status, json: JSON.stringify(status) };
    STATUS.set(context, known);
  }
  return known;
}

function podRef(context: PodContext): string {
  return `${context.namespace}/${context.name}`;
}

const base = setup({
  types: {
    context: {} as PodContext,
    events: {} as PodInternalEvent,
    input: {} as PodMachineInput,
  },
  actors: {
    container: containerMachine,
  },
  actions: {
    mountVolumes: () => {},
    createSandbox: () => {},
    startContainer: (_, _params: { name: string }) => {},
    stopContainer: (_, _params: { name: string; signal: StopSignal; graceSeconds?: number }) => {},
    removePod: () => {},
    stopSandbox: () => {},
    recordEvent: (_, _params: PodEventRecord) => {},
    reportStatus: (_, _params: { status: PodStatus }) => {},
  },
  guards: {
    isBound: ({ context }) => context.nodeName !== undefined,
    hasInitContainers: ({ context }) => context.initContainers.length > 0,
    hasVolumes: ({ context }) => context.volumes.length > 0,
    /** On a node, with volumes to set up before the sandbox. */
    isBoundWithVolumes: ({ context }) => context.nodeName !== undefined && context.volumes.length > 0,
    /** A fact about a container this pod has (facts about others are ignored). */
    isKnownContainer: ({ context, event }) => {
      const fact = containerFactOf(event);
      return fact !== undefined && hasContainer(context, fact.name);
    },
    deletionRequested: ({ context }) => context.deletion !== undefined,
    killSent: ({ context }) => context.deletion?.killed === true,
    someContainerRunning: ({ context }) => someRunning(context),
    // On a container's report, with the report taken in:
    /** An init container will not run again without completing (Never): the pod cannot start. */
    initContainerFailed: ({ context, event }) => {
      const report = reportOf(event);
      return report !== undefined && isInitContainer(context, report.name) && !isSidecar(context, report.name) && initFailed(report.view);
    },
    /** The last init container completed (or, a sidecar, started): the containers start. */
    lastInitContainerCompleted: ({ context, event }) => {
      const report = reportOf(event);
      const next = reported(context, event);
      return report !== undefined && isInitContainer(context, report.name) && initReady(next, report.view) && everyInitPassed(next);
    },
    /** An init container completed (or, a sidecar, started) and another follows. */
    initContainerCompleted: ({ context, event }) => {
      const report = reportOf(event);
      return report !== undefined && isInitContainer(context, report.name) && initReady(reported(context, event), report.view);
    },
    /** Every container started at least once: Running. */
    everyContainerStarted: ({ context, event }) => everyStarted(reported(context, event).containers),
    /** Every container is done and each last run exited 0: Succeeded (sidecars do not count). */
    everyContainerSucceeded: ({ context, event }) => reported(context, event).containers.every(succeeded),
    /** Every container is done (and not all exited 0): Failed. */
    everyContainerDone: ({ context, event }) => everyDone(reported(context, event).containers),
    /** Deleting: nothing runs any more (init containers and sidecars included), every container's last run exited 0. */
    everyContainerStoppedSucceeded: ({ context, event }) => {
      const next = reported(context, event);
      return everyDone(allRecords(next)) && next.containers.every(succeeded);
    },
    /** Deleting: nothing runs any more (init containers and sidecars included). */
    everyContainerStopped: ({ context, event }) => everyDone(allRecords(reported(context, event))),
    /** The status shows something not yet written (and the pod is not removed). */
    statusChanged: ({ context }) => !context.removed && statusOf(context).json !== context.reportedStatus,
  },
  delays: {
    mountRetry: ({ context }) => mountBackoffMs(context.mountFailures),
    sandboxRetry: ({ context }) => backoffDelayMs(context.sandboxFailures),
    terminationGrace: ({ context }) => (context.deletion?.graceSeconds ?? context.terminationGracePeriodSeconds) * 1000,
  },
});

type Enqueue = Parameters<Parameters<typeof base.enqueueActions>[0]>[0]['enqueue'];

function recordWith(enqueue: Enqueue, record: PodEventRecord): void {
  enqueue({ type: 'recordEvent', params: record });
}

/** An action recording one pod Event, worded from the context and the event. */
function record(make: (c: PodContext, e: Event) => PodEventRecord) {
  return base.enqueueActions(({ context, event, enqueue }) => recordWith(enqueue, make(context, event)));
}

/** The signal a stop sends: the delete's (SIGKILL with grace 0), SIGKILL when failing or past the grace, none to a lost node. */
function stopSignal(context: PodContext, reason: StopReason): StopSignal | undefined {
  if (reason === 'nodeLost') return undefined;
  if (reason === 'podCompleted') return 'SIGTERM';
  if (reason === 'deleted' && context.deletion?.killed !== true) return 'SIGTERM';
  return 'SIGKILL';
}

/** An action telling every container to stop for good (`reason` says how: see StopReason). */
function stopEveryContainer(reason: StopReason) {
  return base.enqueueActions(({ context, enqueue }) => {
    const signal = stopSignal(context, reason);
    const graceSeconds = context.deletion?.graceSeconds;
    for (const c of allRecords(context)) {
      enqueue.sendTo(containerActorId(c.name), {
        type: 'container.stop',
        reason,
        ...(signal === undefined ? {} : { signal }),
        ...(graceSeconds === undefined ? {} : { graceSeconds }),
      });
    }
  });
}

const withActions = base.extend({
  actions: {
    /** One child actor per container, init containers first, with a stable id. */
    spawnContainers: base.enqueueActions(({ context, enqueue }) => {
      for (const input of context.containerInputs) enqueue.spawnChild('container', { id: containerActorId(input.name), input });
    }),
    /** A fact about one container goes to that container's actor. */
    forwardToContainer: sendTo(
      ({ event }) => containerActorId(containerFactOf(event)?.name ?? ''),
      ({ event }) => containerFactOf(event)!,
    ),
    /** A container asked for an effect: the pod's named action of that name carries it out. */
    enactContainerEffect: base.enqueueActions(({ event, enqueue }) => {
      if (event.type === 'container.effect') enqueue(event.effect);
    }),
    /** A container's report: its record replaced; the readiness conditions' time moves if they flip. */
    assignReport: assign(({ context, event }) => {
      const report = reportOf(event);
      if (!report) return {};
      const next = withReport(context, report);
      const flipped = everyReady(readinessRecords(context)) !== everyReady(readinessRecords(next));
      return {
        initContainers: next.initContainers,
        containers: next.containers,
        ...(flipped && report.at !== undefined ? { readyTransitionAt: report.at } : {}),
      };
    }),
    assignInitialized: assign(({ context, event }) => ({ initialized: true, initializedAt: reportOf(event)?.at ?? context.initializedAt })),
    startNextInitContainer: base.enqueueActions(({ context, enqueue }) => {
      const next = nextInitContainer(context);
      if (next) enqueue.sendTo(containerActorId(next.name), { type: 'container.start' });
    }),
    startAppContainers: base.enqueueActions(({ context, enqueue }) => {
      for (const c of context.containers) enqueue.sendTo(containerActorId(c.name), { type: 'container.start' });
    }),
    /** Deleted: every container stops for good (SIGTERM, or SIGKILL with grace 0). */
    stopContainersForDelete: stopEveryContainer('deleted'),
    /** The grace ran out: SIGKILL what still runs. */
    killContainersAfterGrace: stopEveryContainer('graceExpired'),
    /** The pod failed as a whole: SIGKILL what runs, nothing starts again. */
    killContainersOfFailedPod: stopEveryContainer('podFailed'),
    /** The node is lost: nothing can be signalled, nothing starts again. */
    abandonContainers: stopEveryContainer('nodeLost'),
    /** The containers are done: the sidecars stop (SIGTERM, the pod's grace). */
    stopSidecars: base.enqueueActions(({ context, enqueue }) => {
      for (const name of sidecarNames(context)) {
        enqueue.sendTo(containerActorId(name), { type: 'container.stop', reason: 'podCompleted', signal: 'SIGTERM', graceSeconds: context.terminationGracePeriodSeconds });
      }
    }),

    assignNode: assign(({ context, event }) =>
      event.type === 'pod.scheduled' ? { nodeName: event.nodeName, scheduledAt: event.at } : { nodeName: context.nodeName },
    ),
    recordScheduled: record((c, e) => ({
      type: 'Normal',
      reason: 'Scheduled',
      message: `Successfully assigned ${podRef(c)} to ${e.type === 'pod.scheduled' ? e.nodeName : (c.nodeName ?? '')}`,
    })),
    assignSandbox: assign(({ context, event }) => {
      if (event.type !== 'sandbox.created') return {};
      return { startTime: context.startTime ?? event.at, podIP: event.podIP, sandboxFailures: 0 };
    }),
    recordSandboxCreated: record((_, e) => ({
      type: 'Normal',
      reason: 'SandboxCreated',
      message: `Created pod sandbox${e.type === 'sandbox.created' && e.podIP ? ` with IP ${e.podIP}` : ''}`,
    })),
    countSandboxFailure: assign(({ context }) => ({ sandboxFailures: context.sandboxFailures + 1 })),
    recordSandboxFailed: record((_, e) => ({
      type: 'Warning',
      reason: 'FailedCreatePodSandBox',
      message: `Failed to create pod sandbox: ${e.type === 'sandbox.failed' ? e.message : ''}`,
    })),
    recordSandboxChanged: record(() => ({ type: 'Normal', reason: 'SandboxChanged', message: 'Pod sandbox failed, it will be re-created.' })),
    countMountFailure: assign(({ context }) => ({ mountFailures: context.mountFailures + 1 })),
    resetMountFailures: assign({ mountFailures: 0 }),
    recordFailedMount: record((_, e) => ({ type: 'Warning', reason: 'FailedMount', message: e.type === 'volumes.failed' ? e.message : '' })),
    /** The pod waits: its status (ContainerCreating) is written even if nothing changed since it was created. */
    showWaiting: assign(({ context }) => (context.statusWritten ? {} : { reportedStatus: undefined })),
    /** A source changed: every container waiting on its configuration tries again. */
    retryContainers: base.enqueueActions(({ context, enqueue }) => {
      for (const c of allRecords(context)) enqueue.sendTo(containerActorId(c.name), { type: 'container.retry' });
    }),

    assignDeletion: assign(({ context, event }) => {
      if (event.type !== 'pod.delete' || context.deletion) return {};
      const graceSeconds = Math.max(0, event.gracePeriodSeconds ?? context.terminationGracePeriodSeconds);
      return { deletion: { graceSeconds, killed: graceSeconds === 0 } };
    }),
    recordRemoving: record((c) => ({ type: 'Normal', reason: 'Killing', message: `Removing pod ${podRef(c)}` })),
    expireGrace: assign(({ context }) => ({
      deletion: { graceSeconds: context.deletion?.graceSeconds ?? context.terminationGracePeriodSeconds, killed: true },
    })),
    failForVolume: base.enqueueActions(({ event, enqueue }) => {
      const message = `Volume failed: ${event.type === 'volume.failed' ? event.message : ''}`;
      enqueue.assign({ message });
      recordWith(enqueue, { type: 'Warning', reason: 'FailedMount', message: `${message}; killing all containers` });
    }),
    failForNodeLost: base.enqueueActions(({ context, event, enqueue }) => {
      const given = event.type === 'node.lost' ? event.message : undefined;
      const message = given ?? `Node ${context.nodeName ?? '<none>'} which was running pod ${context.name} is unresponsive`;
      enqueue.assign({ reason: 'NodeLost', message });
      recordWith(enqueue, { type: 'Warning', reason: 'NodeLost', message });
    }),
    failForFence: base.enqueueActions(({ event, enqueue }) => {
      const message = event.type === 'node.fenced' ? event.message : '';
      enqueue.assign({ reason: 'NodeLost', message });
      recordWith(enqueue, { type: 'Warning', reason: 'NodeLost', message: `${message}; killing all containers` });
    }),
    assignPhase: assign((_, params: { phase: PodContext['phase'] }) => ({ phase: params.phase })),
    markRemoved: assign({ removed: true }),
    /** Write the status if it changed since the last write. */
    reportCurrentStatus: base.enqueueActions(({ context, enqueue, check }) => {
      if (!check('statusChanged')) return;
      const { status, json } = statusOf(context);
      enqueue({ type: 'reportStatus', params: { status } });
      enqueue.assign({ reportedStatus: json, statusWritten: true });
    }),
  },
});

/** A fact about one container, for every state: handed to that container's actor. */
const FORWARD = { guard: 'isKnownContainer', actions: 'forwardToContainer' } as const;

/** Pending and running: the pod fails as a whole, or is deleted. */
const ACTIVE = {
  'volume.failed': { target: '#pod.failed', actions: ['failForVolume', 'killContainersOfFailedPod'] },
  'node.lost': { target: '#pod.failed', actions: ['failForNodeLost', 'abandonContainers'] },
  'node.fenced': { target: '#pod.failed', actions: ['failForFence', 'killContainersOfFailedPod'] },
  'pod.delete': [
    { guard: 'someContainerRunning', target: '#pod.terminating', actions: 'assignDeletion' },
    { target: '#pod.terminating', actions: ['assignDeletion', 'recordRemoving'] },
  ],
} as const;

/** A container terminated for good: the last one decides Succeeded or Failed; the sidecars stop. */
const LAST_CONTAINER_DONE = [
  { guard: 'everyContainerSucceeded', target: '#pod.succeeded', actions: ['assignReport', 'stopSidecars'] },
  { guard: 'everyContainerDone', target: '#pod.failed', actions: ['assignReport', 'stopSidecars'] },
] as const;

/** Deleting: once nothing runs, the phase the containers' last runs give. */
const LAST_CONTAINER_STOPPED = [
  { guard: 'everyContainerStoppedSucceeded', target: '#pod.succeeded', actions: 'assignReport' },
  { guard: 'everyContainerStopped', target: '#pod.failed', actions: 'assignReport' },
] as const;

/** An init container's report: the next one starts once it completed (a sidecar: started), the containers after the last. */
const INIT_PROGRESS = [
  { guard: 'lastInitContainerCompleted', target: 'startingContainers', actions: ['assignReport', 'assignInitialized'] },
  { guard: 'initContainerCompleted', actions: ['assignReport', 'startNextInitContainer'] },
] as const;

/**
 * A terminal phase: kept until the pod is deleted (its sandbox stopped, its exited containers and
 * their logs kept), then removed. Nothing leads out of it.
 */
function terminal(phase: 'Succeeded' | 'Failed') {
  return {
    entry: { type: 'assignPhase', params: { phase } },
    initial: 'deciding',
    states: {
      deciding: { always: [{ guard: 'deletionRequested', target: 'removed' }, { target: 'retained' }] },
      // A finished pod keeps its containers (their logs) until it is deleted, but no process:
      // its sandbox is stopped, as the kubelet stops a terminal pod's sandbox.
      retained: {
        entry: 'stopSandbox',
        on: { 'pod.delete': { target: 'removed', actions: ['assignDeletion', 'recordRemoving'] } },
      },
      // The final status is written before the pod goes.
      removed: { type: 'final', entry: ['reportCurrentStatus', 'markRemoved', 'removePod'] },
    },
  } as const;
}

/**
 * The pod machine. Effects are the no-op actions `createSandbox`, `startContainer`,
 * `stopContainer`, `stopSandbox`, `removePod`, `recordEvent`, `reportStatus` (params:
 * `PodEffectParams`); supply them with `podMachine.provide({ actions: { … } })`. Probe runs are
 * the containers' probers' `runProbe` actor: `podMachine.provide({ actors: { container:
 * containerMachine.provide({ actors: { prober: proberMachine.provide({ actors: { runProbe } }) } }) } })`.
 */
export const podMachine = withActions.createMachine({
  id: 'pod',
  context: ({ input }) => {
    const context = initialPodContext(input);
    // Nothing to write before the first change.
    return { ...context, reportedStatus: JSON.stringify(podStatus(context)) };
  },
  entry: 'spawnContainers',
  initial: 'pending',
  // Once every transition settled: write the status if it changed.
  always: { guard: 'statusChanged', actions: 'reportCurrentStatus' },
  on: {
    ...Object.fromEntries(CONTAINER_FACTS.map((type) => [type, FORWARD])),
    'container.effect': { actions: 'enactContainerEffect' },
    'container.running': { actions: 'assignReport' },
    'container.terminated': { actions: 'assignReport' },
    'container.changed': { actions: 'assignReport' },
    'sources.changed': { actions: 'retryContainers' },
  } as Record<(typeof CONTAINER_FACTS)[number], typeof FORWARD> & {
    'sources.changed': { actions: 'retryContainers' };
    'container.effect': { actions: 'enactContainerEffect' };
    'container.running': { actions: 'assignReport' };
    'container.terminated': { actions: 'assignReport' };
    'container.changed': { actions: 'assignReport' };
  },
  states: {
    pending: {
      initial: 'scheduling',
      on: ACTIVE,
      states: {
        /** On its node, its volumes come first, if it has any. */
        scheduling: {
          always: [
            { guard: 'isBoundWithVolumes', target: 'mountingVolumes' },
            { guard: 'isBound', target: 'creatingSandbox' },
          ],
          on: {
            'pod.scheduled': [
              { guard: 'hasVolumes', target: 'mountingVolumes', actions: ['assignNode', 'recordScheduled'] },
              { target: 'creatingSandbox', actions: ['assignNode', 'recordScheduled'] },
            ],
          },
        },
        /** The node sets up the pod's volumes (ContainerCreating). */
        mountingVolumes: {
          entry: 'mountVolumes',
          on: {
            'volumes.mounted': { target: 'creatingSandbox', actions: 'resetMountFailures' },
            'volumes.failed': { target: 'mountBackoff', actions: ['countMountFailure', 'recordFailedMount'] },
          },
        },
        /** A volume could not be set up (FailedMount): tried again after the back-off, or when a source changed. */
        mountBackoff: {
          entry: 'showWaiting',
          after: { mountRetry: 'mountingVolumes' },
          on: { 'sources.changed': 'mountingVolumes' },
        },
        creatingSandbox: {
          entry: 'createSandbox',
          on: {
            'sandbox.created': [
              { guard: 'hasInitContainers', target: 'initializing', actions: ['assignSandbox', 'recordSandboxCreated'] },
              { target: 'startingContainers', actions: ['assignSandbox', 'recordSandboxCreated'] },
            ],
            'sandbox.failed': { target: 'sandboxBackoff', actions: ['countSandboxFailure', 'recordSandboxFailed'] },
          },
        },
        sandboxBackoff: {
          after: { sandboxRetry: { target: 'creatingSandbox', actions: 'recordSandboxChanged' } },
        },
        /** Init containers run one at a time, in order; each must complete (a sidecar: start) before the next. */
        initializing: {
          entry: 'startNextInitContainer',
          on: {
            'container.terminated': [
              { guard: 'initContainerFailed', target: '#pod.failed', actions: ['assignReport', 'killContainersOfFailedPod'] },
              ...INIT_PROGRESS,
            ],
            'container.running': INIT_PROGRESS,
            'container.changed': INIT_PROGRESS,
          },
        },
        startingContainers: {
          entry: 'startAppContainers',
          on: {
            'container.running': { guard: 'everyContainerStarted', target: '#pod.running', actions: 'assignReport' },
            'container.terminated': [...LAST_CONTAINER_DONE, { guard: 'everyContainerStarted', target: '#pod.running', actions: 'assignReport' }],
          },
        },
      },
    },
    running: {
      entry: { type: 'assignPhase', params: { phase: 'Running' } },
      on: {
        ...ACTIVE,
        'container.terminated': LAST_CONTAINER_DONE,
      },
    },
    terminating: {
      entry: 'stopContainersForDelete',
      initial: 'graceful',
      on: {
        'container.running': LAST_CONTAINER_STOPPED,
        'container.terminated': LAST_CONTAINER_STOPPED,
        'container.changed': LAST_CONTAINER_STOPPED,
        'node.lost': { target: '#pod.failed', actions: ['failForNodeLost', 'abandonContainers'] },
        // Fenced while being deleted: no grace left to give, everything is killed now.
        'node.fenced': { target: '.killing', actions: ['expireGrace', 'killContainersAfterGrace'] },
      },
      states: {
        graceful: {
          // A delete with grace 0 already sent SIGKILL.
          always: { guard: 'killSent', target: 'killing' },
          after: { terminationGrace: { target: 'killing', actions: ['expireGrace', 'killContainersAfterGrace'] } },
        },
        killing: {},
      },
    },
    succeeded: terminal('Succeeded'),
    failed: terminal('Failed'),
  },
});

/** The pod machine's type, for the effect layer's `provide`. */
export type PodMachine = typeof podMachine;
