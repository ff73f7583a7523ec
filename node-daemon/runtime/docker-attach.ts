/**
 * `attach` on the Docker engine: the engine's attach (`stream=1`, stdout and stderr from now on,
 * stdin when asked and open), hijacked as exec's (docker-hijack.ts), as an AttachedProcess.
 *
 * The terminal setting is the container's own (`Config.Tty`): the engine frames the output by it.
 * stdin is attached only when the container keeps it open (`Config.OpenStdin`). Ending it: without
 * a tty the connection is half-closed, and the engine closes the container's stdin (StdinOnce) or
 * detaches; with a tty a half-close would make the engine drop the output at once, so a
 * `StdinOnce` container is sent the terminal's EOF (^D) instead, and any other is simply no longer
 * written to. The output ends when the process exits (the engine ends the stream).
 */
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { dockerStatusCode } from './docker-status.ts';
import { EOT, hijackedStreams } from './docker-hijack.ts';
import { ContainerNotFoundError, ContainerNotRunningError } from '../../src/runtime/errors.ts';
import type { AttachedProcess, AttachOptions } from '../../src/runtime/types.ts';

/** Attach to a running container (the caller checked that it exists and is this node's; `info` is its inspect). */
export async function dockerAttach(docker: Docker, containerId: string, info: Docker.ContainerInspectInfo, opts: AttachOptions): Promise<AttachedProcess> {
  if (!info.State.Running) throw new ContainerNotRunningError(containerId);
  const tty = info.Config.Tty === true;
  const stdin = opts.stdin && info.Config.OpenStdin === true;
  const stdinOnce = info.Config.StdinOnce === true;
  const container = docker.getContainer(containerId);
  let socket: Duplex;
  try {
    socket = (await container.attach({ stream: true, stdin, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
  } catch (err) {
    const status = dockerStatusCode(err);
    if (status === 404) throw new ContainerNotFoundError(containerId);
    if (status === 409) throw new ContainerNotRunningError(containerId);
    throw err;
  }
  const streams = hijackedStreams(docker, socket, {
    tty,
    stdin,
    sendEof: (s) => {
      if (!tty) s.end();
      else if (stdinOnce) s.write(EOT);
    },
  });
  const proc: AttachedProcess = {
    stdout: streams.stdout,
    async resize(cols, rows) {
      if (!tty || streams.ended) return;
      try {
        await container.resize({ h: rows, w: cols });
      } catch (err) {
        // The process exited meanwhile: there is no terminal to size.
        if (dockerStatusCode(err) !== 404 && dockerStatusCode(err) !== 409 && dockerStatusCode(err) !== 500) throw err;
      }
    },
    close() {
      streams.destroy();
    },
  };
  if (streams.stdin) proc.stdin = streams.stdin;
  if (streams.stderr) proc.stderr = streams.stderr;
  return proc;
}
