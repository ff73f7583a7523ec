/**
 * `kactus master` processes sharing one real etcd (Debian etcd-server): what one master
 * acknowledges, another serves and streams; each writes its own working kubeconfig, and a
 * kubeconfig from one master works against the other (one cluster CA and admin token).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdTestsEnabled, startEtcdCluster, type EtcdCluster } from '../support/etcd.ts';
import { background, ok, run, startKactusMaster, type KactusServer, type RunResult } from './harness.ts';

const enabled = etcdTestsEnabled();
let dir: string;
let etcd: EtcdCluster | undefined;
const masters: KactusServer[] = [];

function kubectl(master: KactusServer, args: string[], input?: string): Promise<RunResult> {
  return run('kubectl', ['--kubeconfig', master.kubeconfig, '--cache-dir', join(dir, `cache-${master.port}`), ...args], { input });
}

describe.skipIf(!enabled)('kactus master over a shared etcd store', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-master-'));
    etcd = await startEtcdCluster({ members: 1 });
    // Sequential: the second master starts against a store the first has initialised.
    masters.push(await startKactusMaster(join(dir, 'a'), etcd.uri, 'master-a'));
    // The second serves its event stream on the main thread (`--event-stream-workers 0`), the first on the default workers.
    masters.push(await startKactusMaster(join(dir, 'b'), etcd.uri, 'master-b', ['--event-stream-workers', '0']));
  }, 90_000);

  afterAll(async () => {
    for (const m of masters) await m.proc.kill('SIGKILL');
    await etcd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('each master serves the API and names itself', async () => {
    const [a, b] = masters as [KactusServer, KactusServer];
    expect(a.port).not.toBe(b.port);
    expect(a.kubeconfig).toBe(join(dir, 'a', 'kubeconfig'));
    expect(a.proc.text).toContain(`kactus: store ${etcd!.uri}`);
    expect(b.proc.text).toContain('kactus: master master-b serving');
    expect(a.proc.text).toMatch(/kactus: event stream served by \d+ worker thread\(s\)/);
    expect(b.proc.text).toContain('kactus: event stream served by the main thread');
    expect(ok(await kubectl(b, ['get', 'ns']))).toMatch(/^kube-system\s+Active/m);
  });

  it('an object created through one master is served and streamed by the other', async () => {
    const [a, b] = masters as [KactusServer, KactusServer];
    const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  from: a\n`;
    // An object listed first tells us the watch is established (kubectl prints nothing until then).
    ok(await kubectl(b, ['apply', '-f', '-'], cm('before')));
    const watch = background('kubectl', ['--kubeconfig', b.kubeconfig, '--cache-dir', join(dir, 'cache-watch'), 'get', 'configmaps', '-w']);
    try {
      await watch.waitFor(/^before\s/m);
      expect(ok(await kubectl(a, ['apply', '-f', '-'], cm('shared')))).toContain('configmap/shared created');
      await watch.waitFor(/^shared\s+1\s/m);
    } finally {
      await watch.kill();
    }
    expect(ok(await kubectl(b, ['get', 'cm', 'shared', '-o', 'jsonpath={.data.from}']))).toBe('a');
    expect(ok(await kubectl(b, ['delete', 'cm', 'shared']))).toContain('configmap "shared" deleted');
    expect((await kubectl(a, ['get', 'cm', 'shared'])).stderr).toContain('configmaps "shared" not found');
  });

  it('a kubeconfig written by one master works against the other', async () => {
    const [a, b] = masters as [KactusServer, KactusServer];
    const viaA = await run('kubectl', ['--kubeconfig', a.kubeconfig, '--cache-dir', join(dir, 'cache-cross'), '--server', b.url, 'get', 'ns', 'kube-system', '-o', 'name']);
    expect(ok(viaA).trim()).toBe('namespace/kube-system');
    const viaB = await run('kubectl', ['--kubeconfig', b.kubeconfig, '--cache-dir', join(dir, 'cache-cross'), '--server', a.url, 'get', 'ns', 'default', '-o', 'name']);
    expect(ok(viaB).trim()).toBe('namespace/default');
  });
});
