import { describe, expect, it } from 'vitest';
import { computeTemplateHash, equalIgnoringHash } from './template-hash.ts';

const stored = {
  metadata: { labels: { app: 'web', 'pod-template-hash': 'cc4d57747' } },
  spec: { containers: [{ name: 'c', image: 'busybox:latest', imagePullPolicy: 'Always' }], securityContext: {}, restartPolicy: 'Always' },
};

/** What `kubectl rollout undo` sends: the ReplicaSet's template as Go serializes the typed struct. */
const fromKubectlUndo = {
  metadata: { creationTimestamp: null, labels: { app: 'web' } },
  spec: { restartPolicy: 'Always', securityContext: {}, containers: [{ resources: {}, image: 'busybox:latest', name: 'c', imagePullPolicy: 'Always' }] },
};

describe('template hash', () => {
  it('treats Go zero values (null, {}, []) as absent, so rollout undo finds the old ReplicaSet', () => {
    expect(equalIgnoringHash(stored, fromKubectlUndo)).toBe(true);
    const { 'pod-template-hash': _hash, ...labels } = stored.metadata.labels;
    expect(computeTemplateHash({ ...stored, metadata: { labels } })).toBe(computeTemplateHash(fromKubectlUndo));
  });

  it('still tells different templates apart', () => {
    const other = { ...fromKubectlUndo, spec: { ...fromKubectlUndo.spec, containers: [{ name: 'c', image: 'busybox:v2' }] } };
    expect(equalIgnoringHash(stored, other)).toBe(false);
    expect(computeTemplateHash(other)).not.toBe(computeTemplateHash(fromKubectlUndo));
  });
});
