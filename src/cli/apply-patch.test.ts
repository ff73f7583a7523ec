import { describe, expect, it } from 'vitest';
import type { Manifest } from './manifests.ts';
import { containedIn, goJson, LAST_APPLIED_ANNOTATION, lastAppliedOf, threeWayMergePatch, withLastApplied } from './apply-patch.ts';

const manifest: Manifest = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'x', namespace: 'default', labels: { a: '1' } },
  data: { k: 'v', gone: 'soon' },
};

describe('withLastApplied', () => {
  it('records the manifest (without the annotation itself) byte for byte as kubectl does', () => {
    const out = withLastApplied(manifest);
    // What kubectl 1.32 writes for the same manifest: sorted keys, empty annotations, newline.
    expect(out.metadata.annotations![LAST_APPLIED_ANNOTATION]).toBe(
      '{"apiVersion":"v1","data":{"gone":"soon","k":"v"},"kind":"ConfigMap","metadata":{"annotations":{},"labels":{"a":"1"},"name":"x","namespace":"default"}}\n',
    );
    expect(lastAppliedOf(out)).toEqual({ ...manifest, metadata: { ...manifest.metadata, annotations: {} } });
    expect(withLastApplied(out)).toEqual(out);
    expect(manifest.metadata).not.toHaveProperty('annotations');
  });
});

describe('goJson', () => {
  it('escapes what Go\'s encoding/json escapes, as kubectl writes the annotation', () => {
    const json = JSON.stringify({ cmd: 'sleep 1 & wait', html: '<b>', sep: '\u2028\u2029' });
    expect(goJson(json)).toBe('{"cmd":"sleep 1 \\u0026 wait","html":"\\u003cb\\u003e","sep":"\\u2028\\u2029"}');
    expect(JSON.parse(goJson(json))).toEqual(JSON.parse(json));
  });
});

describe('threeWayMergePatch', () => {
  const live = {
    ...withLastApplied(manifest),
    metadata: { ...withLastApplied(manifest).metadata, uid: 'u', resourceVersion: '7', labels: { a: '1', added: 'by-server' } },
  };

  it('is undefined when nothing changed, ignoring fields only the server set', () => {
    expect(threeWayMergePatch(lastAppliedOf(live), withLastApplied(manifest), live)).toBeUndefined();
  });

  it('sets changed fields and nulls fields dropped from the manifest, leaving others alone', () => {
    const next = { ...manifest, data: { k: 'v2' } };
    const patch = threeWayMergePatch(lastAppliedOf(live), withLastApplied(next), live);
    expect(patch).toEqual({
      metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: withLastApplied(next).metadata.annotations![LAST_APPLIED_ANNOTATION] } },
      data: { k: 'v2', gone: null },
    });
  });

  it('does not delete fields the user never applied', () => {
    const patch = threeWayMergePatch(undefined, { metadata: { name: 'x' } }, { metadata: { name: 'x', labels: { l: '1' } } });
    expect(patch).toBeUndefined();
  });

  it('replaces a list only when an item the user set differs (server defaults inside items are kept)', () => {
    const want = { spec: { containers: [{ name: 'a', image: 'busybox' }] } };
    const defaulted = { spec: { containers: [{ name: 'a', image: 'busybox', imagePullPolicy: 'IfNotPresent' }] } };
    expect(threeWayMergePatch(want, want, defaulted)).toBeUndefined();
    const changed = { spec: { containers: [{ name: 'a', image: 'nginx' }] } };
    expect(threeWayMergePatch(want, changed, defaulted)).toEqual(changed);
  });

  it('containedIn compares lists by length and item', () => {
    expect(containedIn([1, 2], [1, 2])).toBe(true);
    expect(containedIn([1], [1, 2])).toBe(false);
    expect(containedIn({ a: null }, {})).toBe(true);
  });
});
