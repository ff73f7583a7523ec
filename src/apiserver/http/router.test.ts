import { describe, expect, it } from 'vitest';
import { route } from './router.ts';

describe('route', () => {
  it('decodes percent-escapes in segments and answers a broken one with a 400 naming it (found by the API fuzzer: a URIError was a 500)', () => {
    expect(route('/api/v1/namespaces/default/configmaps/a%2Db')).toMatchObject({ type: 'resource', name: 'a-b' });
    for (const bad of ['/api/v1/%zz', '/%ff', '/api/v1/namespaces/%/pods', '/apis/%c3%28']) {
      expect(() => route(bad), bad).toThrow(expect.objectContaining({ code: 400, message: expect.stringMatching(/^invalid path segment ".*": malformed percent-encoding$/) }));
    }
  });
});
