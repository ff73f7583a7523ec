import { describe, expect, it } from 'vitest';
import { applyPatch, MalformedPatchError, PatchApplyError, PatchTestFailedError, type PatchType } from './index.ts';

const POD = 'io.k8s.api.core.v1.Pod';
const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';

const c = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, image: `${name}:1`, ...extra });
const pod = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'p' }): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata,
  spec,
});

interface Case {
  name: string;
  type?: PatchType;
  schema?: string;
  original: Record<string, unknown>;
  patch: unknown;
  expected: Record<string, unknown>;
}

const SMP = 'application/strategic-merge-patch+json';

// Semantics follow the fixtures of Kubernetes' strategicpatch/patch_test.go and kubectl apply.
const cases: Case[] = [
  {
    name: 'containers merge by name; untouched containers stay',
    original: pod({ containers: [c('a'), c('b')] }),
    patch: { spec: { containers: [{ name: 'b', image: 'b:2' }] } },
    expected: pod({ containers: [c('a'), c('b', { image: 'b:2' })] }),
  },
  {
    name: 'env merges by name inside a merged container',
    original: pod({ containers: [c('a', { env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] })] }),
    patch: { spec: { containers: [{ name: 'a', env: [{ name: 'Y', value: '3' }, { name: 'Z', value: '4' }] }] } },
    expected: pod({
      containers: [c('a', { env: [{ name: 'X', value: '1' }, { name: 'Y', value: '3' }, { name: 'Z', value: '4' }] })],
    }),
  },
  {
    name: 'ports merge by containerPort',
    original: pod({ containers: [c('a', { ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] })] }),
    patch: { spec: { containers: [{ name: 'a', ports: [{ containerPort: 80, name: 'web' }, { containerPort: 8080 }] }] } },
    expected: pod({
      containers: [c('a', { ports: [{ containerPort: 80, name: 'web' }, { containerPort: 8080 }, { containerPort: 443 }] })],
    }),
  },
  {
    // Without $setElementOrder, Kubernetes puts patch items ahead of server-only ones they cannot be compared with.
    name: 'a new container is added, ahead of server-only ones',
    original: pod({ containers: [c('a')] }),
    patch: { spec: { containers: [c('b')] } },
    expected: pod({ containers: [c('b'), c('a')] }),
  },
  {
    name: '$patch: delete removes the element with that merge key',
    original: pod({ containers: [c('a'), c('b'), c('c')] }),
    patch: { spec: { containers: [{ name: 'b', $patch: 'delete' }] } },
    expected: pod({ containers: [c('a'), c('c')] }),
  },
  {
    name: "kubectl apply's patch removing a container ($setElementOrder + delete)",
    original: pod({ containers: [c('a'), c('b')] }),
    patch: { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ $patch: 'delete', name: 'b' }] } },
    expected: pod({ containers: [c('a')] }),
  },
  {
    name: '$setElementOrder reorders the list',
    original: pod({ containers: [c('a'), c('b'), c('c')] }),
    patch: { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }], containers: [{ name: 'a', image: 'a:2' }] } },
    expected: pod({ containers: [c('c'), c('a', { image: 'a:2' }), c('b')] }),
  },
  {
    name: '$setElementOrder keeps server-only elements where they were',
    original: pod({ containers: [c('a'), c('s'), c('b')] }),
    patch: { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }, { name: 'd' }], containers: [c('d')] } },
    expected: pod({ containers: [c('a'), c('s'), c('b'), c('d')] }),
  },
  {
    name: '$patch: replace in a list replaces the whole list',
    original: pod({ containers: [c('a'), c('b')] }),
    patch: { spec: { containers: [c('z'), { $patch: 'replace' }] } },
    expected: pod({ containers: [c('z')] }),
  },
  {
    name: 'finalizers merge as a set; $deleteFromPrimitiveList removes',
    original: pod({}, { name: 'p', finalizers: ['x', 'y'] }),
    patch: { metadata: { finalizers: ['z', 'x'], '$deleteFromPrimitiveList/finalizers': ['y'] } },
    expected: pod({}, { name: 'p', finalizers: ['z', 'x'] }), // patch order wins, as in Kubernetes
  },
  {
    name: 'null deletes a field; maps merge key by key',
    original: pod({ restartPolicy: 'Always' }, { name: 'p', labels: { a: '1', b: '2' } }),
    patch: { metadata: { labels: { b: null, c: '3' } }, spec: { restartPolicy: null } },
    expected: pod({}, { name: 'p', labels: { a: '1', c: '3' } }),
  },
  {
    name: 'lists without a patch strategy are replaced (args, tolerations)',
    original: pod({ containers: [c('a', { args: ['1', '2'] })], tolerations: [{ key: 'k', operator: 'Exists' }] }),
    patch: { spec: { containers: [{ name: 'a', args: ['3'] }], tolerations: [{ key: 'j', operator: 'Exists' }] } },
    expected: pod({ containers: [c('a', { args: ['3'] })], tolerations: [{ key: 'j', operator: 'Exists' }] }),
  },
  {
    name: '$patch: replace in a map replaces the map',
    original: pod({}, { name: 'p', labels: { a: '1', b: '2' } }),
    patch: { metadata: { labels: { $patch: 'replace', c: '3' } } },
    expected: pod({}, { name: 'p', labels: { c: '3' } }),
  },
  {
    name: '$retainKeys drops fields of a union (Deployment strategy to Recreate)',
    schema: DEPLOYMENT,
    original: { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
    expected: { spec: { strategy: { type: 'Recreate' } } },
  },
  {
    name: 'new subtrees are cleaned of directives and nulls',
    original: pod({}),
    patch: { spec: { containers: [c('a', { env: [{ name: 'X', value: null }] })], nodeSelector: { a: null, b: '1' } } },
    expected: pod({ containers: [c('a', { env: [{ name: 'X' }] })], nodeSelector: { b: '1' } }),
  },
  {
    name: 'JSON merge patch: objects merge, null deletes, lists replace',
    type: 'application/merge-patch+json',
    original: pod({ containers: [c('a'), c('b')] }, { name: 'p', labels: { a: '1' } }),
    patch: { metadata: { labels: { a: null, b: '2' } }, spec: { containers: [c('z')] } },
    expected: pod({ containers: [c('z')] }, { name: 'p', labels: { b: '2' } }),
  },
  {
    name: 'JSON patch: add, replace, remove, passing test',
    type: 'application/json-patch+json',
    original: { spec: { replicas: 1, paused: true } },
    patch: [
      { op: 'test', path: '/spec/replicas', value: 1 },
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'remove', path: '/spec/paused' },
      { op: 'add', path: '/metadata', value: { name: 'd' } },
    ],
    expected: { spec: { replicas: 3 }, metadata: { name: 'd' } },
  },
  {
    name: 'apply patch (YAML) merges by merge keys',
    type: 'application/apply-patch+yaml',
    original: pod({ containers: [c('a'), c('b')] }, { name: 'p', labels: { keep: 'yes' } }),
    patch: 'metadata:\n  labels:\n    tier: web\nspec:\n  containers:\n  - name: b\n    image: b:9\n',
    expected: pod({ containers: [c('a'), c('b', { image: 'b:9' })] }, { name: 'p', labels: { keep: 'yes', tier: 'web' } }),
  },
];

describe('applyPatch', () => {
  it.each(cases)('$name', ({ type, schema, original, patch, expected }) => {
    const before = structuredClone(original);
    expect(applyPatch(type ?? SMP, original, patch, schema ?? POD)).toEqual(expected);
    expect(original).toEqual(before);
  });

  it('rejects a failed JSON patch test with PatchTestFailedError naming the path', () => {
    const run = (): unknown =>
      applyPatch('application/json-patch+json', { spec: { replicas: 1 } }, [{ op: 'test', path: '/spec/replicas', value: 2 }], DEPLOYMENT);
    expect(run).toThrow(PatchTestFailedError);
    try {
      run();
    } catch (err) {
      expect((err as PatchTestFailedError).path).toBe('/spec/replicas');
      expect((err as PatchTestFailedError).httpCode).toBe(422);
    }
  });

  it('classifies bad patches (400) apart from unappliable ones (422)', () => {
    const smp = (original: object, patch: unknown): unknown => applyPatch(SMP, original, patch, POD);
    expect(() => smp({}, [1])).toThrow(MalformedPatchError);
    expect(() => smp({}, { spec: { $patch: 'explode' } })).toThrow(MalformedPatchError);
    expect(() => smp({ spec: { containers: [c('a')] } }, { spec: { containers: [{ $patch: 'merge' }] } })).toThrow(MalformedPatchError);
    expect(() => smp({ spec: { strategy: {} } }, { spec: { $retainKeys: ['a'], b: 1 } })).toThrow(MalformedPatchError);
    expect(() => smp({ spec: { containers: [c('a')] } }, { spec: { containers: [{ image: 'x' }] } })).toThrow(PatchApplyError);
    expect(() => applyPatch('application/json-patch+json', {}, [{ op: 'remove', path: '/nope' }], POD)).toThrow(PatchApplyError);
    expect(() => applyPatch('application/json-patch+json', {}, [{ op: 'jump', path: '/a' }], POD)).toThrow(MalformedPatchError);
    expect(() =>
      smp({ spec: { containers: [c('a'), c('b')] } }, { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [c('b'), c('a')] } }),
    ).toThrow(MalformedPatchError);
  });
});
