import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/status.ts';
import { requestUrl } from './request-url.ts';

describe('requestUrl', () => {
  it('keeps every target that starts with a slash as a path of this server (found by the API fuzzer)', () => {
    expect(requestUrl('//configmaps//d?x=1').pathname).toBe('//configmaps//d');
    expect(requestUrl('//configmaps//d?x=1').searchParams.get('x')).toBe('1');
    expect(requestUrl('//%zz').pathname).toBe('//%zz');
    expect(requestUrl('//[::1').pathname).toBe('//[::1');
    expect(requestUrl('/\\x').host).toBe('apiserver');
    expect(requestUrl(undefined).pathname).toBe('/');
  });

  it('reads the path of an absolute-form target and refuses the rest with a 400', () => {
    expect(requestUrl('http://elsewhere/api/v1?watch=1').pathname).toBe('/api/v1');
    expect(requestUrl('http://elsewhere/api/v1?watch=1').host).toBe('apiserver');
    expect(() => requestUrl('*')).toThrow(ApiError);
    expect(() => requestUrl('*')).toThrow(/invalid request target "\*"/);
  });
});
