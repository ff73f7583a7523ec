/**
 * The prober: one child actor of a container actor per running probe (id `probe:<kind>`), as
 * the kubelet has one probe worker per container and probe. It owns the probe's rhythm only:
 * wait out the initial delay, run, then run again every `periodSeconds` (start to start; a run
 * that outlasts the period is followed at once by the next, as a Go ticker keeps one tick). It
 * reports every result to its container as a fact (`probe.succeeded` / `probe.failed` /
 * `probe.errored`); thresholds, readiness and kills are the container machine's to decide.
 *
 * The container machine invokes a prober in the states where its probe runs (the startup probe
 * while starting up; liveness and readiness once started) and so stops it when it leaves them
 * (the run exited or is being killed, the pod is deleted or failed); stopping it cancels its
 * timers and its run in flight.
 * Timers go through the actor system's clock, so tests drive them with `SimulatedClock`.
 *
 * One run is the `runProbe` actor (no-op until provided): a callback actor given
 * `ProbeRunInput` that sends back one `probe.reported`, and aborts its run when stopped.
 */
import { assign, fromCallback, raise, sendParent, setup } from 'xstate';
import type { ProbeFactEvent } from './events.ts';
import type { ContainerProbe, ProbeHandler, ProbeKind, ProbeOutcome } from './probe-spec.ts';

/** What a prober is spawned with. */
export interface ProberInput {
  container: string;
  kind: ProbeKind;
  probe: ContainerProbe;
  /** Wait before the first run: what is left of `initialDelaySeconds` since the container started. */
  initialDelayMs: number;
}

/** What one run of a probe (the `runProbe` actor) is given. */
export interface ProbeRunInput {
  container: string;
  kind: ProbeKind;
  handler: ProbeHandler;
  timeoutSeconds: number;
}

/** What the `runProbe` actor sends back, once: the outcome, stamped with the effect layer's clock. */
export interface ProbeRunReport {
  type: 'probe.reported';
  outcome: ProbeOutcome;
  at: number;
}

/** What a prober receives: its run's report, and its own period tick. */
export type ProberEvent = ProbeRunReport | { type: 'probe.tick' };

interface ProberContext extends ProberInput {
  /** A period ended while a run was still in flight: the next run starts when it ends. */
  overdue: boolean;
}

/** The pod fact a run's outcome is. */
export function probeFact(input: Pick<ProberInput, 'container' | 'kind'>, report: ProbeRunReport): ProbeFactEvent {
  const about = { name: input.container, kind: input.kind, at: report.at };
  const { result, output } = report.outcome;
  switch (result) {
    case 'success':
      return { type: 'probe.succeeded', ...about };
    case 'warning':
      return { type: 'probe.succeeded', ...about, warning: output };
    case 'failure':
      return { type: 'probe.failed', ...about, message: output };
    case 'error':
      return { type: 'probe.errored', ...about, message: output };
  }
}

/** The id of a container's `kind` prober among the container actor's children. */
export function proberId(kind: ProbeKind): string {
  return `probe:${kind}`;
}

export const proberMachine = setup({
  types: {
    context: {} as ProberContext,
    input: {} as ProberInput,
    events: {} as ProberEvent,
  },
  actors: {
    runProbe: fromCallback<ProberEvent, ProbeRunInput>(() => {}),
  },
  delays: {
    initialDelay: ({ context }) => context.initialDelayMs,
    period: ({ context }) => context.probe.periodSeconds * 1000,
  },
  guards: {
    noInitialDelay: ({ context }) => context.initialDelayMs <= 0,
    overdue: ({ context }) => context.overdue,
  },
  actions: {
    report: sendParent(({ context, event }) => probeFact(context, event as ProbeRunReport)),
  },
}).createMachine({
  id: 'prober',
  context: ({ input }) => ({ ...input, overdue: false }),
  initial: 'delaying',
  states: {
    delaying: {
      always: { guard: 'noInitialDelay', target: 'probing' },
      after: { initialDelay: 'probing' },
    },
    probing: {
      entry: [assign({ overdue: false }), raise({ type: 'probe.tick' }, { id: 'tick', delay: 'period' })],
      invoke: {
        src: 'runProbe',
        input: ({ context }) => ({
          container: context.container,
          kind: context.kind,
          handler: context.probe.handler,
          timeoutSeconds: context.probe.timeoutSeconds,
        }),
      },
      on: {
        'probe.reported': { target: 'resting', actions: 'report' },
        'probe.tick': { actions: assign({ overdue: true }) },
      },
    },
    resting: {
      always: { guard: 'overdue', target: 'probing' },
      on: { 'probe.tick': 'probing' },
    },
  },
});

export type ProberMachine = typeof proberMachine;
