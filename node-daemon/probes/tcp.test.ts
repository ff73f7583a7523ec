/** The tcpSocket probe against a real listener on loopback. */
import { describe, expect, it } from 'vitest';
import { createServer, type AddressInfo } from 'node:net';
import { probeTcp } from './tcp.ts';

const never = new AbortController().signal;

async function listener() {
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('tcpSocket probe', () => {
  it('succeeds when the port accepts a connection, and closes it at once', async () => {
    const { server, port, close } = await listener();
    const connected = new Promise<void>((resolve) => server.once('connection', (socket) => socket.once('close', () => resolve())));
    expect(await probeTcp('127.0.0.1', port, 1000, never)).toEqual({ result: 'success', output: '' });
    await connected;
    await close();
  });

  it('fails a refused connection with Go dialer wording', async () => {
    const { port, close } = await listener();
    await close();
    expect(await probeTcp('127.0.0.1', port, 1000, never)).toEqual({ result: 'failure', output: `dial tcp 127.0.0.1:${port}: connect: connection refused` });
  });

  it('errors once aborted', async () => {
    const abort = new AbortController();
    abort.abort();
    const { port, close } = await listener();
    expect(await probeTcp('127.0.0.1', port, 1000, abort.signal)).toEqual({ result: 'error', output: 'probe aborted' });
    await close();
  });
});
