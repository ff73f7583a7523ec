import { describe, expect, it } from 'vitest';
import { isLoopbackHost, serveApiToPods } from './in-cluster-api.ts';

describe('serving the API to kactus up pods', () => {
  it('knows loopback listen addresses', () => {
    for (const host of ['127.0.0.1', '127.0.0.53', 'localhost', '::1']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.4', '192.168.1.2', 'fe80::1']) expect(isLoopbackHost(host)).toBe(false);
  });

  it('advertises the pod bridge gateway only for a loopback API, and says so', async () => {
    const asked: string[] = [];
    const lines: string[] = [];
    const master = { advertiseApiOn: async (ip: string) => void asked.push(ip) };
    expect(serveApiToPods(master, '0.0.0.0', (l) => lines.push(l))).toBeUndefined();
    const onUp = serveApiToPods(master, '127.0.0.1', (l) => lines.push(l));
    onUp?.('10.244.3.1');
    await Promise.resolve();
    await Promise.resolve();
    expect(asked).toEqual(['10.244.3.1']);
    expect(lines).toEqual(['kactus: API server also listening on the pod network at 10.244.3.1 (the kubernetes Service\'s endpoint)']);
  });

  it('logs a failure to serve there instead of throwing', async () => {
    const lines: string[] = [];
    const onUp = serveApiToPods({ advertiseApiOn: () => Promise.reject(new Error('EADDRINUSE')) }, 'localhost', (l) => lines.push(l));
    onUp?.('10.244.3.1');
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual(['kactus: warning: pods cannot reach the API: serving it on 10.244.3.1 failed: EADDRINUSE']);
  });
});
