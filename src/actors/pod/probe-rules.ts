/**
 * The kubelet prober's arithmetic, pure: how consecutive results count against a probe's
 * thresholds, how much of the initial delay is left, and how its results are worded as Events.
 * What a result does (started, ready, kill) is the container machine's guarded transitions
 * (container-machine.ts); these are the helpers its guards and actions call.
 *
 * - `successThreshold` successes in a row pass a probe (always 1 for liveness and startup),
 *   `failureThreshold` failures in a row fail it. An errored run is recorded and not counted.
 * - Every failed or errored run records an `Unhealthy` Warning (`Readiness probe failed: …`), a
 *   redirect not followed a `ProbeWarning`, with the kubelet's wording so the recorder
 *   aggregates repeats.
 */
import type { ProbeRun } from './context.ts';
import type { PodEventRecord, ProbeFactEvent } from './events.ts';
import { probeTitle, type ContainerProbe, type ProbeKind } from './probe-spec.ts';

/** A result that counts (an errored run does not). */
export type CountedFact = Extract<ProbeFactEvent, { type: 'probe.succeeded' | 'probe.failed' }>;

/**
 * How long a prober starting at `at` waits before its first run: `initialDelaySeconds` counts
 * from the container's start (a readiness probe released by the startup probe late runs at once).
 */
export function remainingInitialDelayMs(probe: ContainerProbe, startedAt: number | undefined, at: number | undefined): number {
  const delayMs = probe.initialDelaySeconds * 1000;
  if (startedAt === undefined || at === undefined) return delayMs;
  return Math.max(0, startedAt + delayMs - at);
}

/** Liveness and startup probes pass on one success, whatever the spec says (API validation requires 1). */
function successThreshold(kind: ProbeKind, probe: ContainerProbe): number {
  return kind === 'readiness' ? Math.max(1, probe.successThreshold) : 1;
}

function thresholdFor(kind: ProbeKind, probe: ContainerProbe, result: ProbeRun['result']): number {
  return result === 'success' ? successThreshold(kind, probe) : Math.max(1, probe.failureThreshold);
}

/** Whether a fact is a counted success or failure. */
export function resultOf(e: CountedFact): ProbeRun['result'] {
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
export function thresholdReached(kind: ProbeKind, probe: ContainerProbe, last: ProbeRun | undefined, result: ProbeRun['result']): boolean {
  return nextProbeRun(kind, probe, last, result).count >= thresholdFor(kind, probe, result);
}

/** The Events one run records: Unhealthy for a failure or an error, ProbeWarning for a warning. */
export function probeResultEvents(e: ProbeFactEvent): PodEventRecord[] {
  const title = probeTitle(e.kind);
  switch (e.type) {
    case 'probe.failed':
      return [{ type: 'Warning', reason: 'Unhealthy', message: `${title} probe failed: ${e.message}`, container: e.name }];
    case 'probe.errored':
      return [{ type: 'Warning', reason: 'Unhealthy', message: `${title} probe errored: ${e.message}`, container: e.name }];
    case 'probe.succeeded':
      return e.warning === undefined ? [] : [{ type: 'Warning', reason: 'ProbeWarning', message: `${title} probe warning: ${e.warning}`, container: e.name }];
  }
}
