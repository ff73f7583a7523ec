import { describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { withTypeMeta } from './body-checks.ts';

const CONFIGMAPS = findKind('v1', 'ConfigMap') as ResourceInfo;

describe('withTypeMeta', () => {
  it("refuses ObjectMeta strings of another type with the decoder's 400 naming the field (found by the API fuzzer: `generateName: {}` was a 500)", () => {
    for (const [field, value, type] of [['generateName', { a: 1 }, 'object'], ['name', 5, 'number'], ['namespace', ['x'], 'array'], ['resourceVersion', true, 'boolean']] as const) {
      expect(() => withTypeMeta(CONFIGMAPS, { metadata: { [field]: value } })).toThrow(
        expect.objectContaining({ code: 400, message: `json: cannot unmarshal ${type} into Go struct field ObjectMeta.metadata.${field} of type string` }),
      );
    }
    expect(withTypeMeta(CONFIGMAPS, { metadata: { name: null, generateName: 'x-' } as never }).metadata).toEqual({ name: null, generateName: 'x-' });
  });

  it("refuses type meta of another type with the decoder's 400 (found by the API fuzzer: `kind: {toString: true}` was a 500)", () => {
    expect(() => withTypeMeta(CONFIGMAPS, { kind: { toString: true } } as never)).toThrow(expect.objectContaining({ code: 400, message: 'json: cannot unmarshal object into Go struct field .kind of type string' }));
    expect(() => withTypeMeta(CONFIGMAPS, { apiVersion: 1 } as never)).toThrow(expect.objectContaining({ code: 400, message: 'json: cannot unmarshal number into Go struct field .apiVersion of type string' }));
    expect(withTypeMeta(CONFIGMAPS, { kind: null } as never).kind).toBe('ConfigMap');
  });
});
