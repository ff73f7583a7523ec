import { describe, expect, it } from 'vitest';
import { runtimeConformance, waitExited } from '../../src/runtime/conformance.ts';
import { HollowEngine, HollowRuntime, defaultHollowBehaviour } from './hollow.ts';
import type { RuntimeEvent } from '../../src/runtime/types.ts';

const MISSING = 'kactus-test/absent:1';

runtimeConformance('hollow', async () => {
  const engine = new HollowEngine();
  const make = () => new HollowRuntime({ engine, isImagePresent: (image) => image !== MISSING });
  const opened = [make()];
  return {
    runtime: opened[0]!,
    image: 'busybox:latest',
    missingImage: MISSING,
    capabilities: { executes: false, containersSurviveReopen: true },
    async reopen() {
      await opened.at(-1)!.close();
      opened.push(make());
      return opened.at(-1)!;
    },
    async cleanup() {
      await Promise.all(opened.map((r) => r.close()));
    },
  };
});

describe('HollowRuntime', () => {
  it('reads `exit N` as the last word of the command line, and runs anything else until stopped', () => {
    expect(defaultHollowBehaviour({ name: 'c', image: 'i', command: ['sh', '-c', 'exit 7'] })).toEqual({ kind: 'exit', exitCode: 7 });
    expect(defaultHollowBehaviour({ name: 'c', image: 'i', args: ['sh', '-c', 'exit 0'] })).toEqual({ kind: 'exit', exitCode: 0 });
    expect(defaultHollowBehaviour({ name: 'c', image: 'i', command: ['sh', '-c', 'sleep 1; exit 7x'] })).toEqual({ kind: 'run' });
    expect(defaultHollowBehaviour({ name: 'c', image: 'i' })).toEqual({ kind: 'run' });
  });

  it('honours a configured behaviour, including OOM kills', async () => {
    const runtime = new HollowRuntime({ behaviour: (spec) => (spec.name === 'hog' ? { kind: 'exit', exitCode: 137, oomKilled: true } : { kind: 'run' }) });
    const events: RuntimeEvent[] = [];
    runtime.onEvent((e) => events.push(e));
    const { sandboxId } = await runtime.createSandbox({ uid: 'u1', namespace: 'ns', name: 'p' });
    const hog = await runtime.createContainer(sandboxId, { name: 'hog', image: 'x' }, []);
    await runtime.startContainer(hog);
    expect(await waitExited(runtime, hog)).toMatchObject({ exitCode: 137, oomKilled: true, reason: 'OOMKilled' });
    await Promise.resolve();
    expect(events.map((e) => e.type)).toEqual(['started', 'oom', 'exited']);
  });

  it('holds 10,000 pods cheaply (no timers or processes per container)', async () => {
    const runtime = new HollowRuntime();
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) {
      const { sandboxId } = await runtime.createSandbox({ uid: `u${i}`, namespace: 'ns', name: `p${i}` });
      const id = await runtime.createContainer(sandboxId, { name: 'c', image: 'busybox' }, []);
      await runtime.startContainer(id);
    }
    const elapsedMs = performance.now() - started;
    const perPodBytes = (process.memoryUsage().heapUsed - before) / 10_000;
    expect((await runtime.listPods()).length).toBe(10_000);
    expect(elapsedMs).toBeLessThan(5_000);
    expect(perPodBytes).toBeLessThan(4_096);
  });
});
