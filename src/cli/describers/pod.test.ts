import { describe, expect, it } from 'vitest';
import { describeObject } from './index.ts';
import { qosClass } from './pod.ts';

const now = new Date('2024-01-01T00:10:00Z');

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-0',
    namespace: 'default',
    uid: 'u1',
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 's1', controller: true }],
  },
  spec: {
    nodeName: 'node-a',
    containers: [
      {
        name: 'app',
        image: 'busybox',
        command: ['sh', '-c', 'exit 1'],
        env: [{ name: 'MODE', value: 'fast' }, { name: 'KEY', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }],
        volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'cfg', mountPath: '/etc/cfg', readOnly: true }],
        resources: { limits: { memory: '64Mi' }, requests: { cpu: '100m' } },
        readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5 },
      },
      { name: 'side', image: 'busybox' },
    ],
    volumes: [
      { name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } },
      { name: 'cfg', configMap: { name: 'cfg' } },
      { name: 'tmp', emptyDir: {} },
    ],
    tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
  },
  status: {
    phase: 'Running',
    hostIP: '10.0.0.2',
    podIP: '10.88.0.5',
    podIPs: [{ ip: '10.88.0.5' }],
    startTime: '2024-01-01T00:00:00Z',
    conditions: [
      { type: 'Ready', status: 'False' },
      { type: 'PodScheduled', status: 'True' },
    ],
    containerStatuses: [
      {
        name: 'app',
        image: 'busybox',
        imageID: 'docker://sha256:abc',
        containerID: 'docker://c2',
        ready: false,
        restartCount: 3,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: '2024-01-01T00:05:00Z', finishedAt: '2024-01-01T00:05:01Z', containerID: 'docker://c1' } },
      },
      { name: 'side', image: 'busybox', imageID: '', containerID: 'docker://s1', ready: true, restartCount: 0, state: { running: { startedAt: '2024-01-01T00:00:01Z' } } },
    ],
  },
};

describe('describe pod', () => {
  const out = describeObject(pod, [
    { type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container', involvedObject: { uid: 'u1', name: 'web-0', kind: 'Pod' }, source: { component: 'kubelet' }, lastTimestamp: '2024-01-01T00:09:00Z' },
    { type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned default/web-0 to node-a', involvedObject: { uid: 'u1', name: 'web-0', kind: 'Pod' }, source: { component: 'default-scheduler' }, lastTimestamp: '2024-01-01T00:00:00Z' },
    { type: 'Normal', reason: 'Pulled', message: 'an older pod of the same name', involvedObject: { uid: 'old', name: 'web-0', kind: 'Pod' }, lastTimestamp: '2024-01-01T00:01:00Z' },
  ], now);

  it('prints where it runs, its status and IP, and its controller', () => {
    expect(out).toMatch(/^Node:\s+node-a\/10\.0\.0\.2$/m);
    expect(out).toMatch(/^Start Time:\s+Mon, 01 Jan 2024 00:00:00 \+0000$/m);
    expect(out).toMatch(/^Status:\s+Running$/m);
    expect(out).toMatch(/^IP:\s+10\.88\.0\.5$/m);
    expect(out).toMatch(/^Controlled By:\s+StatefulSet\/web$/m);
  });

  it('prints each container: waiting reason, last state with exit code, readiness, restarts, env, mounts', () => {
    const app = out.slice(out.indexOf('  app:'), out.indexOf('  side:'));
    expect(app).toContain(
      [
        '    State:          Waiting',
        '      Reason:       CrashLoopBackOff',
        '    Last State:     Terminated',
        '      Reason:       Error',
        '      Exit Code:    1',
        '      Started:      Mon, 01 Jan 2024 00:05:00 +0000',
        '      Finished:     Mon, 01 Jan 2024 00:05:01 +0000',
        '    Ready:          False',
        '    Restart Count:  3',
      ].join('\n'),
    );
    expect(app).toContain('    Container ID:   docker://c2\n    Image:          busybox\n    Image ID:       docker://sha256:abc\n');
    expect(app).toMatch(/ {4}Limits:\n {6}memory:\s+64Mi\n {4}Requests:\n {6}cpu:\s+100m\n/);
    // As kubectl's tabwriter: a line without a value (`Requests:`) ends an aligned block.
    expect(app).toMatch(/ {6}cpu: {6}100m\n {4}Readiness: {2}http-get http:\/\/:8080\/healthz delay=0s timeout=1s period=5s #success=1 #failure=3\n/);
    expect(app).toMatch(/ {4}Environment:\n {6}MODE:\s+fast\n {6}KEY:\s+<set to the key 'k' of config map 'cfg'> {2}Optional: false\n/);
    expect(app).toContain('    Mounts:\n      /data from data (rw)\n      /etc/cfg from cfg (ro)\n');
    const side = out.slice(out.indexOf('  side:'), out.indexOf('Conditions:'));
    expect(side).toMatch(/State:\s+Running\n\s+Started:\s+Mon, 01 Jan 2024 00:00:01 \+0000\n\s+Ready:\s+True\n/);
    expect(side).not.toContain('Last State');
  });

  it('prints conditions, volumes by type, QoS class and tolerations', () => {
    expect(out).toContain('Conditions:\n  Type           Status\n  Ready          False\n  PodScheduled   True\n');
    expect(out).toMatch(/ {2}data:\n {4}Type:\s+PersistentVolumeClaim \(a reference to a PersistentVolumeClaim in the same namespace\)\n {4}ClaimName:\s+data-web-0\n {4}ReadOnly:\s+false\n/);
    expect(out).toMatch(/ {2}cfg:\n {4}Type:\s+ConfigMap \(a volume populated by a ConfigMap\)\n {4}Name:\s+cfg\n {4}Optional:\s+false\n/);
    expect(out).toMatch(/ {2}tmp:\n {4}Type:\s+EmptyDir \(a temporary directory that shares a pod's lifetime\)\n {4}Medium:\n {4}SizeLimit:\s+<unset>\n/);
    expect(out).toMatch(/^QoS Class:\s+Burstable$/m);
    expect(out).toMatch(/^Tolerations:\s+node\.kubernetes\.io\/not-ready:NoExecute op=Exists for 300s$/m);
  });

  it("lists this pod's events only (by uid), oldest first", () => {
    const events = out.slice(out.indexOf('Events:'));
    expect(events).toMatch(/Normal\s+Scheduled\s+10m\s+default-scheduler\s+Successfully assigned default\/web-0 to node-a\n.*Warning\s+BackOff\s+60s\s+kubelet\s+Back-off restarting failed container/);
    expect(events).not.toContain('an older pod');
  });

  it('computes the QoS class as Kubernetes does', () => {
    const withResources = (resources: object) => ({ spec: { containers: [{ name: 'c', resources }] } });
    expect(qosClass(withResources({}))).toBe('BestEffort');
    expect(qosClass(withResources({ limits: { cpu: '1', memory: '1Gi' } }))).toBe('Guaranteed');
    expect(qosClass(withResources({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } }))).toBe('Burstable');
  });
});
