/**
 * A Docker engine of its own inside a test host (a network namespace of test/support/netns.ts), so
 * a node daemon there runs real pods on that host's network. Only the network namespace is entered
 * (`nsenter --net`): `ip netns exec` would also make a mount namespace and hide the cgroup mounts
 * dockerd needs (NOTES.md). The engine gets its own data root, exec root, pid file and socket, no
 * default bridge, and the local busybox image copied in (no registry here).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { NetHost } from './netns.ts';
import { BUSYBOX_IMAGE } from './docker.ts';
import { waitFor } from './wait.ts';

export interface NetnsDocker {
  socket: string;
  docker: Docker;
  stop(): Promise<void>;
}

/** Start dockerd in `host`'s network namespace; files under `dir` and a short run dir (socket paths are limited). */
export async function startNetnsDocker(host: NetHost, dir: string): Promise<NetnsDocker> {
  const run = join('/run', `${host.netns}-d`);
  await mkdir(run, { recursive: true });
  await mkdir(dir, { recursive: true });
  const socket = join(run, 'docker.sock');
  const child: ChildProcess = spawn(
    'nsenter',
    [
      `--net=/run/netns/${host.netns}`,
      'dockerd',
      '--data-root', join(dir, 'data'),
      '--exec-root', join(run, 'exec'),
      '--pidfile', join(run, 'docker.pid'),
      '-H', `unix://${socket}`,
      '--bridge=none',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (log = (log + c).slice(-8000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const docker = new Docker({ socketPath: socket });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    }
    await rm(run, { recursive: true, force: true });
  };
  try {
    await waitFor(`dockerd in ${host.netns} to answer`, () => docker.ping().then(() => true, () => (child.exitCode !== null ? Promise.reject(new Error(`dockerd exited: ${log}`)) : false)), 60_000, 200);
    await copyImage(new Docker({ socketPath: '/var/run/docker.sock' }), docker, BUSYBOX_IMAGE);
  } catch (err) {
    await stop();
    throw err;
  }
  return { socket, docker, stop };
}

/** `docker save | docker load` between two engines. */
async function copyImage(from: Docker, to: Docker, image: string): Promise<void> {
  const tar = await from.getImage(image).get();
  const loaded = await to.loadImage(tar);
  await new Promise<void>((resolve, reject) => to.modem.followProgress(loaded, (err: Error | null) => (err ? reject(err) : resolve())));
}
