import { describe, expect, it } from 'vitest';
import { LAST_APPLIED_ANNOTATION } from '../apply-patch.ts';
import { describeObject } from './index.ts';

const now = new Date('2024-01-01T00:10:00Z');

describe('describeObject', () => {
  it('describes a pending pod as kubectl: header aligned, containers nested, events filtered by uid', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default', uid: 'u1', labels: { app: 'web', tier: 'f' }, annotations: { [LAST_APPLIED_ANNOTATION]: '{}' } },
      spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80 }] }] },
      status: { phase: 'Pending' },
    };
    const events = [
      { type: 'Warning', reason: 'FailedScheduling', message: 'no nodes', involvedObject: { uid: 'u1', name: 'web', kind: 'Pod' }, lastTimestamp: '2024-01-01T00:09:00Z' },
      { type: 'Normal', reason: 'Other', message: 'not ours', involvedObject: { uid: 'u2', name: 'web', kind: 'Pod' }, lastTimestamp: '2024-01-01T00:09:00Z' },
    ];
    const out = describeObject(pod, events, now);
    expect(out).toContain('Name:             web\nNamespace:        default\n');
    expect(out).toContain('Labels:           app=web\n                  tier=f\nAnnotations:      <none>\n');
    expect(out).toContain('Status:           Pending\n');
    expect(out).toContain('Containers:\n  c:\n    Image:          busybox\n    Port:           80/TCP\n    Host Port:      0/TCP\n    State:          Waiting\n    Ready:          False\n    Restart Count:  0\n');
    // kubectl describe's tabwriter: each column its widest cell plus 2.
    expect(out).toMatch(/Events:\n {2}Type {5}Reason {12}Age {3}From {2}Message\n {2}-{4} {5}-{6} {12}-{4}/);
    expect(out).toContain('FailedScheduling  60s');
    expect(out).not.toContain('not ours');
  });

  it('describes a ConfigMap with its data, and other kinds generically', () => {
    const cm = describeObject({ kind: 'ConfigMap', metadata: { name: 'c', namespace: 'd' }, data: { k: 'v' } }, [], now);
    expect(cm).toContain('Data\n====\nk:\n----\nv\n');
    expect(cm).toContain('Events:  <none>');
    const dep = describeObject({ kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 3, minReadySeconds: 0 } }, [], now);
    expect(dep).toContain('Spec:\n  Replicas:           3\n  Min Ready Seconds:  0\n');
  });
});
