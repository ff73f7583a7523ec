import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import { testCluster, waitFor, type TestCluster } from '../test-support.ts';
import { NodeGraph, type PodReferenceResource } from './node-graph.ts';
import { podReferences } from './pod-references.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;
const CLAIMS = findKind('v1', 'PersistentVolumeClaim') as ResourceInfo;

const pod = (name: string, nodeName: string | undefined, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }], ...spec },
});

describe('podReferences', () => {
  it('finds every Secret, ConfigMap, claim and the ServiceAccount a pod names', () => {
    const refs = podReferences(
      pod('p', 'n1', {
        serviceAccountName: 'robot',
        imagePullSecrets: [{ name: 'pull' }],
        initContainers: [{ name: 'i', image: 'busybox', envFrom: [{ secretRef: { name: 'init-env' } }] }],
        containers: [
          {
            name: 'c',
            image: 'busybox',
            envFrom: [{ configMapRef: { name: 'cm-env' } }],
            env: [
              { name: 'A', valueFrom: { secretKeyRef: { name: 'key-secret', key: 'k' } } },
              { name: 'B', valueFrom: { configMapKeyRef: { name: 'key-cm', key: 'k' } } },
              { name: 'C', value: 'plain' },
            ],
          },
        ],
        volumes: [
          { name: 'v1', secret: { secretName: 'vol-secret' } },
          { name: 'v2', configMap: { name: 'vol-cm' } },
          { name: 'v3', projected: { sources: [{ secret: { name: 'proj-secret' } }, { configMap: { name: 'proj-cm' } }, { serviceAccountToken: { path: 't' } }] } },
          { name: 'v4', persistentVolumeClaim: { claimName: 'data' } },
          { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } },
          { name: 'v5', csi: { driver: 'd', nodePublishSecretRef: { name: 'csi-secret' } } },
          { name: 'v6', emptyDir: {} },
        ],
      }),
    );
    expect(refs.secrets.sort()).toEqual(['csi-secret', 'init-env', 'key-secret', 'proj-secret', 'pull', 'vol-secret']);
    expect(refs.configmaps.sort()).toEqual(['cm-env', 'key-cm', 'proj-cm', 'vol-cm']);
    expect(refs.persistentvolumeclaims.sort()).toEqual(['data', 'p-scratch']);
    expect(refs.serviceAccount).toBe('robot');
  });
});

describe('NodeGraph', () => {
  let c: TestCluster;
  let graph: NodeGraph;
  const changes: string[] = [];
  beforeEach(async () => {
    c = await testCluster();
    graph = new NodeGraph(c.store);
    graph.subscribe({ onReferencesChanged: (node: string, resource: PodReferenceResource) => changes.push(`${node}/${resource}`) });
    changes.length = 0;
  });
  afterEach(async () => {
    graph.stop();
    await c.close();
  });

  it('links a bound pod to its node and to what it references, counted per node, until it goes', async () => {
    const mounts = (secret: string) => ({ volumes: [{ name: 'v', secret: { secretName: secret } }] });
    await c.registry.create(PODS, 'default', pod('a', 'n1', mounts('shared')));
    await c.registry.create(PODS, 'default', pod('b', 'n1', mounts('shared')));
    await c.registry.create(PODS, 'default', pod('unbound', undefined, mounts('lonely')));
    await graph.start();
    expect(graph.nodeOfPod('default', 'a')).toBe('n1');
    expect(graph.nodeOfPod('default', 'unbound')).toBeUndefined();
    expect(graph.references('n1', 'secrets', 'default', 'shared')).toBe(true);
    expect(graph.references('n2', 'secrets', 'default', 'shared')).toBe(false);
    expect(graph.references('n1', 'secrets', 'default', 'lonely')).toBe(false);
    expect(graph.referenced('n1', 'secrets')).toEqual(new Set(['default/shared']));

    // One of two pods mounting it goes: the node still reads it; the second goes: it does not.
    await c.registry.delete(PODS, 'default', 'a', { gracePeriodSeconds: 0 });
    await waitFor('pod a gone from the graph', () => graph.nodeOfPod('default', 'a') === undefined);
    expect(graph.references('n1', 'secrets', 'default', 'shared')).toBe(true);
    changes.length = 0;
    await c.registry.delete(PODS, 'default', 'b', { gracePeriodSeconds: 0 });
    await waitFor('the secret unlinked', () => !graph.references('n1', 'secrets', 'default', 'shared'));
    expect(changes).toContain('n1/secrets');

    // Binding the pod later links it then.
    await c.registry.bindPod('default', 'unbound', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'unbound' }, target: { kind: 'Node', name: 'n2' } });
    await waitFor('the bound pod linked', () => graph.references('n2', 'secrets', 'default', 'lonely'));
    expect(graph.nodeOfPod('default', 'unbound')).toBe('n2');
  });

  it('reaches a PersistentVolume through the claim a pod of the node uses', async () => {
    await graph.start();
    await c.registry.create(CLAIMS, 'default', { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeName: 'pv-1' } });
    await c.registry.create(PODS, 'default', pod('a', 'n1', { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }] }));
    await waitFor('the volume reachable', () => graph.referencesVolume('n1', 'pv-1'));
    expect(graph.referencesVolume('n2', 'pv-1')).toBe(false);
    expect(graph.referencesVolume('n1', 'pv-2')).toBe(false);
    expect(graph.references('n1', 'persistentvolumeclaims', 'default', 'data')).toBe(true);
  });
});
