/**
 * `exec` on the Docker engine: create an exec, start it hijacked (the HTTP connection becomes a
 * raw duplex socket), and turn that socket into an ExecProcess.
 *
 * - Output: demuxed (no tty) or as is (tty), with back-pressure: docker-hijack.ts.
 * - stdin: writes go to the socket. Without a tty, ending stdin half-closes the socket
 *   (`socket.end()`), which the engine passes on as EOF to the command (what `echo x | kubectl
 *   exec -i pod -- cat` and `kubectl cp` rely on). With a tty it cannot: on a half-close the
 *   engine closes the output at once (losing what the command had not yet written) and leaves the
 *   command running, since a terminal has no EOF. Ending stdin then sends the terminal's EOF
 *   character (^D, VEOF), which the command reads as end of input at the start of a line.
 * - Exit code: once the output has ended, from the exec's inspect (polled: the engine may still
 *   report it running for a moment, or for as long as the command runs on after closing its output).
 * - Resize: `exec.resize`; the engine waits for an exec it has not started yet, and once the
 *   command has exited there is nothing to size: a no-op.
 */
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { dockerStatusCode } from './docker-status.ts';
import { EOT, hijackedStreams } from './docker-hijack.ts';
import { ContainerNotFoundError, ContainerNotRunningError } from '../../src/runtime/errors.ts';
import type { ExecOptions, ExecProcess } from '../../src/runtime/types.ts';

/** Start `opts.command` in a running container (the caller checked that it exists, is this node's, and runs). */
export async function dockerExec(docker: Docker, containerId: string, opts: ExecOptions): Promise<ExecProcess> {
  const { tty } = opts;
  let exec: Docker.Exec;
  let socket: Duplex;
  try {
    exec = await docker.getContainer(containerId).exec({ Cmd: opts.command, AttachStdin: opts.stdin, AttachStdout: true, AttachStderr: !tty, Tty: tty });
    socket = await exec.start({ hijack: true, stdin: opts.stdin, Tty: tty });
  } catch (err) {
    throw execError(err, containerId);
  }

  const streams = hijackedStreams(docker, socket, { tty, stdin: opts.stdin, sendEof: (s) => (tty ? s.write(EOT) : s.end()) });
  /** close() cut the output short: the exit code will not be waited for. */
  let abandoned = false;

  const exitCode = streams.outputEnded.then(async () => {
    for (let delay = 10; ; delay = Math.min(delay * 2, 500)) {
      if (abandoned) throw new Error(`exec in ${containerId} was closed before its output ended`);
      if (streams.error) throw streams.error;
      let info: Docker.ExecInspectInfo;
      try {
        info = await exec.inspect();
      } catch (err) {
        throw dockerStatusCode(err) === 404 ? new ContainerNotFoundError(containerId) : err;
      }
      if (!info.Running && info.ExitCode !== null) return info.ExitCode;
      await sleep(delay);
    }
  });
  // Nobody may ask (a caller that went away): a failure must not be an unhandled rejection.
  exitCode.catch(() => {});

  const resize = async (cols: number, rows: number): Promise<void> => {
    if (!tty) return;
    try {
      // The engine itself waits (up to 10 s) for an exec it has not started yet.
      await exec.resize({ h: rows, w: cols });
    } catch (err) {
      // After the command exited there is no terminal to size: 404 (exec gone) or 500 (process gone).
      if (dockerStatusCode(err) === 404) return;
      const info = await exec.inspect().catch(() => undefined);
      if (info === undefined || info.ExitCode !== null) return;
      throw err;
    }
  };

  const proc: ExecProcess = {
    stdout: streams.stdout,
    resize,
    exitCode,
    close() {
      if (!streams.ended) abandoned = true;
      streams.destroy();
    },
  };
  if (streams.stdin) proc.stdin = streams.stdin;
  if (streams.stderr) proc.stderr = streams.stderr;
  return proc;
}

/** The engine's answer to creating or starting an exec, as the runtime's typed errors. */
function execError(err: unknown, containerId: string): unknown {
  const status = dockerStatusCode(err);
  if (status === 404) return new ContainerNotFoundError(containerId);
  // 409 "Container ... is not running" (it stopped since the caller looked).
  if (status === 409 && err instanceof Error && /not running/i.test(err.message)) return new ContainerNotRunningError(containerId);
  return err;
}
