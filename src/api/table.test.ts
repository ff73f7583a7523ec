import { describe, expect, it } from 'vitest';
import { findResource, type ResourceInfo } from './kinds.ts';
import type { KubeObject } from './object.ts';
import { humanDuration, toTable } from './table.ts';

const info = (group: string, resource: string, version = 'v1'): ResourceInfo => findResource(group, version, resource)!;
const now = new Date('2024-05-01T12:00:00Z');
const ago = (seconds: number): string => new Date(now.getTime() - seconds * 1000).toISOString();
const meta = (name: string, createdSecondsAgo = 300): KubeObject['metadata'] => ({ name, namespace: 'default', creationTimestamp: ago(createdSecondsAgo) });

function row(resource: ResourceInfo, obj: KubeObject): (string | number | boolean)[] {
  return toTable(resource, [obj], { now }).rows[0].cells;
}

function headers(resource: ResourceInfo, wide = false): string[] {
  return toTable(resource, [], { now })
    .columnDefinitions.filter((c) => wide || c.priority === 0)
    .map((c) => c.name.toUpperCase());
}

describe('humanDuration', () => {
  it.each([
    [0, '0s'],
    [5, '5s'],
    [119, '119s'],
    [182, '3m2s'],
    [180, '3m'],
    [600, '10m'],
    [3 * 3600 + 59, '3h'],
    [4 * 3600, '4h'],
    [5 * 3600 + 30 * 60, '5h30m'],
    [20 * 3600, '20h'],
    [2 * 86400 + 3 * 3600, '2d3h'],
    [3 * 86400, '3d'],
    [40 * 86400, '40d'],
    [(2 * 365 + 30) * 86400, '2y30d'],
    [-1, '0s'],
    [-5, '<invalid>'],
  ])('%i s -> %s', (seconds, text) => expect(humanDuration(seconds * 1000)).toBe(text));
});

describe('pod rows', () => {
  const pods = info('', 'pods');
  const running = (extra: Record<string, unknown> = {}): KubeObject => ({
    metadata: meta('web'),
    spec: { nodeName: 'n1', containers: [{ name: 'c' }] },
    status: {
      phase: 'Running',
      podIP: '10.0.0.5',
      containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: { startedAt: ago(60) } } }],
      ...extra,
    },
  });

  it('has kubectl columns, IP/NODE/NOMINATED NODE/READINESS GATES only wide', () => {
    expect(headers(pods)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(headers(pods, true)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
  });

  it.each([
    ['running', running(), ['web', '1/1', 'Running', '0', '5m', '10.0.0.5', 'n1', '<none>', '<none>']],
    [
      'crash looping with restarts',
      running({
        containerStatuses: [
          { name: 'c', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(10) } } },
        ],
      }),
      ['web', '0/1', 'CrashLoopBackOff', '3 (10s ago)', '5m', '10.0.0.5', 'n1', '<none>', '<none>'],
    ],
    [
      'pending, unscheduled',
      { metadata: meta('p', 5), spec: { containers: [{ name: 'c' }] }, status: { phase: 'Pending' } },
      ['p', '0/1', 'Pending', '0', '5s', '<none>', '<none>', '<none>', '<none>'],
    ],
    [
      'completed',
      running({ phase: 'Succeeded', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }),
      ['web', '0/1', 'Completed', '0', '5m', '10.0.0.5', 'n1', '<none>', '<none>'],
    ],
    [
      'exited without reason',
      running({ phase: 'Failed', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { terminated: { exitCode: 2 } } }] }),
      ['web', '0/1', 'ExitCode:2', '0', '5m', '10.0.0.5', 'n1', '<none>', '<none>'],
    ],
    [
      'terminating',
      { ...running(), metadata: { ...meta('web'), deletionTimestamp: ago(0) } },
      ['web', '1/1', 'Terminating', '0', '5m', '10.0.0.5', 'n1', '<none>', '<none>'],
    ],
    [
      'initializing',
      {
        metadata: meta('i'),
        spec: { initContainers: [{ name: 'init' }], containers: [{ name: 'c' }] },
        status: { phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: { running: {} } }] },
      },
      ['i', '0/1', 'Init:0/1', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
    ],
    [
      'image pull error',
      running({ phase: 'Pending', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull' } } }] }),
      ['web', '0/1', 'ErrImagePull', '0', '5m', '10.0.0.5', 'n1', '<none>', '<none>'],
    ],
  ])('%s', (_name, obj, cells) => expect(row(pods, obj)).toEqual(cells));

  it('marks finished pods with a Completed row condition', () => {
    const table = toTable(pods, [running({ phase: 'Succeeded' })], { now });
    expect(table.rows[0].conditions).toEqual([{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
  });

  it('carries metadata, the object, or nothing per includeObject', () => {
    const obj = running();
    expect(toTable(pods, [obj], { now }).rows[0].object).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata });
    expect(toTable(pods, [obj], { now, includeObject: 'Object' }).rows[0].object).toBe(obj);
    expect(toTable(pods, [obj], { now, includeObject: 'None' }).rows[0]).not.toHaveProperty('object');
  });

  it('is a meta.k8s.io/v1 Table', () => {
    expect(toTable(pods, [], { now })).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', rows: [] });
  });
});

describe('other kinds', () => {
  it.each([
    [
      info('', 'nodes'),
      {
        metadata: { name: 'n1', creationTimestamp: ago(2 * 86400 + 3600 * 3), labels: { 'node-role.kubernetes.io/control-plane': '' } },
        spec: { unschedulable: true },
        status: {
          conditions: [{ type: 'Ready', status: 'True' }],
          addresses: [{ type: 'InternalIP', address: '10.1.0.1' }],
          nodeInfo: { kubeletVersion: 'v1.32.0-kactus', osImage: 'Debian', kernelVersion: '6.1', containerRuntimeVersion: 'docker://20.10' },
        },
      },
      ['n1', 'Ready,SchedulingDisabled', 'control-plane', '2d3h', 'v1.32.0-kactus', '10.1.0.1', '<none>', 'Debian', '6.1', 'docker://20.10'],
    ],
    [info('', 'nodes'), { metadata: { name: 'n2', creationTimestamp: ago(10) }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }, ['n2', 'NotReady', '<none>', '10s', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']],
    [info('', 'namespaces'), { metadata: { name: 'default', creationTimestamp: ago(60) }, status: { phase: 'Active' } }, ['default', 'Active', '60s']],
    [info('', 'configmaps'), { metadata: meta('c'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }, ['c', 3, '5m']],
    [info('', 'secrets'), { metadata: meta('s'), type: 'Opaque', data: { a: 'MQ==' } }, ['s', 'Opaque', 1, '5m']],
    [
      info('', 'events'),
      {
        metadata: meta('web.1'),
        involvedObject: { kind: 'Pod', name: 'web' },
        reason: 'Started',
        type: 'Normal',
        message: 'Started container c ',
        firstTimestamp: ago(120),
        lastTimestamp: ago(30),
        count: 2,
        source: { component: 'kubelet', host: 'n1' },
      },
      ['30s', 'Normal', 'Started', 'pod/web', '', 'kubelet, n1', 'Started container c', '2m', 2, 'web.1'],
    ],
    [
      info('events.k8s.io', 'events'),
      { metadata: meta('e'), regarding: { kind: 'Node', name: 'n1' }, reason: 'Ready', type: 'Normal', note: 'ok', eventTime: ago(5), reportingController: 'kactus' },
      ['5s', 'Normal', 'Ready', 'node/n1', '', 'kactus', 'ok', '5s', 1, 'e'],
    ],
    [
      info('apps', 'deployments'),
      {
        metadata: meta('web'),
        spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'c', image: 'busybox' }, { name: 'd', image: 'nginx' }] } } },
        status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
      },
      ['web', '2/3', 3, 2, '5m', 'c,d', 'busybox,nginx', 'app=web'],
    ],
    [
      info('apps', 'replicasets'),
      { metadata: meta('web-1'), spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'c', image: 'b' }] } } }, status: { replicas: 2, readyReplicas: 1 } },
      ['web-1', 2, 2, 1, '5m', 'c', 'b', 'app=web'],
    ],
    [info('apps', 'statefulsets'), { metadata: meta('db'), spec: { replicas: 3, template: { spec: { containers: [{ name: 'c', image: 'b' }] } } }, status: { readyReplicas: 1 } }, ['db', '1/3', '5m', 'c', 'b']],
    [
      info('apps', 'daemonsets'),
      {
        metadata: meta('ds'),
        spec: { selector: { matchLabels: { app: 'ds' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'c', image: 'b' }] } } },
        status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1 },
      },
      ['ds', 2, 2, 1, 2, 1, 'kubernetes.io/os=linux', '5m', 'c', 'b', 'app=ds'],
    ],
    [
      info('batch', 'jobs'),
      {
        metadata: meta('j'),
        spec: { completions: 3, template: { spec: { containers: [{ name: 'c', image: 'b' }] } } },
        status: { succeeded: 3, startTime: ago(100), completionTime: ago(40), conditions: [{ type: 'Complete', status: 'True' }] },
      },
      ['j', 'Complete', '3/3', '60s', '5m', 'c', 'b', '<none>'],
    ],
    [info('batch', 'jobs'), { metadata: meta('k'), spec: { parallelism: 2 }, status: { startTime: ago(30) } }, ['k', 'Running', '0/1 of 2', '30s', '5m', '', '', '<none>']],
    [
      info('batch', 'cronjobs'),
      { metadata: meta('cj'), spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'b' }] } } } } }, status: { active: [{}], lastScheduleTime: ago(65) } },
      ['cj', '*/5 * * * *', '<none>', 'False', 1, '65s', '5m', 'c', 'b', '<none>'],
    ],
    [
      info('', 'services'),
      { metadata: meta('svc'), spec: { type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }], selector: { app: 'web' } } },
      ['svc', 'NodePort', '10.96.0.10', '<none>', '80:30080/TCP,53/UDP', '5m', 'app=web'],
    ],
    [info('', 'services'), { metadata: meta('lb'), spec: { type: 'LoadBalancer', clusterIP: '10.96.0.11', ports: [{ port: 443, protocol: 'TCP' }] } }, ['lb', 'LoadBalancer', '10.96.0.11', '<pending>', '443/TCP', '5m', '<none>']],
    [info('', 'services'), { metadata: meta('db'), spec: { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], selector: { app: 'db' } } }, ['db', 'ClusterIP', 'None', '<none>', '<none>', '5m', 'app=db']],
    [info('', 'services'), { metadata: meta('ext'), spec: { type: 'ExternalName', externalName: 'example.com' } }, ['ext', 'ExternalName', '<none>', 'example.com', '<none>', '5m', '<none>']],
    [
      info('', 'endpoints'),
      {
        metadata: meta('web'),
        subsets: [
          { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], notReadyAddresses: [{ ip: '10.0.0.9' }], ports: [{ name: 'http', port: 80 }, { name: 'metrics', port: 9090 }] },
        ],
      },
      ['web', '10.0.0.1:80,10.0.0.2:80,10.0.0.1:9090 + 1 more...', '5m'],
    ],
    [info('', 'endpoints'), { metadata: meta('none') }, ['none', '<none>', '5m']],
    [info('', 'endpoints'), { metadata: meta('headless'), subsets: [{ addresses: [{ ip: '10.0.0.1' }] }] }, ['headless', '10.0.0.1', '5m']],
    [
      info('discovery.k8s.io', 'endpointslices'),
      {
        metadata: meta('web-x7k2p'),
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'all', protocol: 'TCP' }],
        endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }, { addresses: ['10.0.0.3'] }, { addresses: ['10.0.0.4'] }],
      },
      ['web-x7k2p', 'IPv4', '80,all', '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...', '5m'],
    ],
    [info('discovery.k8s.io', 'endpointslices'), { metadata: meta('web-empty'), addressType: 'IPv4' }, ['web-empty', 'IPv4', '<unset>', '<unset>', '5m']],
    [
      info('autoscaling', 'horizontalpodautoscalers', 'v2'),
      {
        metadata: meta('h'),
        spec: {
          scaleTargetRef: { kind: 'Deployment', name: 'web' },
          minReplicas: 1,
          maxReplicas: 5,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
        },
        status: { currentReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 45 } } }] },
      },
      ['h', 'Deployment/web', 'cpu: 45%/80%', '1', 5, 2, '5m'],
    ],
    [info('coordination.k8s.io', 'leases'), { metadata: meta('kactus-controller-manager'), spec: { holderIdentity: 'm1' } }, ['kactus-controller-manager', 'm1', '5m']],
    [info('', 'serviceaccounts'), { metadata: meta('default') }, ['default', 0, '5m']],
  ])('%s row %#', (resource, obj, cells) => expect(row(resource, obj as KubeObject)).toEqual(cells));

  it.each([
    [info('', 'nodes'), ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']],
    [info('', 'events'), ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']],
    [info('apps', 'deployments'), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']],
    [info('batch', 'jobs'), ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']],
    [info('', 'services'), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']],
    [info('', 'endpoints'), ['NAME', 'ENDPOINTS', 'AGE']],
    [info('discovery.k8s.io', 'endpointslices'), ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']],
    [info('autoscaling', 'horizontalpodautoscalers', 'v2'), ['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE']],
  ])('%s headers', (resource, expected) => expect(headers(resource)).toEqual(expected));
});
