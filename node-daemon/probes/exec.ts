/**
 * The exec probe (the kubelet's `pkg/probe/exec`): run the command in the container through the
 * runtime's exec; exit 0 is success, any other code failure, with the command's combined output
 * (at most 10 KiB) as the message. A command still running after the timeout fails with
 * `command "…" timed out` (the exec is released; Docker lets the command finish on its own, as
 * with the kubelet). A container that cannot exec (not running, gone, hollow) errors.
 */
import type { Readable } from 'node:stream';
import type { ProbeOutcome } from '../../src/actors/pod/probe-spec.ts';
import type { ContainerRuntime, ExecProcess } from '../../src/runtime/types.ts';
import { errorMessage } from '../../src/api/error-message.ts';

/** Output bytes kept (the kubelet's maxReadLength). */
export const MAX_OUTPUT_BYTES = 10 * 1024;

/** Collects what streams write, in arrival order, up to MAX_OUTPUT_BYTES; reads on past it so the command never blocks. */
function collect(streams: (Readable | undefined)[]): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  for (const stream of streams) {
    stream?.on('data', (chunk: Buffer) => {
      if (size >= MAX_OUTPUT_BYTES) return;
      chunks.push(chunk);
      size += chunk.length;
    });
    // The exit code settles the probe; a stream error is not its business.
    stream?.on('error', () => {});
  }
  return () => Buffer.concat(chunks).subarray(0, MAX_OUTPUT_BYTES).toString('utf8');
}


export async function probeExec(
  runtime: ContainerRuntime,
  containerId: string,
  command: readonly string[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ProbeOutcome> {
  const timedOut: ProbeOutcome = { result: 'failure', output: `command "${command.join(' ')}" timed out` };
  const aborted: ProbeOutcome = { result: 'error', output: 'probe aborted' };
  if (signal.aborted) return aborted;
  let proc: ExecProcess | undefined;
  let cutShort = false;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  // Settles first with the timeout or the abort, whichever comes before the command's end.
  const cut = new Promise<ProbeOutcome>((resolve) => {
    timer = setTimeout(() => resolve(timedOut), timeoutMs);
    onAbort = () => resolve(aborted);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const run = (async (): Promise<ProbeOutcome> => {
    try {
      proc = await runtime.exec(containerId, { command: [...command], stdin: false, tty: false });
    } catch (err) {
      return { result: 'error', output: errorMessage(err) };
    }
    if (cutShort) proc.close();
    const output = collect([proc.stdout, proc.stderr]);
    try {
      const code = await proc.exitCode;
      return { result: code === 0 ? 'success' : 'failure', output: output() };
    } catch (err) {
      return { result: 'error', output: errorMessage(err) };
    }
  })();
  try {
    const outcome = await Promise.race([run, cut]);
    if (outcome === timedOut || outcome === aborted) {
      // Release the exec now, or as soon as it exists (it may still be starting).
      cutShort = true;
      proc?.close();
    }
    return outcome;
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
