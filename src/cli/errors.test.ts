import { describe, expect, it } from 'vitest';
import { statusError } from './client.ts';
import { ApiStatusError, CliError, ConnectionError, formatError } from './errors.ts';

describe('errors in kubectl wording', () => {
  it('a Status body keeps its reason and message', () => {
    const err = statusError(404, JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', message: 'pods "x" not found', code: 404 }));
    expect(err).toBeInstanceOf(ApiStatusError);
    expect(err.reason).toBe('NotFound');
    expect(formatError(err)).toBe('Error from server (NotFound): pods "x" not found');
  });

  it('a body that is not a Status becomes a reasonless error with the body as message', () => {
    expect(formatError(statusError(502, 'bad gateway\n'))).toBe('Error from server: bad gateway');
    expect(formatError(statusError(500, '{"kind":"Pod"}'))).toBe('Error from server: {"kind":"Pod"}');
    expect(formatError(statusError(503, ''))).toBe('Error from server: HTTP 503');
  });

  it('client-side errors print as error: ...', () => {
    expect(formatError(new CliError('bad flag'))).toBe('error: bad flag');
    expect(formatError(new ConnectionError('https://h:1', new Error('connect ECONNREFUSED')))).toBe(
      'error: the connection to the server https://h:1 failed: connect ECONNREFUSED',
    );
  });
});
