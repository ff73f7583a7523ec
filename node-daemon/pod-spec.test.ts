import { describe, expect, it } from 'vitest';
import { readNodePod } from './pod-spec.ts';

const pod = {
  metadata: { name: 'web', namespace: 'shop', uid: 'u1', deletionTimestamp: '2024-01-01T00:00:00Z', deletionGracePeriodSeconds: 5 },
  spec: {
    nodeName: 'n1',
    restartPolicy: 'OnFailure',
    terminationGracePeriodSeconds: 20,
    hostname: 'web-0',
    containers: [
      {
        name: 'app',
        image: 'busybox',
        command: ['sh', '-c'],
        args: ['echo $A'],
        env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        workingDir: '/w',
        resources: { limits: { memory: '16Mi', cpu: '500m' }, requests: { cpu: '250m' } },
        volumeMounts: [{ name: 'cache', mountPath: '/cache' }, { name: 'host', mountPath: '/h', readOnly: true }],
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2 },
      },
    ],
    volumes: [{ name: 'cache', emptyDir: {} }, { name: 'host', hostPath: { path: '/srv' } }, { name: 'cfg', configMap: { name: 'c' } }],
  },
  status: { phase: 'Running', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
};

describe('readNodePod', () => {
  it('maps a stored Pod to machine input (with its volume names) and runtime specs', () => {
    const p = readNodePod(pod);
    expect(p.ref).toEqual({ uid: 'u1', namespace: 'shop', name: 'web', hostname: 'web-0' });
    expect(p.input).toMatchObject({ nodeName: 'n1', restartPolicy: 'OnFailure', terminationGracePeriodSeconds: 20, scheduledAt: Date.UTC(2024, 0, 1) });
    expect(p.specs.get('app')).toEqual({
      name: 'app',
      image: 'busybox',
      command: ['sh', '-c'],
      args: ['echo $A'],
      env: { A: '1', B: '' },
      workingDir: '/w',
      resources: { memoryLimitBytes: 16 * 2 ** 20, cpuLimitMillis: 500, cpuRequestMillis: 250 },
      volumeMounts: [{ name: 'cache', mountPath: '/cache' }, { name: 'host', mountPath: '/h', readOnly: true }],
    });
    expect(p.input.volumes).toEqual(['cache', 'host', 'cfg']);
    // Probes go to the machine (probes/probe-spec.test.ts reads them in full), named ports resolved.
    expect(p.input.containers).toEqual([
      {
        name: 'app',
        image: 'busybox',
        probes: {
          readiness: {
            handler: { type: 'httpGet', scheme: 'HTTP', port: 8080, path: '/healthz', headers: [] },
            initialDelaySeconds: 0,
            periodSeconds: 2,
            timeoutSeconds: 1,
            successThreshold: 1,
            failureThreshold: 3,
          },
        },
      },
    ]);
    expect(p.deletion).toEqual({ graceSeconds: 5 });
    expect(p.storedPhase).toBe('Running');
  });

  it('passes stdin, stdinOnce and tty on (kubectl run -i -t)', () => {
    const p = readNodePod({ metadata: { name: 'a', uid: 'u' }, spec: { containers: [{ name: 'c', image: 'i', stdin: true, stdinOnce: true, tty: true }, { name: 'd', image: 'i', stdin: false }] } });
    expect(p.specs.get('c')).toEqual({ name: 'c', image: 'i', stdin: true, stdinOnce: true, tty: true });
    expect(p.specs.get('d')).toEqual({ name: 'd', image: 'i' });
  });

  it('reads init containers: in the machine input, in order, and their runtime specs first', () => {
    const p = readNodePod(
      {
        metadata: { name: 'a', uid: 'u' },
        spec: {
          initContainers: [
            { name: 'wait', image: 'busybox', command: ['sh', '-c', 'sleep 1'] },
            { name: 'migrate', image: 'tools' },
          ],
          containers: [{ name: 'app', image: 'busybox' }],
        },
      },
    );
    expect(p.input.initContainers).toEqual([
      { name: 'wait', image: 'busybox' },
      { name: 'migrate', image: 'tools' },
    ]);
    expect(p.input.containers).toEqual([{ name: 'app', image: 'busybox', probes: {} }]);
    expect([...p.specs.keys()]).toEqual(['wait', 'migrate', 'app']);
    expect(p.specs.get('wait')).toEqual({ name: 'wait', image: 'busybox', command: ['sh', '-c', 'sleep 1'] });
  });

  it('reads a sidecar (an init container with restartPolicy Always) with its probes', () => {
    const p = readNodePod(
      {
        metadata: { name: 'a', uid: 'u' },
        spec: {
          initContainers: [{ name: 'proxy', image: 'busybox', restartPolicy: 'Always', startupProbe: { exec: { command: ['true'] } } }],
          containers: [{ name: 'app', image: 'busybox' }],
        },
      },
    );
    expect(p.input.initContainers).toEqual([
      {
        name: 'proxy',
        image: 'busybox',
        restartPolicy: 'Always',
        probes: { startup: { handler: { type: 'exec', command: ['true'] }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 } },
      },
    ]);
  });

  it('defaults restart policy and grace as the API does', () => {
    const p = readNodePod({ metadata: { name: 'a', uid: 'u' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    expect(p.input).toMatchObject({ namespace: 'default', restartPolicy: 'Always', terminationGracePeriodSeconds: 30 });
    expect(p.input.initContainers).toBeUndefined();
    expect(p.deletion).toBeUndefined();
  });
});
