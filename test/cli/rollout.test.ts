/**
 * `kactus rollout status` (the real CLI in a child process) against a real master — API server,
 * the leader's Deployment, ReplicaSet, DaemonSet, StatefulSet controllers and scheduler — and a node daemon on
 * the hollow runtime whose pods become Running and Ready. A line per change (stdout is a pipe
 * here; the terminal's redraw is unit-tested in src/cli/rollout-status.test.ts), kubectl's last
 * line, and exit 1 on a progress deadline, on --timeout, for a missing object.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../../src/api/kinds.ts';
import type { KubeObject } from '../../src/api/object.ts';
import { buildKubeconfig } from '../../src/apiserver/kubeconfig.ts';
import { startMaster, type Master } from '../../src/master/master.ts';
import { openEmbeddedStore } from '../../src/store/embedded/index.ts';
import type { Store } from '../../src/store/types.ts';
import { startNodeDaemon, type NodeDaemon } from '../../node-daemon/daemon.ts';
import { runKactus, spawnKactus } from '../support/kactus-cli.ts';

const DEPLOYMENTS = findKind('apps/v1', 'Deployment') as ResourceInfo;
const DAEMONSETS = findKind('apps/v1', 'DaemonSet') as ResourceInfo;
const STATEFULSETS = findKind('apps/v1', 'StatefulSet') as ResourceInfo;
const NODES = findKind('v1', 'Node') as ResourceInfo;

const deployment = (name: string, replicas: number, extra: { nodeSelector?: Record<string, string>; progressDeadlineSeconds?: number; image?: string } = {}): KubeObject => ({
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    ...(extra.progressDeadlineSeconds ? { progressDeadlineSeconds: extra.progressDeadlineSeconds } : {}),
    template: {
      metadata: { labels: { app: name } },
      spec: { ...(extra.nodeSelector ? { nodeSelector: extra.nodeSelector } : {}), containers: [{ name: 'app', image: extra.image ?? 'busybox', command: ['sleep', '3600'] }] },
    },
  },
});

const PROGRESS = /^\[[█▒░]{20}\] \d+\/\d+ updated, \d+\/\d+ ready {2}\S/;

describe('kactus rollout status', () => {
  let dir: string;
  let store: Store;
  let master: Master;
  let node: NodeDaemon;
  let kubeconfig: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-rollout-'));
    store = await openEmbeddedStore(join(dir, 'store'), { fsync: false });
    master = await startMaster({ store, dataDir: join(dir, 'master'), port: 0, name: 'm1', leaseRetryPeriodMs: 100, podSyncIntervalMs: 500, logger: pino({ level: 'silent' }) });
    const { token } = await master.createJoinToken(600);
    node = await startNodeDaemon({ dataDir: join(dir, 'n1'), join: master.meshAddrs, token, runtime: 'hollow', name: 'n1', heartbeatIntervalMs: 200 });
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, buildKubeconfig({ url: master.api.url, caCertPem: master.api.caCertPem, token: master.api.adminToken }), { mode: 0o600 });
  });
  afterAll(async () => {
    await node?.close();
    await master?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('follows a Deployment with a line per change until kubectl\'s "successfully rolled out", then an image update', async () => {
    // Its pods wait for a node labelled rollout=yes: the first lines show them updated, not ready.
    await master.api.registry.create(DEPLOYMENTS, 'default', deployment('web', 3, { nodeSelector: { rollout: 'yes' } }));
    const status = spawnKactus(kubeconfig, ['rollout', 'status', 'deployment/web', '--timeout=60s']);
    await status.until('3 updated, 0 ready', (p) => p.lines.some((l) => l.includes('3/3 updated, 0/3 ready')), 30_000);
    await master.api.registry.patch(NODES, '', 'n1', 'application/merge-patch+json', { metadata: { labels: { rollout: 'yes' } } });
    expect(await status.exited).toBe(0);
    expect(status.stderr).toBe('');
    const lines = status.lines;
    expect(lines.at(-1)).toBe('deployment "web" successfully rolled out');
    const progress = lines.slice(0, -1);
    expect(progress.length).toBeGreaterThan(0);
    for (const l of progress) expect(l).toMatch(PROGRESS);
    expect(progress).toContain('[▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒] 3/3 updated, 0/3 ready  Waiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available...');
    // A line per change: never the same line twice in a row.
    for (let i = 1; i < progress.length; i++) expect(progress[i]).not.toBe(progress[i - 1]);

    // A new template: a second rollout, followed to its end with the type and name apart.
    await master.api.registry.patch(DEPLOYMENTS, 'default', 'web', 'application/merge-patch+json', { spec: { template: { spec: { containers: [{ name: 'app', image: 'busybox:2', command: ['sleep', '3600'] }] } } } });
    const again = await runKactus(kubeconfig, ['rollout', 'status', 'deploy', 'web', '--timeout=60s'], 90_000);
    expect(again.code).toBe(0);
    expect(again.stdout.trimEnd().split('\n').at(-1)).toBe('deployment "web" successfully rolled out');
  }, 120_000);

  it('fails when the Deployment exceeds its progress deadline, and on --timeout', async () => {
    await master.api.registry.create(DEPLOYMENTS, 'default', deployment('stuck', 2, { nodeSelector: { nowhere: 'true' }, progressDeadlineSeconds: 2 }));
    const failed = await runKactus(kubeconfig, ['rollout', 'status', 'deployment/stuck'], 60_000);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe('error: deployment "stuck" exceeded its progress deadline\n');
    for (const l of failed.stdout.trimEnd().split('\n').filter(Boolean)) expect(l).toMatch(PROGRESS);

    await master.api.registry.create(DEPLOYMENTS, 'default', deployment('slow', 1, { nodeSelector: { nowhere: 'true' } }));
    const started = Date.now();
    const timedOut = await runKactus(kubeconfig, ['rollout', 'status', 'deployment/slow', '--timeout=2s'], 60_000);
    expect(timedOut.code).toBe(1);
    expect(timedOut.stderr).toBe('error: timed out waiting for the condition\n');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    // --watch=false: the status once, exit 0.
    const once = await runKactus(kubeconfig, ['rollout', 'status', 'deployment/slow', '--watch=false']);
    expect(once).toMatchObject({ code: 0, stdout: 'Waiting for deployment "slow" rollout to finish: 0 of 1 updated replicas are available...\n' });
  }, 120_000);

  it('follows a DaemonSet and a StatefulSet to the end; a missing object and a kind without rollouts are errors', async () => {
    await master.api.registry.create(DAEMONSETS, 'default', {
      metadata: { name: 'agent' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'busybox', command: ['sleep', '3600'] }] } } },
    });
    const ds = await runKactus(kubeconfig, ['rollout', 'status', 'ds/agent', '--timeout=60s'], 90_000);
    expect(ds.stderr).toBe('');
    expect(ds.code).toBe(0);
    expect(ds.stdout.trimEnd().split('\n').at(-1)).toBe('daemon set "agent" successfully rolled out');

    // A StatefulSet's pods start one after the other: kubectl's partitioned-rollout words at the end.
    await master.api.registry.create(STATEFULSETS, 'default', {
      metadata: { name: 'db' },
      spec: { replicas: 2, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'd', image: 'busybox', command: ['sleep', '3600'] }] } } },
    });
    const sts = await runKactus(kubeconfig, ['rollout', 'status', 'sts/db', '--timeout=60s'], 90_000);
    expect(sts.stderr).toBe('');
    expect(sts.code).toBe(0);
    const lines = sts.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('partitioned roll out complete: 2 new pods have been updated...');
    for (const l of lines.slice(0, -1).filter(Boolean)) expect(l).toMatch(PROGRESS);

    const missing = await runKactus(kubeconfig, ['rollout', 'status', 'deployment/nope']);
    expect(missing).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): deployments.apps "nope" not found\n' });
    const pod = await runKactus(kubeconfig, ['rollout', 'status', 'pod/x']);
    expect(pod).toMatchObject({ code: 1, stderr: 'error: no status viewer has been implemented for Pod\n' });
  }, 120_000);
});
