import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runtimeConformance, waitExited } from '../../src/runtime/conformance.ts';
import { commandLine, launchFor, rewriteMountPaths } from './process-launch.ts';
import { ProcessRuntime } from './process.ts';

const MISSING = 'kactus-test/absent:1';

runtimeConformance('process', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'kactus-process-runtime-'));
  const open = () => ProcessRuntime.open({ dataDir, isImagePresent: (image) => image !== MISSING });
  const opened = [await open()];
  return {
    runtime: opened[0]!,
    image: 'busybox:latest',
    missingImage: MISSING,
    capabilities: { executes: true, containersSurviveReopen: false },
    async reopen() {
      await opened.at(-1)!.close();
      opened.push(await open());
      return opened.at(-1)!;
    },
    async cleanup() {
      await Promise.all(opened.map((r) => r.close()));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});

describe('process runtime command lines', () => {
  const mounts = [
    { hostPath: '/var/lib/k/vol', mountPath: '/data', readOnly: false },
    { hostPath: '/var/lib/k/cfg', mountPath: '/data/config', readOnly: true },
  ];

  it('treats every image as busybox: no ENTRYPOINT, CMD ["sh"]', () => {
    expect(commandLine({ name: 'c', image: 'busybox' })).toEqual(['sh']);
    expect(commandLine({ name: 'c', image: 'busybox', args: ['echo', 'a'] })).toEqual(['echo', 'a']);
    expect(commandLine({ name: 'c', image: 'busybox', command: ['echo'], args: ['a'] })).toEqual(['echo', 'a']);
    expect(commandLine({ name: 'c', image: 'busybox', command: ['echo'] })).toEqual(['echo']);
  });

  it('rewrites mountPaths only where they stand as paths, the longest first', () => {
    expect(rewriteMountPaths('cat /data/f > /data/config/x; ls /data', mounts)).toBe('cat /var/lib/k/vol/f > /var/lib/k/cfg/x; ls /var/lib/k/vol');
    expect(rewriteMountPaths('ls /database /x/data "/data"', mounts)).toBe('ls /database /x/data "/var/lib/k/vol"');
  });

  it('gives a fixed environment, not the daemon\'s', () => {
    const launch = launchFor({ name: 'c', image: 'b', env: { DIR: '/data/in' }, workingDir: '/data' }, mounts, 'pod-a');
    expect(launch.env).toEqual({ PATH: expect.any(String), HOME: '/root', HOSTNAME: 'pod-a', DIR: '/var/lib/k/vol/in' });
    expect(launch.cwd).toBe('/var/lib/k/vol');
  });
});

describe('ProcessRuntime', () => {
  it('kills what a dead previous owner left running, and records it exited', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kactus-process-runtime-'));
    try {
      const first = await ProcessRuntime.open({ dataDir });
      const { sandboxId } = await first.createSandbox({ uid: 'u', namespace: 'ns', name: 'p' });
      const id = await first.createContainer(sandboxId, { name: 'c', image: 'busybox', command: ['sh', '-c', 'trap "" TERM; while :; do sleep 0.05; done'] }, []);
      await first.startContainer(id);
      // The first owner "dies" without close(): a second one opens the same dir.
      const second = await ProcessRuntime.open({ dataDir });
      expect(await second.inspectContainer(id)).toMatchObject({ state: 'exited', exitCode: 137 });
      // The real process is gone: the first instance sees it exit.
      expect((await waitExited(first, id)).state).toBe('exited');
      await Promise.all([first.close(), second.close()]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('reports a command that cannot start as ContainerStartError, and stats of a running one', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kactus-process-runtime-'));
    const runtime = await ProcessRuntime.open({ dataDir });
    try {
      const { sandboxId } = await runtime.createSandbox({ uid: 'u', namespace: 'ns', name: 'p' });
      const bad = await runtime.createContainer(sandboxId, { name: 'bad', image: 'b', command: ['/nonexistent/binary'] }, []);
      await expect(runtime.startContainer(bad)).rejects.toMatchObject({ code: 'ContainerStart' });
      const busy = await runtime.createContainer(sandboxId, { name: 'busy', image: 'b', command: ['sh', '-c', 'echo up; while :; do :; done'] }, []);
      await runtime.startContainer(busy);
      const stats = await runtime.stats(busy);
      expect(stats.memoryBytes).toBeGreaterThan(0);
      expect(stats.cpuNanoCores).toBeGreaterThanOrEqual(0);
    } finally {
      await runtime.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
