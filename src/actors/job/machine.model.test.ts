/**
 * Model test: explores every state the Job machine can reach from an alphabet of observations
 * with @xstate/graph, then checks the Job's rules on every edge of that graph (so on every path
 * through it), replaying each edge with xstate's pure `transition()` to see the effects it asks for.
 *
 * Bound: observations are drawn from a handful of pod counts (fresh, running, one success, all
 * done, one failure under back-off, too many failures, a pod listed but not yet counted), each at
 * three times (the start, within the active deadline, past it and past the TTL), with and without
 * suspend, with the watch caught up or not, and while the Job is being deleted; time never goes
 * back (an observation earlier than the context's is not offered). Contexts hold only values
 * from this alphabet, so the graph is finite; `limit` turns a runaway exploration into a
 * failure, not a hang. The alarm (`job.recheck`) is offered everywhere.
 */
import { adjacencyMapToArray, getAdjacencyMap } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import { createActor, type ActorScope, type ExecutableActionObject, type SnapshotFrom } from 'xstate';
import { failedOf, succeededOf, type JobContext, type JobMachineEvent, type JobObserved } from './context.ts';
import { activeDeadlineAt } from './decide.ts';
import type { JobSpec } from './job-spec.ts';
import { jobMachine } from './machine.ts';

type JobSnapshot = SnapshotFrom<typeof jobMachine>;

const T0 = Date.parse('2024-06-01T00:00:00Z');
const TIMES = [T0, T0 + 30_000, T0 + 90_000];
const TRAVERSAL_LIMIT = 200_000;

interface Counts {
  succeeded: number;
  failed: number;
  active: number;
  uncountedFailed?: string[];
  podBackoffUntil?: number;
}

/** What the pods may look like (completions 2, parallelism 2, backoffLimit 1). */
const COUNTS: Counts[] = [
  { succeeded: 0, failed: 0, active: 0 },
  { succeeded: 0, failed: 0, active: 2 },
  { succeeded: 1, failed: 0, active: 1 },
  { succeeded: 2, failed: 0, active: 0 },
  { succeeded: 0, failed: 1, active: 1, podBackoffUntil: T0 + 40_000 },
  { succeeded: 0, failed: 1, active: 1, uncountedFailed: ['u1'] },
  { succeeded: 0, failed: 2, active: 1 },
];

function alphabet(spec: JobSpec): JobObserved[] {
  const observations = TIMES.flatMap((at) =>
    COUNTS.flatMap((c) =>
      [false, true].flatMap((suspend) =>
        [true, false].map((expectationsSatisfied): JobObserved => {
          const uncounted = { succeeded: [], failed: c.uncountedFailed ?? [] };
          return {
            type: 'job.observed',
            at,
            spec: { ...spec, suspend },
            deleting: false,
            counted: { succeeded: c.succeeded, failed: c.failed - uncounted.failed.length },
            uncounted,
            active: c.active,
            ready: c.active,
            expectationsSatisfied,
            ...(c.podBackoffUntil === undefined ? {} : { podBackoffUntil: c.podBackoffUntil }),
            releasable: uncounted.failed.length,
          };
        }),
      ),
    ),
  );
  // The Job being deleted: its pods are the garbage collector's.
  const deleting = observations.filter((o) => o.active === 2 && !o.spec.suspend && o.expectationsSatisfied).map((o) => ({ ...o, deleting: true }));
  return [...observations, ...deleting];
}

function input(spec: JobSpec): JobContext {
  return { spec, at: T0, active: 0, ready: 0, succeeded: 0, failed: 0, uncounted: { succeeded: [], failed: [] } };
}

/** xstate's pure `transition()` with one reused, inert actor scope (as the pod model test does). */
function createReplayer(spec: JobSpec) {
  const self = createActor(jobMachine, { input: input(spec) });
  let actions: ExecutableActionObject[] = [];
  const scope: ActorScope<JobSnapshot, JobMachineEvent> = {
    self,
    id: '',
    sessionId: '',
    logger: () => {},
    defer: () => {},
    emit: () => {},
    system: self.system,
    stopChild: () => {},
    actionExecutor: (action) => void actions.push(action),
  };
  return (state: JobSnapshot, event: JobMachineEvent): [JobSnapshot, ExecutableActionObject[]] => {
    actions = [];
    return [jobMachine.transition(state, event, scope), actions];
  };
}

function explore(spec: JobSpec) {
  const events = alphabet(spec);
  const adjacency = getAdjacencyMap(jobMachine, {
    input: input(spec),
    events: (state): JobMachineEvent[] => [{ type: 'job.recheck' }, ...events.filter((e) => e.at >= state.context.at)],
    limit: TRAVERSAL_LIMIT,
  });
  return adjacencyMapToArray(adjacency);
}

const FINISHED = ['complete', 'failed'];
const paramsOf = <T>(actions: ExecutableActionObject[], type: string): T[] => actions.filter((a) => a.type === type).map((a) => a.params as T);
const conditionOf = (status: Record<string, unknown>, type: string) =>
  ((status.conditions ?? []) as Record<string, unknown>[]).find((c) => c.type === type && c.status === 'True');

const CASES: { name: string; spec: JobSpec }[] = [
  { name: 'completions 2', spec: { completions: 2, parallelism: 2, backoffLimit: 1, activeDeadlineSeconds: 60, ttlSecondsAfterFinished: 30, suspend: false } },
  { name: 'a work queue (no completions)', spec: { completions: undefined, parallelism: 2, backoffLimit: 1, activeDeadlineSeconds: 60, ttlSecondsAfterFinished: 30, suspend: false } },
];

describe('job machine model (@xstate/graph)', () => {
  it.each(CASES)('$name: the rules hold on every reachable edge', ({ spec }) => {
    const edges = explore(spec);
    const transition = createReplayer(spec);
    const violations: string[] = [];
    const reached = new Set<string>();
    const seen = new Set<string>();
    for (const { state, event } of edges) {
      const [next, actions] = transition(state, event);
      const from = String(state.value);
      const to = String(next.value);
      const before = state.context;
      const after = next.context;
      const check = (holds: boolean, rule: string) => {
        if (!holds) violations.push(`${rule}: ${from} + ${JSON.stringify(event)}\ncontext: ${JSON.stringify(before)}`);
      };
      reached.add(to);
      const types = actions.map((a) => a.type);
      for (const t of types) seen.add(t);

      // A finished Job never leaves, nor changes how it finished.
      check(!FINISHED.includes(from) || (to === from && JSON.stringify(after.finish) === JSON.stringify(before.finish)), 'a finished Job left its state');
      check(FINISHED.includes(to) === (after.finish !== undefined) && (after.finish === undefined || after.finish.type.toLowerCase() === to), 'the state and the finish disagree');
      check(to !== 'suspended' || (after.suspension?.suspended === true && after.startTime === undefined), 'suspended without the condition, or with a startTime');
      check(!['active', 'backingOff'].includes(to) || after.startTime !== undefined, 'running without a startTime');

      if (event.type === 'job.recheck') {
        check(to === from && types.join() === 'requeue', 'an alarm did more than ask for an observation');
        continue;
      }
      if (from === 'pending' && to === 'pending') continue;

      // Pods: created only by an active Job whose watch caught up; never more than wanted.
      const created = paramsOf<{ count: number }>(actions, 'createPods').reduce((n, p) => n + p.count, 0);
      const deleted = paramsOf<{ count: number }>(actions, 'deletePods').reduce((n, p) => n + p.count, 0);
      const mayManage = event.expectationsSatisfied && !event.deleting;
      check(created === 0 || (to === 'active' && mayManage), 'pods created outside active, or before the watch caught up');
      check(deleted === 0 || mayManage, 'pods deleted before the watch caught up');
      check(created === 0 || deleted === 0, 'pods created and deleted at once');
      check(event.active + created <= spec.parallelism, 'more active pods than parallelism');
      if (spec.completions !== undefined) check(created === 0 || event.active + created <= spec.completions - succeededOf(event), 'more pods than completions still missing');
      else check(created === 0 || succeededOf(event) === 0, 'a work queue started pods after a success');
      check(deleted <= event.active, 'deleted more pods than are active');
      check(!['suspended', ...FINISHED].includes(to) || !mayManage || after.active === 0, 'a suspended or finished Job kept pods');

      // Status: written once per observation, saying what the state says.
      const statuses = paramsOf<{ status: Record<string, unknown> }>(actions, 'writeStatus');
      check(statuses.length === 1, 'an observation did not write the status exactly once');
      const status = statuses[0]?.status ?? {};
      check(status.active === event.active + created - deleted, 'status.active is not what runs after this round');
      check(Boolean(conditionOf(status, 'Failed')) === (to === 'failed'), 'the Failed condition disagrees with the state');
      check(Boolean(conditionOf(status, 'Complete')) === (to === 'complete'), 'the Complete condition disagrees with the state');
      check(Boolean(conditionOf(status, 'Suspended')) === (to === 'suspended' || (after.suspension?.suspended === true && FINISHED.includes(to))), 'the Suspended condition disagrees with the state');
      const released = types.indexOf('releasePods');
      check((released >= 0) === event.releasable > 0, 'counted pods not released, or released with nothing to release');
      check(released < 0 || released > types.indexOf('writeStatus'), 'a pod was released before the status counting it was written');

      // Why a Job finishes, and its Event, exactly once.
      const recorded = paramsOf<{ reason: string }>(actions, 'recordEvent').map((r) => r.reason);
      if (to === 'failed' && from !== 'failed') {
        const reason = after.finish?.reason;
        check(recorded.includes(reason ?? ''), 'failed without its Event');
        if (reason === 'BackoffLimitExceeded') check(failedOf(event) > spec.backoffLimit, 'BackoffLimitExceeded within the backoff limit');
        else check(reason === 'DeadlineExceeded' && event.at >= (activeDeadlineAt(spec, before.startTime ?? event.at) ?? Infinity), 'failed for no reason');
      }
      if (to === 'complete' && from !== 'complete') check(recorded.includes('Completed'), 'complete without its Event');
      check(FINISHED.includes(from) ? recorded.length === 0 : true, 'a finished Job recorded an Event');
      check(recorded.includes('Suspended') === (to === 'suspended' && from !== 'suspended'), 'Suspended recorded without suspending, or not when suspending');
      check(recorded.includes('Resumed') === (from === 'suspended' && to !== 'suspended' && !(to === 'failed' && after.finish?.reason === 'BackoffLimitExceeded')), 'Resumed recorded without resuming');

      // The TTL deletes a finished Job once, when it runs out.
      const deletesJob = types.includes('deleteJob');
      check(!deletesJob || (FINISHED.includes(from) && event.at >= (before.finish?.at ?? Infinity) + (spec.ttlSecondsAfterFinished ?? Infinity) * 1000), 'a Job deleted before its TTL ran out');
      if (deletesJob) reached.add(`deleted:${to}`);
      if (to === 'failed') reached.add(`failed:${after.finish?.reason}`);
    }
    expect(violations.slice(0, 5)).toEqual([]);
    // The walk reached every state and did every effect, so the checks above were not vacuous.
    expect([...reached].sort()).toEqual(
      expect.arrayContaining(['active', 'backingOff', 'complete', 'failed', 'suspended', 'failed:BackoffLimitExceeded', 'failed:DeadlineExceeded', 'deleted:complete', 'deleted:failed']),
    );
    expect([...seen]).toEqual(expect.arrayContaining(['createPods', 'deletePods', 'writeStatus', 'releasePods', 'deleteJob', 'recordEvent', 'requeue']));
    expect(edges.length).toBeGreaterThan(10_000);
  });
});
