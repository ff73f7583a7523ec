/**
 * Docker helpers for tests: is the engine up, make sure `busybox:latest` exists (built locally
 * from the host's busybox-static: no registry is reachable), and remove everything a test made
 * (by label) so nothing is left running.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink, writeFile, copyFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import Docker from 'dockerode';
import { dockerStatusCode } from '../../node-daemon/runtime/docker-status.ts';

/** Label every test container carries (value: the test run's id), so cleanup finds them. */
export const TEST_LABEL = 'io.kactus.test';

/** The image examples and tests use. */
export const BUSYBOX_IMAGE = 'busybox:latest';

/** The host binary the image is built from (Debian busybox-static). */
const HOST_BUSYBOX = '/bin/busybox';

/** A client for the local engine (default socket). */
export function dockerClient(): Docker {
  return new Docker({ socketPath: '/var/run/docker.sock' });
}

/** True when the engine answers a ping. */
export async function isDockerUp(docker: Docker = dockerClient()): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether Docker tests must run: under CI=true a missing engine is a failure, locally the
 * Docker tests skip with a message.
 */
export function dockerRequired(): boolean {
  return process.env.CI === 'true';
}

/** True when the image exists in the engine. */
export async function hasImage(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (err) {
    if (dockerStatusCode(err) === 404) return false;
    throw err;
  }
}

/**
 * Make sure `busybox:latest` exists; if not, import one built from the host's busybox-static:
 * /bin/busybox plus a symlink per applet, /tmp, /etc/passwd, CMD ["sh"]. Several test files may
 * race here: both imports tag the same name and either result is the same image.
 */
export async function ensureBusyboxImage(docker: Docker = dockerClient()): Promise<void> {
  if (await hasImage(docker, BUSYBOX_IMAGE)) return;
  const workDir = await mkdtemp(join(tmpdir(), 'kactus-busybox-'));
  try {
    const rootfs = join(workDir, 'rootfs');
    await buildBusyboxRootfs(rootfs);
    await importRootfs(docker, rootfs, BUSYBOX_IMAGE, ['CMD ["sh"]']);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function buildBusyboxRootfs(rootfs: string): Promise<void> {
  const applets = execFileSync(HOST_BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  await mkdir(join(rootfs, 'bin'), { recursive: true });
  await copyFile(HOST_BUSYBOX, join(rootfs, 'bin/busybox'));
  for (const applet of applets) {
    if (applet === 'busybox') continue;
    await symlink('busybox', join(rootfs, 'bin', applet));
  }
  await mkdir(join(rootfs, 'tmp'));
  await chmod(join(rootfs, 'tmp'), 0o1777);
  await mkdir(join(rootfs, 'etc'));
  await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  await mkdir(join(rootfs, 'root'));
}

async function importRootfs(docker: Docker, rootfs: string, tag: string, changes: string[]): Promise<void> {
  const tar = spawn('tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [repo, version] = splitTag(tag);
  const progress = await docker.importImage(tar.stdout, { repo, tag: version, changes });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(progress, (err: Error | null) => (err ? reject(err) : resolve()));
  });
  if (!(await hasImage(docker, tag))) throw new Error(`import of ${tag} from ${dirname(rootfs)} did not produce the image`);
}

function splitTag(ref: string): [string, string] {
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
}

/**
 * Force-remove every container (running or not) carrying `label` (`key` or `key=value`).
 * Returns how many were removed.
 */
export async function removeContainersByLabel(docker: Docker, label: string): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(
    containers.map(async (c) => {
      try {
        await docker.getContainer(c.Id).remove({ force: true, v: true });
      } catch (err) {
        // Already gone (removed by the test itself or in flight): nothing left to do.
        if (dockerStatusCode(err) !== 404 && dockerStatusCode(err) !== 409) throw err;
      }
    }),
  );
  return containers.length;
}

/** Ids of containers carrying `label`, running or not. */
export async function listContainersByLabel(docker: Docker, label: string): Promise<string[]> {
  const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
  return containers.map((c) => c.Id);
}
