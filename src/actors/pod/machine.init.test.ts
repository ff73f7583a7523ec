/**
 * Init containers (`spec.initContainers`), as the kubelet runs them: one at a time, in order,
 * each to completion before the next, all before the containers; a failure restarts it unless
 * the pod's policy is Never (then the pod fails); a completed one never runs again. What kubectl
 * shows is checked through the API's own pod printer (kubectl's printPod: `Init:N/M`).
 */
import { describe, expect, it } from 'vitest';
import { findResource } from '../../api/kinds.ts';
import { toTable } from '../../api/table.ts';
import type { KubeObject } from '../../api/object.ts';
import type { RestartPolicy } from './events.ts';
import { podStatus } from './status.ts';
import { S, startPod, T0 } from './test-pod.ts';

const INIT = [{ name: 'i1', image: 'busybox:latest' }, { name: 'i2', image: 'busybox:latest' }];

function initPod(policy: RestartPolicy) {
  return startPod(policy, ['app'], { initContainers: INIT });
}

type Pod = ReturnType<typeof initPod>;

/** The READY and STATUS columns `kubectl get pods` prints for the pod now. */
function kubectlColumns(pod: Pod, initContainers: readonly object[] = INIT): [string, string] {
  const obj = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: new Date(T0).toISOString() },
    spec: { initContainers, containers: [{ name: 'app', image: 'busybox:latest' }] },
    status: podStatus(pod.context()),
  } as unknown as KubeObject;
  const cells = toTable(findResource('', 'v1', 'pods')!, [obj], { now: new Date(T0) }).rows[0]!.cells;
  return [String(cells[1]), String(cells[2])];
}

function kubectlStatus(pod: Pod): string {
  return kubectlColumns(pod)[1];
}

function initialized(pod: Pod) {
  return podStatus(pod.context()).conditions?.find((c) => c.type === 'Initialized');
}

describe('pod machine: init containers', () => {
  it('runs them one at a time, in order, each to completion, before the containers', () => {
    const pod = initPod('Always');
    pod.send({ type: 'sandbox.created', podIP: '10.42.0.7' });
    expect([pod.starts('i1'), pod.starts('i2'), pod.starts('app')]).toEqual([1, 0, 0]);
    expect(pod.phase()).toBe('Pending');
    expect(kubectlStatus(pod)).toBe('Init:0/2');
    expect(initialized(pod)).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [i1 i2]' });

    pod.runContainer('i1');
    expect(pod.starts('i2')).toBe(0);
    pod.clock.increment(2 * S);
    pod.exit('i1', 0);
    expect([pod.starts('i2'), pod.starts('app')]).toEqual([1, 0]);
    expect(kubectlStatus(pod)).toBe('Init:1/2');

    pod.runContainer('i2');
    pod.exit('i2', 0);
    expect(pod.starts('app')).toBe(1);
    expect(initialized(pod)).toEqual({ type: 'Initialized', status: 'True', lastTransitionTime: '2024-01-01T00:00:02Z' });
    // The kubelet shows a pod with init containers as PodInitializing until its containers run.
    expect(kubectlStatus(pod)).toBe('PodInitializing');
    expect(pod.phase()).toBe('Pending');

    pod.runContainer('app');
    expect(pod.phase()).toBe('Running');
    expect(kubectlStatus(pod)).toBe('Running');
    const status = podStatus(pod.context());
    expect(status.initContainerStatuses?.map((c) => [c.name, c.state?.terminated?.reason, c.state?.terminated?.exitCode])).toEqual([
      ['i1', 'Completed', 0],
      ['i2', 'Completed', 0],
    ]);
    // Their Events name them as init containers (fieldPath spec.initContainers{…}).
    expect(pod.events().filter((e) => e.container === 'i1').every((e) => e.init === true)).toBe(true);
    expect(pod.events().filter((e) => e.container === 'app').every((e) => e.init === undefined)).toBe(true);
    // A completed init container never runs again, even under Always.
    pod.clock.increment(600 * S);
    expect([pod.starts('i1'), pod.starts('i2')]).toEqual([1, 1]);
    expect(pod.containerState('i1')).toBe('terminated');
  });

  it.each(['Always', 'OnFailure'] as const)('%s: a failing init container restarts (at once, then backing off) and the pod stays Pending', (policy) => {
    const pod = initPod(policy);
    pod.send({ type: 'sandbox.created' });
    pod.runContainer('i1');
    pod.exit('i1', 1);
    expect(pod.starts('i1')).toBe(2);
    pod.runContainer('i1');
    pod.exit('i1', 1);
    expect(pod.container('i1').state).toMatchObject({ kind: 'waiting', reason: 'CrashLoopBackOff' });
    expect(kubectlStatus(pod)).toBe('Init:CrashLoopBackOff');
    pod.clock.increment(10 * S);
    expect(pod.starts('i1')).toBe(3);
    expect(pod.starts('i2')).toBe(0);
    expect(pod.phase()).toBe('Pending');
    pod.runContainer('i1');
    pod.exit('i1', 0);
    expect(pod.container('i1').restartCount).toBe(2);
    expect(pod.starts('i2')).toBe(1);
  });

  it('Never: a failed init container fails the pod; its containers never start', () => {
    const pod = initPod('Never');
    pod.send({ type: 'sandbox.created' });
    pod.runContainer('i1');
    pod.exit('i1', 3);
    expect(pod.phase()).toBe('Failed');
    expect(kubectlStatus(pod)).toBe('Init:Error');
    pod.clock.increment(600 * S);
    expect([pod.starts('i1'), pod.starts('i2'), pod.starts('app')]).toEqual([1, 0, 0]);
    expect(pod.containerState('i2')).toBe('stopped');
    expect(pod.containerState('app')).toBe('stopped');
    expect(pod.effects.paramsOf('stopSandbox')).toHaveLength(1);
  });

  it('a delete while initializing stops the running init container and ends Failed', () => {
    const pod = initPod('Always');
    pod.send({ type: 'sandbox.created' });
    pod.runContainer('i1');
    pod.send({ type: 'pod.delete', gracePeriodSeconds: 5 });
    expect(pod.stops()).toEqual([{ name: 'i1', signal: 'SIGTERM' }]);
    pod.exit('i1', 143);
    expect(pod.actor.getSnapshot().value).toEqual({ failed: 'removed' });
    expect([pod.starts('i2'), pod.starts('app')]).toEqual([0, 0]);
  });

  describe('sidecars (an init container with restartPolicy Always)', () => {
    const SIDECAR = [{ name: 'proxy', image: 'busybox:latest', restartPolicy: 'Always' as const }, { name: 'i1', image: 'busybox:latest' }];

    it('lets the next init container start once it runs, runs beside the containers, and is stopped when they are done', () => {
      const pod = startPod('Never', ['app'], { initContainers: SIDECAR });
      pod.send({ type: 'sandbox.created' });
      expect([pod.starts('proxy'), pod.starts('i1')]).toEqual([1, 0]);
      pod.runContainer('proxy');
      expect(pod.starts('i1')).toBe(1);
      pod.runContainer('i1');
      pod.exit('i1', 0);
      expect(pod.starts('app')).toBe(1);
      pod.runContainer('app');
      expect(pod.phase()).toBe('Running');
      expect(kubectlColumns(pod, SIDECAR)).toEqual(['2/2', 'Running']);
      // A sidecar restarts whatever the pod's policy.
      pod.exit('proxy', 1);
      expect(pod.starts('proxy')).toBe(2);
      pod.runContainer('proxy');
      expect(pod.container('proxy').restartCount).toBe(1);
      // The containers are done: the pod completes, its sidecar is stopped.
      pod.effects.clear();
      pod.exit('app', 0);
      expect(pod.phase()).toBe('Succeeded');
      expect(pod.stops()).toEqual([{ name: 'proxy', signal: 'SIGTERM' }]);
      pod.exit('proxy', 143);
      expect(pod.phase()).toBe('Succeeded');
      expect(pod.containerState('proxy')).toBe('terminated');
    });

    it('with a startup probe, holds the next init container until the probe passes', () => {
      const probe = { handler: { type: 'exec' as const, command: ['true'] }, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };
      const pod = startPod('Always', ['app'], { initContainers: [{ ...SIDECAR[0]!, probes: { startup: probe } }, SIDECAR[1]!] });
      pod.send({ type: 'sandbox.created' });
      pod.runContainer('proxy');
      expect(pod.starts('i1')).toBe(0);
      expect(initialized(pod)).toMatchObject({ status: 'False', message: 'containers with incomplete status: [proxy i1]' });
      pod.send({ type: 'probe.succeeded', name: 'proxy', kind: 'startup' });
      expect(pod.starts('i1')).toBe(1);
    });

    it('a delete stops it with the containers; the phase is the containers\'', () => {
      const pod = startPod('Always', ['app'], { initContainers: SIDECAR });
      pod.runAll();
      pod.send({ type: 'pod.delete', gracePeriodSeconds: 5 });
      expect(pod.stops().map((s) => s.name).sort()).toEqual(['app', 'proxy']);
      pod.exit('app', 0);
      expect(pod.actor.getSnapshot().value).toEqual({ terminating: 'graceful' });
      pod.exit('proxy', 143);
      expect(pod.actor.getSnapshot().value).toEqual({ succeeded: 'removed' });
    });
  });
});
