/**
 * Probe rules as the kubelet's prober applies them, pure: which probes run for a container, how
 * consecutive results count against the thresholds, and the context, Events and effects of each
 * decision. The decisions themselves are the pod machine's guarded transitions (machine.ts):
 * these are the predicates its guards call and the outcomes its actions enact.
 *
 * - A container's probes run while it runs: the startup probe first; liveness and readiness once
 *   it passed (or when there is none). During a graceful delete only readiness goes on. A run
 *   being killed for a failed probe, or a pod in a final phase, runs none.
 * - `successThreshold` successes in a row pass a probe (always 1 for liveness and startup),
 *   `failureThreshold` failures in a row fail it. An errored run is recorded and not counted.
 * - Readiness passing makes the container ready; failing makes it not ready. Startup passing
 *   makes it started (and ready, without a readiness probe). Liveness or startup failing kills
 *   the run (the probe's `terminationGracePeriodSeconds`, else the pod's) and it restarts unless
 *   the policy is Never.
 * - Every failed or errored run records an `Unhealthy` Warning (`Readiness probe failed: …`), a
 *   redirect not followed a `ProbeWarning`, a kill `Killing` (`Container app failed liveness
 *   probe, will be restarted`), with the kubelet's wording so the recorder aggregates repeats.
 */
import type { ContainerRecord, PodContext, ProbeRun } from './context.ts';
import type { PodEffect, PodEventRecord, ProbeFactEvent, StopSignal } from './events.ts';
import { isTerminalPhase, settle, type Outcome } from './lifecycle.ts';
import { probeTitle, type ContainerProbe, type ProbeKind } from './probe-spec.ts';

type CountedFact = Extract<ProbeFactEvent, { type: 'probe.succeeded' | 'probe.failed' }>;

/** The probes that run for `c` now. */
export function activeProbes(context: PodContext, c: ContainerRecord): ProbeKind[] {
  if (c.step !== 'running' || c.unhealthy !== undefined || isTerminalPhase(context.phase)) return [];
  // The kubelet stops liveness and startup probes of a pod being deleted; readiness goes on.
  const deleting = context.deletion !== undefined;
  if (c.probes.startup !== undefined && !c.started) return deleting ? [] : ['startup'];
  const kinds: ProbeKind[] = [];
  if (c.probes.liveness !== undefined && !deleting) kinds.push('liveness');
  if (c.probes.readiness !== undefined) kinds.push('readiness');
  return kinds;
}

/**
 * How long a prober starting at `at` waits before its first run: `initialDelaySeconds` counts
 * from the container's start (a readiness probe released by the startup probe late runs at once).
 */
export function remainingInitialDelayMs(probe: ContainerProbe, startedAt: number | undefined, at: number | undefined): number {
  const delayMs = probe.initialDelaySeconds * 1000;
  if (startedAt === undefined || at === undefined) return delayMs;
  return Math.max(0, startedAt + delayMs - at);
}

function containerOf(context: PodContext, name: string): ContainerRecord | undefined {
  return context.containers.find((c) => c.name === name);
}

/** The fact is about a probe that runs now (not a late report of a stopped one). */
export function probeApplies(context: PodContext, e: ProbeFactEvent): boolean {
  const c = containerOf(context, e.name);
  return c !== undefined && activeProbes(context, c).includes(e.kind);
}

/** Liveness and startup probes pass on one success, whatever the spec says (API validation requires 1). */
function successThreshold(kind: ProbeKind, probe: ContainerProbe): number {
  return kind === 'readiness' ? Math.max(1, probe.successThreshold) : 1;
}

function thresholdFor(kind: ProbeKind, probe: ContainerProbe, result: ProbeRun['result']): number {
  return result === 'success' ? successThreshold(kind, probe) : Math.max(1, probe.failureThreshold);
}

function resultOf(e: CountedFact): ProbeRun['result'] {
  return e.type === 'probe.succeeded' ? 'success' : 'failure';
}

/**
 * The run of identical results after this one (the kubelet's `resultRun`), capped at its
 * threshold: past it every further result counts the same, and the context stays bounded.
 */
export function nextProbeRun(kind: ProbeKind, probe: ContainerProbe, last: ProbeRun | undefined, result: ProbeRun['result']): ProbeRun {
  const count = last?.result === result ? last.count + 1 : 1;
  return { result, count: Math.min(count, thresholdFor(kind, probe, result)) };
}

/** This result makes a run as long as its threshold: the probe passes or fails. */
export function probeThresholdReached(context: PodContext, e: CountedFact): boolean {
  const c = containerOf(context, e.name);
  const probe = c?.probes[e.kind];
  if (!c || !probe || !probeApplies(context, e)) return false;
  const result = resultOf(e);
  return nextProbeRun(e.kind, probe, c.probeRuns[e.kind], result).count >= thresholdFor(e.kind, probe, result);
}

/** The startup probe passed: the container counts as started. */
export function startupProbePasses(context: PodContext, e: ProbeFactEvent): boolean {
  return e.type === 'probe.succeeded' && e.kind === 'startup' && probeThresholdReached(context, e);
}

/** The readiness probe passed while the container was not ready. */
export function readinessProbePasses(context: PodContext, e: ProbeFactEvent): boolean {
  return e.type === 'probe.succeeded' && e.kind === 'readiness' && containerOf(context, e.name)?.ready === false && probeThresholdReached(context, e);
}

/** The readiness probe failed while the container was ready. */
export function readinessProbeFails(context: PodContext, e: ProbeFactEvent): boolean {
  return e.type === 'probe.failed' && e.kind === 'readiness' && containerOf(context, e.name)?.ready === true && probeThresholdReached(context, e);
}

/** A liveness or startup probe failed: the run must be killed. */
export function probeFailureKills(context: PodContext, e: ProbeFactEvent): boolean {
  return e.type === 'probe.failed' && e.kind !== 'readiness' && probeThresholdReached(context, e);
}

function record(type: PodEventRecord['type'], reason: string, message: string, container: string): PodEffect {
  return { type: 'recordEvent', params: { type, reason, message, container } };
}

/** The Events one run records: Unhealthy for a failure or an error, ProbeWarning for a warning. */
function resultEvents(e: ProbeFactEvent): PodEffect[] {
  const title = probeTitle(e.kind);
  switch (e.type) {
    case 'probe.failed':
      return [record('Warning', 'Unhealthy', `${title} probe failed: ${e.message}`, e.name)];
    case 'probe.errored':
      return [record('Warning', 'Unhealthy', `${title} probe errored: ${e.message}`, e.name)];
    case 'probe.succeeded':
      return e.warning === undefined ? [] : [record('Warning', 'ProbeWarning', `${title} probe warning: ${e.warning}`, e.name)];
  }
}

/** `context` with the container's record updated and this result counted (errors are not). */
function counted(context: PodContext, e: ProbeFactEvent, update: Partial<ContainerRecord> = {}): PodContext {
  return {
    ...context,
    containers: context.containers.map((c) => {
      if (c.name !== e.name) return c;
      const probe = c.probes[e.kind];
      if (e.type === 'probe.errored' || probe === undefined) return { ...c, ...update };
      const run = nextProbeRun(e.kind, probe, c.probeRuns[e.kind], resultOf(e));
      return { ...c, probeRuns: { ...c.probeRuns, [e.kind]: run }, ...update };
    }),
  };
}

function decided(context: PodContext, e: ProbeFactEvent, update: Partial<ContainerRecord>, effects: PodEffect[] = []): Outcome {
  return { context: settle(context, counted(context, e, update), e.at), effects: [...resultEvents(e), ...effects], timers: [] };
}

/** A result that decides nothing: counted, and its Events recorded. */
export function onProbeCounted(context: PodContext, e: ProbeFactEvent): Outcome {
  return decided(context, e, {});
}

/** The startup probe passed: started, and ready unless a readiness probe must pass too. */
export function onStartupProbePassed(context: PodContext, e: ProbeFactEvent): Outcome {
  const c = containerOf(context, e.name);
  return decided(context, e, { started: true, ready: c?.probes.readiness === undefined });
}

/** The readiness probe passed: ready. */
export function onReadinessProbePassed(context: PodContext, e: ProbeFactEvent): Outcome {
  return decided(context, e, { ready: true });
}

/** The readiness probe failed: not ready. */
export function onReadinessProbeFailed(context: PodContext, e: ProbeFactEvent): Outcome {
  return decided(context, e, { ready: false });
}

/**
 * A liveness or startup probe failed: kill the run with the probe's grace (else the pod's). It
 * is not ready from now on, runs no more probes, and restarts unless the policy is Never
 * (`restartsAfterProbeKill`).
 */
export function onProbeKill(context: PodContext, e: ProbeFactEvent): Outcome {
  const c = containerOf(context, e.name);
  const kind = e.kind === 'readiness' ? undefined : e.kind;
  if (!c || !kind) return onProbeCounted(context, e);
  const graceSeconds = c.probes[kind]?.terminationGracePeriodSeconds ?? context.terminationGracePeriodSeconds;
  const signal: StopSignal = graceSeconds > 0 ? 'SIGTERM' : 'SIGKILL';
  const restarts = context.restartPolicy !== 'Never';
  const message = `Container ${c.name} failed ${kind} probe${restarts ? ', will be restarted' : ''}`;
  return decided(context, e, { unhealthy: kind, ready: false }, [
    record('Normal', 'Killing', message, c.name),
    { type: 'stopContainer', params: { name: c.name, signal, graceSeconds } },
  ]);
}
