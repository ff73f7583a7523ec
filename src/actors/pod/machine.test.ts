import { describe, expect, it } from 'vitest';
import type { PodEffectParams, RestartPolicy } from './events.ts';
import { podStatus } from './status.ts';
import { MIN, S, startPod } from './test-pod.ts';

type Pod = ReturnType<typeof startPod>;

describe('pod machine: startup', () => {
  it('creates the sandbox, starts every container and reaches Running once all have started', () => {
    const pod = startPod('Always', ['a', 'b']);
    expect(pod.effects.calls.map((c) => c.effect)).toEqual(['createSandbox']);
    pod.send({ type: 'sandbox.created', podIP: '10.42.0.7' });
    expect(pod.starts('a')).toBe(1);
    expect(pod.starts('b')).toBe(1);
    pod.runContainer('a');
    expect(pod.phase()).toBe('Pending');
    pod.runContainer('b');
    expect(pod.phase()).toBe('Running');
    expect(pod.actor.getSnapshot().value).toBe('running');
    expect(pod.reasons()).toEqual(['SandboxCreated', 'Pulled', 'Created', 'Started', 'Pulled', 'Created', 'Started']);
  });

  it('waits for pod.scheduled when not bound yet and records Scheduled', () => {
    const pod = startPod('Always', ['app'], { nodeName: undefined, scheduledAt: undefined });
    expect(pod.actor.getSnapshot().value).toEqual({ pending: 'scheduling' });
    expect(pod.effects.calls).toEqual([]);
    pod.send({ type: 'pod.scheduled', nodeName: 'node-2' });
    expect(pod.actor.getSnapshot().value).toEqual({ pending: 'creatingSandbox' });
    expect(pod.events()[0]).toMatchObject({ type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned default/web to node-2' });
    expect(pod.effects.paramsOf('createSandbox')).toHaveLength(1);
  });

  it('retries a failed sandbox after the back-off', () => {
    const pod = startPod('Always');
    pod.send({ type: 'sandbox.failed', message: 'network down' });
    expect(pod.reasons()).toEqual(['FailedCreatePodSandBox']);
    pod.clock.increment(10 * S - 1);
    expect(pod.effects.paramsOf('createSandbox')).toHaveLength(1);
    pod.clock.increment(1);
    expect(pod.effects.paramsOf('createSandbox')).toHaveLength(2);
    expect(pod.reasons()).toEqual(['FailedCreatePodSandBox', 'SandboxChanged']);
  });
});

/**
 * DESIGN.md §4, every row and every policy. `act` drives the pod from all-running; the row says
 * the phase that follows and which containers must be started again after the first back-off.
 */
interface RestartRow {
  situation: string;
  containers: string[];
  act: (pod: Pod) => void;
  expected: Record<RestartPolicy, { phase: string; restarted: string[]; event?: string }>;
}

const RESTART_TABLE: RestartRow[] = [
  {
    situation: '1 container exits 0',
    containers: ['app'],
    act: (pod) => pod.exit('app', 0),
    expected: {
      Always: { phase: 'Running', restarted: ['app'], event: 'Completed' },
      OnFailure: { phase: 'Succeeded', restarted: [], event: 'Completed' },
      Never: { phase: 'Succeeded', restarted: [], event: 'Completed' },
    },
  },
  {
    situation: '1 container exits non-zero',
    containers: ['app'],
    act: (pod) => pod.exit('app', 1),
    expected: {
      Always: { phase: 'Running', restarted: ['app'], event: 'Error' },
      OnFailure: { phase: 'Running', restarted: ['app'], event: 'Error' },
      Never: { phase: 'Failed', restarted: [], event: 'Error' },
    },
  },
  {
    situation: '2 containers, 1 exits non-zero',
    containers: ['a', 'b'],
    act: (pod) => pod.exit('a', 2),
    expected: {
      Always: { phase: 'Running', restarted: ['a'] },
      OnFailure: { phase: 'Running', restarted: ['a'] },
      Never: { phase: 'Running', restarted: [] },
    },
  },
  {
    situation: '…then the 2nd exits non-zero too',
    containers: ['a', 'b'],
    act: (pod) => {
      pod.exit('a', 2);
      pod.exit('b', 3);
    },
    expected: {
      Always: { phase: 'Running', restarted: ['a', 'b'] },
      OnFailure: { phase: 'Running', restarted: ['a', 'b'] },
      Never: { phase: 'Failed', restarted: [] },
    },
  },
  {
    situation: 'container OOM-killed',
    containers: ['app'],
    act: (pod) => pod.exit('app', 137, true),
    expected: {
      Always: { phase: 'Running', restarted: ['app'], event: 'OOMKilled' },
      OnFailure: { phase: 'Running', restarted: ['app'], event: 'OOMKilled' },
      Never: { phase: 'Failed', restarted: [], event: 'OOMKilled' },
    },
  },
  {
    situation: 'a volume/disk fails',
    containers: ['a', 'b'],
    act: (pod) => pod.send({ type: 'volume.failed', message: 'disk /dev/sdb gone' }),
    expected: {
      Always: { phase: 'Failed', restarted: [], event: 'FailedMount' },
      OnFailure: { phase: 'Failed', restarted: [], event: 'FailedMount' },
      Never: { phase: 'Failed', restarted: [], event: 'FailedMount' },
    },
  },
  {
    situation: 'node unreachable past its grace',
    containers: ['app'],
    act: (pod) => pod.send({ type: 'node.lost' }),
    expected: {
      Always: { phase: 'Failed', restarted: [], event: 'NodeLost' },
      OnFailure: { phase: 'Failed', restarted: [], event: 'NodeLost' },
      Never: { phase: 'Failed', restarted: [], event: 'NodeLost' },
    },
  },
];

const POLICIES: RestartPolicy[] = ['Always', 'OnFailure', 'Never'];

describe('pod machine: restart table (DESIGN.md §4)', () => {
  const cases = RESTART_TABLE.flatMap((row) => POLICIES.map((policy) => ({ row, policy, expected: row.expected[policy] })));
  it.each(cases)('$row.situation, $policy → $expected.phase', ({ row, policy, expected }) => {
    const pod = startPod(policy, row.containers);
    pod.runAll();
    pod.effects.clear();
    row.act(pod);
    expect(pod.phase()).toBe(expected.phase);
    expect(podStatus(pod.context()).phase).toBe(expected.phase);
    if (expected.event) expect(pod.reasons()).toContain(expected.event);
    // The first restart after a crash is at once (the kubelet's back-off starts with the second).
    for (const name of row.containers) {
      expect(pod.starts(name), name).toBe(expected.restarted.includes(name) ? 1 : 0);
    }
    for (const name of expected.restarted) {
      expect(pod.container(name)).toMatchObject({ life: 'waiting', state: { kind: 'waiting', reason: 'ContainerCreating' }, lastState: { kind: 'terminated' } });
      pod.runContainer(name);
      expect(pod.container(name).restartCount).toBe(1);
    }
    // Long after: nothing else was started, and the phase holds.
    pod.clock.increment(10 * MIN);
    for (const name of row.containers) {
      expect(pod.starts(name), name).toBe(expected.restarted.includes(name) ? 1 : 0);
    }
    expect(pod.phase()).toBe(expected.phase);
  });

  it('decides each row by a guard on the container actor (its state shows the decision)', () => {
    const always = startPod('Always');
    always.runAll();
    always.exit('app', 0);
    expect(always.containerState('app')).toBe('starting');
    const never = startPod('Never');
    never.runAll();
    never.exit('app', 1);
    expect(never.containerState('app')).toBe('terminated');
    const onFailure = startPod('OnFailure');
    onFailure.runAll();
    onFailure.exit('app', 0);
    expect(onFailure.containerState('app')).toBe('terminated');
  });

  it('kills every running container when a volume fails, and keeps Failed while they exit', () => {
    const pod = startPod('Always', ['a', 'b']);
    pod.runAll();
    // a crashes twice: backing off, its restart must be cancelled.
    pod.exit('a', 1);
    pod.runContainer('a');
    pod.exit('a', 1);
    expect(pod.containerState('a')).toBe('backOff');
    pod.effects.clear();
    pod.send({ type: 'volume.failed', message: 'disk gone' });
    expect(pod.stops()).toEqual([{ name: 'b', signal: 'SIGKILL' }]);
    expect(pod.phase()).toBe('Failed');
    pod.exit('b', 137);
    pod.clock.increment(10 * MIN);
    expect(pod.starts('a')).toBe(0);
    expect(pod.phase()).toBe('Failed');
    expect(pod.container('b').state).toMatchObject({ kind: 'terminated', exitCode: 137 });
  });

  it('marks a pod on a lost node Failed with reason NodeLost, and signals nothing', () => {
    const pod = startPod('Always');
    pod.runAll();
    pod.effects.clear();
    pod.send({ type: 'node.lost' });
    const status = podStatus(pod.context());
    expect(status).toMatchObject({ phase: 'Failed', reason: 'NodeLost' });
    expect(pod.events().at(-1)).toMatchObject({ type: 'Warning', reason: 'NodeLost' });
    expect(pod.stops()).toEqual([]);
    // If the node comes back and the container exits, it is not restarted.
    pod.exit('app', 1);
    pod.clock.increment(10 * MIN);
    expect(pod.starts('app')).toBe(0);
    expect(pod.phase()).toBe('Failed');
  });

  it('fails a pod whose node fenced itself (reason NodeLost) and kills its containers; none restarts', () => {
    const pod = startPod('Always');
    pod.runAll();
    pod.effects.clear();
    pod.send({ type: 'node.fenced', message: 'Node n1 lost every master for 4s' });
    expect(podStatus(pod.context())).toMatchObject({ phase: 'Failed', reason: 'NodeLost', message: 'Node n1 lost every master for 4s' });
    expect(pod.events().at(-1)).toMatchObject({ type: 'Warning', reason: 'NodeLost', message: 'Node n1 lost every master for 4s; killing all containers' });
    expect(pod.stops()).toEqual([{ name: 'app', signal: 'SIGKILL' }]);
    pod.exit('app', 137);
    pod.clock.increment(10 * MIN);
    expect(pod.starts('app')).toBe(0);
    expect(pod.phase()).toBe('Failed');
  });
});

describe('pod machine: CrashLoopBackOff', () => {
  it('restarts at once, then backs off 10, 20, 40, 80, 160, 300, 300 s, and a run of 10 min starts over', () => {
    const pod = startPod('Always');
    pod.runAll();
    const observed: number[] = [];
    for (let crash = 0; crash < 8; crash++) {
      const before = pod.starts('app');
      pod.exit('app', 1);
      let waited = 0;
      // Step second by second until the restart is asked for: the delay to the second.
      while (pod.starts('app') === before) {
        pod.clock.increment(S);
        waited += S;
        expect(waited).toBeLessThanOrEqual(300 * S);
      }
      observed.push(waited / S);
      pod.runContainer('app');
    }
    expect(observed).toEqual([0, 10, 20, 40, 80, 160, 300, 300]);
    expect(pod.container('app').restartCount).toBe(8);

    // Ten minutes of running: the next crash is a first one again (restarted at once), the one after waits 10 s.
    pod.clock.increment(10 * MIN);
    let before = pod.starts('app');
    pod.exit('app', 1);
    expect(pod.starts('app')).toBe(before + 1);
    pod.runContainer('app');
    pod.exit('app', 1);
    expect(pod.container('app').state).toMatchObject({ reason: 'CrashLoopBackOff', message: expect.stringContaining('back-off 10s') });
    before = pod.starts('app');
    pod.clock.increment(10 * S - 1);
    expect(pod.starts('app')).toBe(before);
    pod.clock.increment(1);
    expect(pod.starts('app')).toBe(before + 1);
  });

  it('records the exit for each crash, then BackOff from the second, and keeps the pod Running', () => {
    const pod = startPod('Always');
    pod.runAll();
    pod.effects.clear();
    pod.exit('app', 1);
    expect(pod.events()).toEqual([{ type: 'Warning', reason: 'Error', message: 'Container app exited with code 1', container: 'app' }]);
    pod.runContainer('app');
    pod.effects.clear();
    pod.exit('app', 1);
    expect(pod.events()).toEqual([
      { type: 'Warning', reason: 'Error', message: 'Container app exited with code 1', container: 'app' },
      { type: 'Warning', reason: 'BackOff', message: 'Back-off 10s restarting failed container app', container: 'app' },
    ]);
    expect(pod.phase()).toBe('Running');
    pod.clock.increment(10 * S);
    expect(pod.reasons().at(-1)).toBe('Restarting');
  });
});

describe('pod machine: ImagePullBackOff', () => {
  it('keeps the pod Pending, backs off the pull 10, 20 s and never counts a restart', () => {
    const pod = startPod('Always');
    pod.send({ type: 'sandbox.created' });
    pod.send({ type: 'image.pullFailed', name: 'app', message: 'manifest for nope:latest not found' });
    expect(pod.container('app').state).toMatchObject({ kind: 'waiting', reason: 'ImagePullBackOff' });
    expect(pod.reasons()).toEqual(['SandboxCreated', 'Failed', 'BackOff']);
    pod.clock.increment(10 * S);
    expect(pod.starts('app')).toBe(2);
    expect(pod.container('app').state).toMatchObject({ kind: 'waiting', reason: 'ErrImagePull' });
    expect(pod.reasons().at(-1)).toBe('Pulling');
    pod.send({ type: 'image.pullFailed', name: 'app', message: 'still not found' });
    pod.clock.increment(20 * S - 1);
    expect(pod.starts('app')).toBe(2);
    pod.clock.increment(1);
    expect(pod.starts('app')).toBe(3);
    expect(pod.phase()).toBe('Pending');
    expect(pod.container('app')).toMatchObject({ restartCount: 0, startedOnce: false });
    expect(pod.container('app').lastState).toBeUndefined();
    expect(podStatus(pod.context()).containerStatuses?.[0]?.state?.waiting?.reason).toBe('ErrImagePull');
  });
});

describe('pod machine: graceful termination', () => {
  it('sends SIGTERM, SIGKILL at the grace period, then ends with the phase the exits give and is removed', () => {
    const pod = startPod('Always', ['a', 'b']);
    pod.runAll();
    pod.effects.clear();
    pod.send({ type: 'pod.delete', gracePeriodSeconds: 30 });
    expect(pod.stops()).toEqual([
      { name: 'a', signal: 'SIGTERM' },
      { name: 'b', signal: 'SIGTERM' },
    ]);
    expect(pod.reasons()).toEqual(['Killing', 'Killing']);
    expect(pod.events()[0]?.message).toBe('Stopping container a (SIGTERM, grace period 30s)');
    pod.exit('a', 143);
    expect(pod.actor.getSnapshot().value).toEqual({ terminating: 'graceful' });
    pod.clock.increment(30 * S - 1);
    expect(pod.stops()).toHaveLength(2);
    pod.clock.increment(1);
    expect(pod.stops().at(-1)).toEqual({ name: 'b', signal: 'SIGKILL' });
    expect(pod.reasons().at(-1)).toBe('ExceededGracePeriod');
    pod.exit('b', 137);
    expect(pod.actor.getSnapshot().value).toEqual({ failed: 'removed' });
    expect(pod.phase()).toBe('Failed');
    expect(pod.effects.paramsOf('removePod')).toHaveLength(1);
    // The final status was written before the removal, and nothing after it.
    const calls = pod.effects.calls.map((c) => c.effect);
    expect(calls.slice(-2)).toEqual(['reportStatus', 'removePod']);
    expect((pod.effects.paramsOf('reportStatus').at(-1) as PodEffectParams['reportStatus']).status.phase).toBe('Failed');
    // No restarts during termination, even with Always.
    pod.clock.increment(10 * MIN);
    expect(pod.starts('a')).toBe(0);
  });

  it('cancels a pending restart and ends Succeeded when every container exits 0', () => {
    const pod = startPod('Always', ['a', 'b']);
    pod.runAll();
    pod.exit('a', 0);
    pod.runContainer('a');
    pod.exit('a', 0); // the second exit: backing off
    expect(pod.containerState('a')).toBe('backOff');
    pod.effects.clear();
    pod.send({ type: 'pod.delete' });
    expect(pod.stops()).toEqual([{ name: 'b', signal: 'SIGTERM' }]);
    expect(pod.containerState('a')).toBe('stopped');
    pod.clock.increment(10 * S);
    expect(pod.starts('a')).toBe(0);
    pod.exit('b', 0);
    expect(pod.actor.getSnapshot().value).toEqual({ succeeded: 'removed' });
  });

  it('kills at once with grace 0', () => {
    const pod = startPod('Always');
    pod.runAll();
    pod.send({ type: 'pod.delete', gracePeriodSeconds: 0 });
    expect(pod.stops()).toEqual([{ name: 'app', signal: 'SIGKILL' }]);
    expect(pod.actor.getSnapshot().value).toEqual({ terminating: 'killing' });
    pod.exit('app', 137);
    expect(pod.actor.getSnapshot().value).toEqual({ failed: 'removed' });
  });

  it('removes a pod with nothing running at once (Killing: Removing pod)', () => {
    const pod = startPod('Always');
    pod.send({ type: 'pod.delete' });
    expect(pod.actor.getSnapshot().value).toEqual({ failed: 'removed' });
    expect(pod.events()).toEqual([{ type: 'Normal', reason: 'Killing', message: 'Removing pod default/web' }]);
    expect(pod.effects.paramsOf('removePod')).toHaveLength(1);
  });

  it('removes a finished pod without changing its phase', () => {
    const pod = startPod('Never');
    pod.runAll();
    pod.exit('app', 0);
    expect(pod.actor.getSnapshot().value).toEqual({ succeeded: 'retained' });
    pod.send({ type: 'pod.delete' });
    expect(pod.actor.getSnapshot().value).toEqual({ succeeded: 'removed' });
    expect(pod.phase()).toBe('Succeeded');
    expect(pod.effects.paramsOf('removePod')).toHaveLength(1);
  });

  it('kills a container whose start was in flight when the pod was deleted', () => {
    const pod = startPod('Always', ['a', 'b']);
    pod.send({ type: 'sandbox.created' });
    pod.runContainer('a');
    pod.send({ type: 'pod.delete' });
    pod.send({ type: 'container.started', name: 'b' });
    expect(pod.stops()).toEqual([
      { name: 'a', signal: 'SIGTERM' },
      { name: 'b', signal: 'SIGTERM' },
    ]);
    expect(pod.events().at(-1)).toEqual({ type: 'Normal', reason: 'Killing', message: 'Stopping container b: the pod is being deleted', container: 'b' });
    pod.exit('a', 143);
    pod.exit('b', 143);
    expect(pod.phase()).toBe('Failed');
    expect(pod.actor.getSnapshot().value).toEqual({ failed: 'removed' });
  });

  it('never leaves a terminal phase: facts after it change records, not the phase', () => {
    const pod = startPod('Never', ['a', 'b']);
    pod.runAll();
    pod.exit('a', 0);
    pod.exit('b', 3);
    expect(pod.phase()).toBe('Failed');
    for (const fact of [
      { type: 'container.started', name: 'a' },
      { type: 'sandbox.created' },
      { type: 'volume.failed', message: 'late' },
      { type: 'node.lost' },
      { type: 'pod.scheduled', nodeName: 'elsewhere' },
    ] as const) {
      pod.send(fact as never);
      expect(pod.phase()).toBe('Failed');
      expect(pod.actor.getSnapshot().matches('failed')).toBe(true);
    }
  });
});

describe('pod machine: a finished pod', () => {
  it.each([
    ['Never', 0, 'Succeeded'],
    ['Never', 3, 'Failed'],
    ['OnFailure', 0, 'Succeeded'],
  ] as const)('%s, exit %d: %s, its sandbox stopped once and nothing removed until the delete', (policy, code, phase) => {
    const pod = startPod(policy);
    pod.runAll();
    expect(pod.effects.paramsOf('stopSandbox')).toHaveLength(0);
    pod.exit('app', code);
    expect(pod.phase()).toBe(phase);
    expect(pod.effects.paramsOf('stopSandbox')).toHaveLength(1);
    expect(pod.effects.paramsOf('removePod')).toHaveLength(0);
    pod.send({ type: 'pod.delete', gracePeriodSeconds: 30 });
    expect(pod.effects.paramsOf('removePod')).toHaveLength(1);
    expect(pod.effects.paramsOf('stopSandbox')).toHaveLength(1);
  });

  it('a running pod keeps its sandbox', () => {
    const pod = startPod('Always');
    pod.runAll();
    pod.exit('app', 1);
    expect(pod.phase()).toBe('Running');
    expect(pod.effects.paramsOf('stopSandbox')).toHaveLength(0);
  });
});

describe('podStatus', () => {
  it('renders the Kubernetes PodStatus shape', () => {
    const pod = startPod('Always', ['a', 'b']);
    pod.runAll();
    pod.clock.increment(5 * S);
    pod.exit('a', 1); // restarted at once: being created again
    const status = podStatus(pod.context());
    const t0 = '2024-01-01T00:00:00Z';
    expect(status).toEqual({
      phase: 'Running',
      startTime: t0,
      podIP: '10.42.0.7',
      podIPs: [{ ip: '10.42.0.7' }],
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: t0 },
        { type: 'Initialized', status: 'True', lastTransitionTime: t0 },
        { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [a]', lastTransitionTime: '2024-01-01T00:00:05Z' },
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [a]', lastTransitionTime: '2024-01-01T00:00:05Z' },
      ],
      containerStatuses: [
        {
          name: 'a',
          image: 'busybox:latest',
          imageID: '',
          containerID: 'docker://a',
          ready: false,
          started: false,
          restartCount: 0,
          state: { waiting: { reason: 'ContainerCreating' } },
          // The instance that ended is named: `logs --previous` reads it.
          lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: t0, finishedAt: '2024-01-01T00:00:05Z', containerID: 'docker://a' } },
        },
        {
          name: 'b',
          image: 'busybox:latest',
          imageID: '',
          containerID: 'docker://b',
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: t0 } },
          lastState: {},
        },
      ],
    });
  });

  it('is reported after every transition', () => {
    const pod = startPod('Never');
    pod.runAll();
    pod.exit('app', 0);
    const reported = pod.effects.paramsOf('reportStatus') as PodEffectParams['reportStatus'][];
    // Sandbox (startTime, Initialized), running, ready, Succeeded: a container not created yet already shows ContainerCreating.
    expect(reported).toHaveLength(4);
    expect(reported.at(-1)?.status).toEqual(podStatus(pod.context()));
    expect(reported.at(-1)?.status.phase).toBe('Succeeded');
  });
});
