import { describe, expect, it } from 'vitest';
import { applyDefaults, defaultPullPolicy } from './defaults.ts';
import { findResource } from './kinds.ts';
import type { KubeObject } from './object.ts';

const info = (group: string, resource: string, version = 'v1') => findResource(group, version, resource)!;

describe('defaultPullPolicy', () => {
  it.each([
    ['busybox', 'Always'],
    ['busybox:latest', 'Always'],
    ['busybox:1.36', 'IfNotPresent'],
    ['registry:5000/busybox', 'Always'],
    ['registry:5000/busybox:1.0', 'IfNotPresent'],
    ['busybox@sha256:abc', 'IfNotPresent'],
  ])('%s -> %s', (image, policy) => expect(defaultPullPolicy(image)).toBe(policy));
});

describe('applyDefaults', () => {
  it('fills a pod as Kubernetes does and leaves the input alone', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'busybox',
            ports: [{ containerPort: 80 }],
            readinessProbe: { httpGet: { port: 80 } },
            resources: { limits: { cpu: '1' } },
          },
        ],
        volumes: [{ name: 'scratch' }, { name: 'cfg', configMap: { name: 'x' } }],
      },
    };
    const out = applyDefaults(info('', 'pods'), pod);
    expect(out.spec).toEqual({
      containers: [
        {
          name: 'c',
          image: 'busybox',
          imagePullPolicy: 'Always',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          readinessProbe: { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
          resources: { limits: { cpu: '1' }, requests: { cpu: '1' } },
        },
      ],
      volumes: [{ name: 'scratch', emptyDir: {} }, { name: 'cfg', configMap: { name: 'x', defaultMode: 420 } }],
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      securityContext: {},
      enableServiceLinks: true,
    });
    expect(pod.spec).not.toHaveProperty('restartPolicy');
  });

  it('keeps values the user set', () => {
    const out = applyDefaults(info('', 'pods'), { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x:1', imagePullPolicy: 'Never' }] } });
    expect(out.spec).toMatchObject({ restartPolicy: 'Never', containers: [{ imagePullPolicy: 'Never' }] });
  });

  it.each([
    ['secret type', info('', 'secrets'), {}, { type: 'Opaque' }],
    ['secret stringData', info('', 'secrets'), { data: { a: 'eA==' }, stringData: { b: 'hi' } }, { data: { a: 'eA==', b: 'aGk=' } }],
    ['namespace', info('', 'namespaces'), {}, { spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } }],
    [
      'service',
      info('', 'services'),
      { spec: { ports: [{ port: 80 }] } },
      { spec: { type: 'ClusterIP', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] } },
    ],
    [
      'deployment',
      info('apps', 'deployments'),
      { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:1' }] } } } },
      {
        spec: {
          replicas: 1,
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
          revisionHistoryLimit: 10,
          progressDeadlineSeconds: 600,
          template: { spec: { restartPolicy: 'Always', containers: [{ imagePullPolicy: 'IfNotPresent' }] } },
        },
      },
    ],
    [
      'daemonset',
      info('apps', 'daemonsets'),
      { spec: { template: { spec: { containers: [] } } } },
      { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 } },
    ],
    [
      'statefulset',
      info('apps', 'statefulsets'),
      { spec: { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }] } },
      {
        spec: {
          replicas: 1,
          podManagementPolicy: 'OrderedReady',
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
          volumeClaimTemplates: [{ spec: { volumeMode: 'Filesystem' }, status: { phase: 'Pending' } }],
        },
      },
    ],
    [
      'job',
      info('batch', 'jobs'),
      { spec: { template: { metadata: { labels: { app: 'j' } }, spec: { restartPolicy: 'Never', containers: [] } } } },
      {
        metadata: { labels: { app: 'j' } },
        spec: { completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, podReplacementPolicy: 'TerminatingOrFailed' },
      },
    ],
    ['job with parallelism only', info('batch', 'jobs'), { spec: { parallelism: 3 } }, { spec: { parallelism: 3 } }],
    [
      'cronjob',
      info('batch', 'cronjobs'),
      { spec: { jobTemplate: { spec: { template: { spec: { containers: [] } } } } } },
      {
        spec: {
          concurrencyPolicy: 'Allow',
          suspend: false,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 1,
          jobTemplate: { spec: { template: { spec: { restartPolicy: 'Always' } } } },
        },
      },
    ],
    [
      'hpa',
      info('autoscaling', 'horizontalpodautoscalers', 'v2'),
      { spec: {} },
      { spec: { minReplicas: 1, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] } },
    ],
    [
      'replication controller',
      info('', 'replicationcontrollers'),
      { spec: { template: { metadata: { labels: { app: 'r' } } } } },
      { metadata: { labels: { app: 'r' } }, spec: { replicas: 1, selector: { app: 'r' } } },
    ],
  ])('%s', (_name, resource, input, expected) => {
    expect(applyDefaults(resource, input as KubeObject)).toMatchObject(expected);
  });

  it('drops stringData once folded into data', () => {
    expect(applyDefaults(info('', 'secrets'), { stringData: { b: 'hi' } })).not.toHaveProperty('stringData');
  });

  it('leaves completions unset when only parallelism is given', () => {
    expect(applyDefaults(info('batch', 'jobs'), { spec: { parallelism: 3 } }).spec).not.toHaveProperty('completions');
  });
});
