/**
 * One fuzzed stream: dial `protocol`, write the bytes, maybe close our end, and see what the
 * other side does with it within a deadline — reset the stream, close it, or keep it open (then
 * we abort it, so streams never pile up against the inbound limit).
 */
import type { Stream } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { MeshHost } from '../../../src/net/host.ts';

export type ProbeOutcome = 'reset' | 'closed' | 'kept open' | 'refused';

export interface ProbeResult {
  outcome: ProbeOutcome;
  /** Why the stream could not be opened (outcome `refused`). */
  error?: string;
  /** Bytes the other side sent back (answers such as `join.refused`, `logs.error`). */
  received: number;
}

export async function probeStream(host: MeshHost, addr: Multiaddr, protocol: string, bytes: Uint8Array, closeWrite: boolean, deadlineMs = 400): Promise<ProbeResult> {
  let stream: Stream;
  try {
    stream = await host.dialProtocol(addr, protocol, { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    return { outcome: 'refused', received: 0, error: (err as Error).message };
  }
  let received = 0;
  stream.addEventListener('message', (e) => {
    received += e.data.byteLength;
  });
  const ended = new Promise<ProbeOutcome>((resolve) => {
    stream.addEventListener('close', (e) => resolve(e.error && !e.local ? 'reset' : 'closed'), { once: true });
    stream.addEventListener('remoteCloseWrite', () => resolve('closed'), { once: true });
  });
  try {
    if (!stream.send(bytes)) await stream.onDrain({ signal: AbortSignal.timeout(deadlineMs) });
    if (closeWrite) await stream.close({ signal: AbortSignal.timeout(deadlineMs) });
  } catch {
    // The other side reset the stream while we wrote: that is its answer.
  }
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([ended, new Promise<ProbeOutcome>((resolve) => (timer = setTimeout(() => resolve('kept open'), deadlineMs)))]);
  clearTimeout(timer);
  if (stream.status !== 'closed' && stream.status !== 'reset' && stream.status !== 'aborted') stream.abort(new Error('fuzz probe done'));
  return { outcome, received };
}
