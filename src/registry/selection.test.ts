import { describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { compileSelection } from './selection.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;

describe('compileSelection', () => {
  it("names the parameter a bad selector came in, Kubernetes' parser message after it (found by the API fuzzer: `labelSelector==` named nothing)", () => {
    expect(() => compileSelection(PODS, '=')).toThrow(expect.objectContaining({ code: 400, message: `unable to parse labelSelector "=": found '=', expected: !, identifier, or 'end of string'` }));
    expect(() => compileSelection(PODS, undefined, 'a')).toThrow(expect.objectContaining({ code: 400, message: expect.stringMatching(/^unable to parse fieldSelector "a": /) }));
    expect(() => compileSelection(PODS, undefined, 'metadata.foo=bar')).toThrow('field label not supported: metadata.foo');
    expect(compileSelection(PODS, 'a=b')({ metadata: { labels: { a: 'b' } } })).toBe(true);
  });
});
