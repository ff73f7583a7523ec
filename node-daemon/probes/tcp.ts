/**
 * The tcpSocket probe (the kubelet's `pkg/probe/tcp`): success when a TCP connection to
 * `host:port` opens within the timeout; it is closed at once.
 */
import { connect } from 'node:net';
import type { ProbeOutcome } from '../../src/actors/pod/probe-spec.ts';
import { dialErrorText, hostPort } from './dial.ts';

export function probeTcp(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<ProbeOutcome> {
  const address = hostPort(host, port);
  if (signal.aborted) return Promise.resolve({ result: 'error', output: 'probe aborted' });
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (outcome: ProbeOutcome) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = () => done({ result: 'error', output: 'probe aborted' });
    const timer = setTimeout(() => done({ result: 'failure', output: `dial tcp ${address}: i/o timeout` }), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done({ result: 'success', output: '' }));
    socket.once('error', (err) => done({ result: 'failure', output: dialErrorText(address, err) }));
  });
}
