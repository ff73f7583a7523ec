/**
 * The pod machine's waits on the cluster's objects: volumes set up before the sandbox, a
 * FailedMount retried with the kubelet's back-off (or at once when a source changed) and never
 * leaving the pod anything but Pending; a container whose configuration cannot be built waiting
 * in CreateContainerConfigError, retried, and starting once it can. SimulatedClock throughout.
 */
import { describe, expect, it } from 'vitest';
import { mountBackoffMs, MOUNT_BACKOFF_INITIAL_MS } from './backoff.ts';
import { podStatus } from './status.ts';
import { S, startPod } from './test-pod.ts';

const FAILED_MOUNT = 'MountVolume.SetUp failed for volume "cfg" : configmap "x" not found';

function withVolumes() {
  return startPod('Always', ['app'], { volumes: ['cfg', 'scratch'] });
}

const waiting = (pod: ReturnType<typeof startPod>) => podStatus(pod.context()).containerStatuses?.[0]?.state?.waiting;

describe('volumes before the sandbox', () => {
  it('sets the volumes up first, then the sandbox', () => {
    const pod = withVolumes();
    expect(pod.effects.paramsOf('mountVolumes').length).toBe(1);
    expect(pod.effects.paramsOf('createSandbox').length).toBe(0);
    expect(waiting(pod)?.reason).toBe('ContainerCreating');
    pod.send({ type: 'volumes.mounted' });
    expect(pod.effects.paramsOf('createSandbox').length).toBe(1);
    pod.runAll();
    expect(pod.phase()).toBe('Running');
  });

  it('a pod without volumes goes straight to its sandbox', () => {
    const pod = startPod('Always');
    expect(pod.effects.paramsOf('mountVolumes').length).toBe(0);
    expect(pod.effects.paramsOf('createSandbox').length).toBe(1);
  });

  it('FailedMount: Pending, an Event naming the volume, retried after 0.5 s, 1 s, 2 s…', () => {
    const pod = withVolumes();
    expect(pod.effects.paramsOf('reportStatus')).toEqual([]);
    for (let failure = 1; failure <= 4; failure++) {
      pod.send({ type: 'volumes.failed', volume: 'cfg', message: FAILED_MOUNT });
      expect(pod.phase()).toBe('Pending');
      // The waiting pod's status is written once (its containers ContainerCreating), not again for each retry.
      expect(pod.effects.paramsOf('reportStatus')).toHaveLength(1);
      expect(pod.events().at(-1)).toEqual({ type: 'Warning', reason: 'FailedMount', message: FAILED_MOUNT });
      const delay = mountBackoffMs(failure);
      pod.clock.increment(delay - 1);
      expect(pod.effects.paramsOf('mountVolumes').length).toBe(failure);
      pod.clock.increment(1);
      expect(pod.effects.paramsOf('mountVolumes').length).toBe(failure + 1);
    }
    expect(waiting(pod)?.reason).toBe('ContainerCreating');
    expect(pod.effects.paramsOf('createSandbox').length).toBe(0);
    pod.send({ type: 'volumes.mounted' });
    expect(pod.effects.paramsOf('createSandbox').length).toBe(1);
    // The count starts over once they are set up.
    expect(pod.context().mountFailures).toBe(0);
  });

  it('a source that changed retries at once; otherwise it is ignored', () => {
    const pod = withVolumes();
    pod.send({ type: 'sources.changed' });
    expect(pod.effects.paramsOf('mountVolumes').length).toBe(1);
    pod.send({ type: 'volumes.failed', volume: 'cfg', message: FAILED_MOUNT });
    pod.send({ type: 'sources.changed' });
    expect(pod.effects.paramsOf('mountVolumes').length).toBe(2);
    // The old timer went with its state: nothing fires twice.
    pod.clock.increment(MOUNT_BACKOFF_INITIAL_MS);
    expect(pod.effects.paramsOf('mountVolumes').length).toBe(2);
  });

  it('a pod deleted while it waits for a volume is removed', () => {
    const pod = withVolumes();
    pod.send({ type: 'volumes.failed', volume: 'cfg', message: FAILED_MOUNT });
    pod.send({ type: 'pod.delete', gracePeriodSeconds: 30 });
    expect(pod.effects.paramsOf('removePod').length).toBe(1);
    pod.clock.increment(10 * S);
    expect(pod.effects.paramsOf('mountVolumes').length).toBe(1);
  });

  it('the back-off doubles from 0.5 s to 122 s', () => {
    expect([1, 2, 3, 4, 8, 9, 10, 40].map(mountBackoffMs)).toEqual([500, 1000, 2000, 4000, 64_000, 122_000, 122_000, 122_000]);
  });
});

describe('CreateContainerConfigError', () => {
  function configFailing() {
    const pod = startPod('Always', ['app', 'side']);
    pod.send({ type: 'sandbox.created', podIP: '10.0.0.2' });
    pod.runContainer('side');
    pod.send({ type: 'image.pulled', name: 'app' });
    pod.send({ type: 'container.configFailed', name: 'app', message: 'configmap "x" not found' });
    return pod;
  }

  it('waits with the kubelet reason, message and Event; the pod stays Pending', () => {
    const pod = configFailing();
    expect(pod.phase()).toBe('Pending');
    expect(pod.container('app').state).toEqual({ kind: 'waiting', reason: 'CreateContainerConfigError', message: 'configmap "x" not found' });
    expect(pod.events().at(-1)).toEqual({ type: 'Warning', reason: 'Failed', message: 'Error: configmap "x" not found', container: 'app' });
  });

  it('is tried again after 10 s, and starts once it can', () => {
    const pod = configFailing();
    expect(pod.starts('app')).toBe(1);
    pod.clock.increment(10 * S - 1);
    expect(pod.starts('app')).toBe(1);
    pod.clock.increment(1);
    expect(pod.starts('app')).toBe(2);
    // Still the same waiting reason while it is retried.
    expect(pod.container('app').state).toMatchObject({ kind: 'waiting', reason: 'CreateContainerConfigError' });
    pod.runContainer('app');
    expect(pod.phase()).toBe('Running');
    expect(pod.container('app').restartCount).toBe(0);
  });

  it('a source that changed retries at once', () => {
    const pod = configFailing();
    pod.send({ type: 'sources.changed' });
    expect(pod.starts('app')).toBe(2);
    // Running containers are not touched.
    expect(pod.starts('side')).toBe(1);
  });

  it('a pod deleted meanwhile stops it for good', () => {
    const pod = configFailing();
    pod.send({ type: 'pod.delete', gracePeriodSeconds: 0 });
    pod.clock.increment(60 * S);
    expect(pod.starts('app')).toBe(1);
    pod.exit('side', 137);
    expect(pod.effects.paramsOf('removePod').length).toBe(1);
  });
});
