/** What Node's parser refuses still gets a Status (found by the API fuzzer: `FOO /x` got a bare 400). */
import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { clientErrorStatus } from './client-error.ts';
import { startTestCluster } from '../../../test/apiserver/harness.ts';

describe('clientErrorStatus', () => {
  it('is a 405 for an unknown method, 431 for huge headers, 400 naming the parser error otherwise, nothing for a reset', () => {
    const err = (code: string, reason?: string) => Object.assign(new Error(code), { code, reason });
    expect(clientErrorStatus(err('HPE_INVALID_METHOD'))?.toStatus()).toMatchObject({ code: 405, reason: 'MethodNotAllowed' });
    expect(clientErrorStatus(err('HPE_HEADER_OVERFLOW'))?.code).toBe(431);
    expect(clientErrorStatus(err('HPE_INVALID_CONSTANT', 'Expected HTTP/'))?.message).toBe('the request could not be parsed: HPE_INVALID_CONSTANT (Expected HTTP/)');
    expect(clientErrorStatus(err('ECONNRESET'))).toBeUndefined();
  });

  it('is what the API server writes on the socket', async () => {
    const cluster = await startTestCluster();
    try {
      const url = new URL(cluster.server.url);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: url.hostname, port: Number(url.port), ca: cluster.server.caCertPem }, () => socket.end('FOO /api/v1 HTTP/1.1\r\nHost: x\r\n\r\n'));
        let text = '';
        socket.on('data', (c: Buffer) => (text += c.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1.1 405 Method Not Allowed\r\n/);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ kind: 'Status', code: 405, reason: 'MethodNotAllowed' });
    } finally {
      await cluster.close();
    }
  });
});
