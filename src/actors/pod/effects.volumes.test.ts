/**
 * The effect layer's part in volumes and configuration, on the hollow runtime: `mountVolumes`
 * failing (FailedMount, the pod Pending, woken by `sourcesChanged`) then succeeding before the
 * sandbox; a container's configuration built at each start (with the pod's IP) and failing into
 * CreateContainerConfigError until it can be built; an adopted pod going on when its volumes fail.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { PodStatus } from 'kubernetes-types/core/v1.js';
import { HollowRuntime } from '../../../node-daemon/runtime/hollow.ts';
import type { ContainerSpec, HostVolume, RuntimePod } from '../../runtime/types.ts';
import { ContainerConfigError, VolumeMountError } from './config-errors.ts';
import { PodRuntimeActor, type PodEffectsDeps } from './effects.ts';
import type { PodEventRecord } from './events.ts';
import { waitFor } from '../../../test/support/wait.ts';

const POD = { uid: 'uid-v', namespace: 'default', name: 'web' };
const MOUNT_MESSAGE = 'MountVolume.SetUp failed for volume "cfg" : configmap "x" not found';

function podActor(runtime: HollowRuntime, deps: Partial<PodEffectsDeps>, adopted?: RuntimePod) {
  const clock = new SimulatedClock();
  clock.set(Date.now());
  const spec: ContainerSpec = { name: 'app', image: 'busybox:latest', command: ['sleep', '3600'] };
  const events: PodEventRecord[] = [];
  const statuses: PodStatus[] = [];
  const errors: unknown[] = [];
  const actor = new PodRuntimeActor(
    { ...POD, nodeName: 'n1', restartPolicy: 'Always', terminationGracePeriodSeconds: 30, containers: [{ name: 'app', image: spec.image }], volumes: ['cfg'] },
    {
      runtime,
      pod: POD,
      specs: new Map([['app', spec]]),
      volumes: [],
      prepareVolumes: async () => {},
      removeVolumes: async () => {},
      hostIP: '127.0.0.1',
      onEvent: (e) => events.push(e),
      onStatus: (s) => statuses.push(s),
      onRemoved: () => {},
      onError: (err) => errors.push(err),
      now: () => clock.now(),
      ...(adopted ? { adopted } : {}),
      ...deps,
    },
    { clock },
  );
  actor.start();
  const app = () => actor.status().containerStatuses?.find((c) => c.name === 'app');
  return { actor, clock, events, errors, app, phase: () => actor.status().phase, reasons: () => events.map((e) => e.reason) };
}

describe('pod effects: volumes and configuration', () => {
  it('a volume that cannot be set up keeps the pod Pending until a source changes', async () => {
    const runtime = new HollowRuntime();
    let ready = false;
    let attempts = 0;
    const pod = podActor(runtime, {
      mountVolumes: async () => {
        attempts++;
        if (!ready) throw new VolumeMountError('cfg', MOUNT_MESSAGE);
      },
    });
    await waitFor('FailedMount', () => pod.reasons().includes('FailedMount'));
    expect(pod.events.find((e) => e.reason === 'FailedMount')).toEqual({ type: 'Warning', reason: 'FailedMount', message: MOUNT_MESSAGE });
    expect(pod.phase()).toBe('Pending');
    expect(pod.app()?.state?.waiting?.reason).toBe('ContainerCreating');
    expect((await runtime.listPods()).length).toBe(0);
    ready = true;
    pod.actor.sourcesChanged();
    await waitFor('Running', () => pod.phase() === 'Running');
    expect(attempts).toBe(2);
    expect(pod.errors).toEqual([]);
  });

  it('the back-off retries on its own too', async () => {
    let attempts = 0;
    const pod = podActor(new HollowRuntime(), {
      mountVolumes: async () => {
        if (++attempts < 3) throw new VolumeMountError('cfg', MOUNT_MESSAGE);
      },
    });
    await waitFor('first failure', () => attempts === 1 && pod.reasons().includes('FailedMount'));
    pod.clock.increment(500);
    await waitFor('second attempt', () => attempts === 2 && pod.reasons().filter((r) => r === 'FailedMount').length === 2);
    pod.clock.increment(1000);
    await waitFor('Running', () => pod.phase() === 'Running');
  });

  it('each start builds the configuration (with the pod IP it has); a ContainerConfigError waits until it can be built', async () => {
    const runtime = new HollowRuntime();
    let envReady = false;
    const asked: { podIP?: string }[] = [];
    const volume: HostVolume = { name: 'cfg', hostPath: '/tmp/nowhere' };
    const pod = podActor(runtime, {
      mountVolumes: async () => {},
      containerConfig: async (name, ctx) => {
        asked.push(ctx);
        if (!envReady) throw new ContainerConfigError('configmap "env" not found');
        return { spec: { name, image: 'busybox:latest', env: { MODE: 'on' } }, volumes: [volume], events: [{ type: 'Warning', reason: 'InvalidEnvironmentVariableNames', message: 'Keys [a=b] …' }] };
      },
    });
    await waitFor('CreateContainerConfigError', () => pod.app()?.state?.waiting?.reason === 'CreateContainerConfigError');
    expect(pod.app()?.state?.waiting?.message).toBe('configmap "env" not found');
    expect(pod.events.filter((e) => e.reason === 'Failed').map((e) => e.message)).toEqual(['Error: configmap "env" not found']);
    expect(pod.phase()).toBe('Pending');
    envReady = true;
    pod.clock.increment(10_000);
    await waitFor('Running', () => pod.phase() === 'Running');
    // Asked once per attempt, with the sandbox's address when it has one (a hollow sandbox has none).
    const ip = pod.actor.sandbox?.ip;
    expect(asked).toEqual([ip === undefined ? {} : { podIP: ip }, ip === undefined ? {} : { podIP: ip }]);
    expect(pod.reasons()).toContain('InvalidEnvironmentVariableNames');
  });

  it('an adopted pod whose volumes fail again runs on (FailedMount recorded)', async () => {
    const engineRuntime = new HollowRuntime();
    const sandbox = await engineRuntime.createSandbox(POD);
    const id = await engineRuntime.createContainer(sandbox.sandboxId, { name: 'app', image: 'busybox:latest', command: ['sleep', '3600'] }, []);
    await engineRuntime.startContainer(id);
    const [adopted] = await engineRuntime.listPods();
    const pod = podActor(
      engineRuntime,
      {
        mountVolumes: async () => {
          throw new VolumeMountError('cfg', MOUNT_MESSAGE);
        },
      },
      adopted,
    );
    await waitFor('Running', () => pod.phase() === 'Running');
    expect(pod.app()?.containerID).toBe(`hollow://${id}`);
    expect(pod.reasons()).toContain('FailedMount');
  });
});
