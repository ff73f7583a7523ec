import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { isDockerUp } from '../../test/support/docker.ts';
import { openRuntime } from './open.ts';
import type { ContainerRuntime } from '../../src/runtime/types.ts';

describe('openRuntime', () => {
  const opened: ContainerRuntime[] = [];
  const dirs: string[] = [];
  const dataDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kactus-open-runtime-'));
    dirs.push(dir);
    return dir;
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((r) => r.close()));
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('opens the runtime it is asked for', async () => {
    for (const runtime of ['process', 'hollow'] as const) {
      const r = await openRuntime({ runtime, node: 'n', dataDir: await dataDir() });
      opened.push(r);
      expect(r.name).toBe(runtime);
    }
  });

  it('auto: Docker when the engine answers, else the process runtime', async () => {
    const withEngine = await openRuntime({ runtime: 'auto', node: 'n', dataDir: await dataDir() });
    opened.push(withEngine);
    expect(withEngine.name).toBe((await isDockerUp()) ? 'docker' : 'process');
    const noEngine = await openRuntime({ runtime: 'auto', node: 'n', dataDir: await dataDir(), docker: new Docker({ socketPath: join(await dataDir(), 'no.sock') }) });
    opened.push(noEngine);
    expect(noEngine.name).toBe('process');
  });
});
