/**
 * A StatefulSet from a user's seat, on real Docker with the real kubectl: three replicas start
 * web-0, web-1, web-2 in order (an API watch over every pod event: each pod is created only after
 * the one before it is Ready), with stable hostnames and the headless Service's endpoints naming
 * them (and the cluster DNS answering `web-0.nginx.default.svc.cluster.local`); `kubectl get sts`
 * columns and `kubectl rollout status`; a deleted pod comes back under its name; a rolling update
 * from the highest ordinal with `rollout history`, `rollout undo` and `rollout restart`;
 * `kubectl scale` down removes web-2 first and web-1 only once web-2 is gone.
 *
 * Each pod mounts its own claim from `volumeClaimTemplates` (`data-web-N`, the default
 * `local-path` class: a directory on the node, provisioned once the pod is scheduled): a file
 * web-1 wrote is there again after web-1 is deleted and recreated; scaling down keeps the claims;
 * deleting a claim (reclaim Delete) removes its volume and its directory.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp } from '../support/docker.ts';
import { eventually, kubectlFor, ok, run, startKactusUp, uniqueName, watchApi, type ApiWatch, type ApiWatchEvent, type KactusServer, type Kubectl, type RunResult } from './harness.ts';
import { removeNodeLeftovers } from './node-containers.ts';

/** Notes which pod first used its claim, then exits at once on SIGTERM, so deletions finish within the 1 s grace. */
const COMMAND = `["sh", "-c", "[ -f /data/first ] || hostname > /data/first; trap 'exit 0' TERM; sleep 3600 & wait"]`;
const DEADLINE_MS = 60_000;

const docker = dockerClient();
const enabled = dockerRequired() || (await isDockerUp(docker));
const nodeName = uniqueName('e2e-sts-');
/** A second tag of busybox, private to this run, so `set image` really changes the template. */
const IMAGE_V2_TAG = uniqueName('sts2-');
const IMAGE_V2 = `busybox:${IMAGE_V2_TAG}`;
let dir: string;
let up: KactusServer | undefined;
let kubectl: Kubectl;

const MANIFEST = `apiVersion: v1
kind: Service
metadata:
  name: nginx
spec:
  clusterIP: None
  selector:
    app: web
  ports:
  - name: web
    port: 80
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: nginx
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: busybox:latest
        command: ${COMMAND}
        volumeMounts:
        - name: data
          mountPath: /data
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 16Mi
`;

interface Pod {
  metadata: { name: string; uid: string; resourceVersion: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec: { hostname?: string; subdomain?: string; containers: { image: string }[] };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}
interface List<T> {
  metadata: { resourceVersion: string };
  items: T[];
}

interface Claim {
  metadata: { name: string };
  spec: { volumeName?: string };
  status?: { phase?: string };
}
interface Volume {
  metadata: { name: string };
  spec: { persistentVolumeReclaimPolicy?: string; local?: { path: string }; hostPath?: { path: string } };
}
const exists = (path: string): Promise<boolean> => stat(path).then(
  () => true,
  () => false,
);

const isReady = (p: Pod): boolean => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const podOf = (e: ApiWatchEvent): Pod => e.object as unknown as Pod;

function kubectlSlow(args: string[], timeoutMs = 100_000): Promise<RunResult> {
  return run('kubectl', ['--kubeconfig', up!.kubeconfig, '--cache-dir', join(dir, 'kubectl-cache'), ...args], { timeoutMs });
}

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(ok(await kubectl(['get', ...args, '-o', 'json']))) as T;
}

/** A watch of the set's pods from the current list on: every event is kept. */
async function watchPods(): Promise<ApiWatch> {
  const list = JSON.parse(ok(await kubectl(['get', '--raw', '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb']))) as List<Pod>;
  return watchApi(up!.kubeconfig, '/api/v1/namespaces/default/pods', { labelSelector: 'app=web', resourceVersion: list.metadata.resourceVersion });
}

/** Index of the first event matching `pred`, or −1. */
const firstIndex = (events: ApiWatchEvent[], pred: (e: ApiWatchEvent) => boolean): number => events.findIndex(pred);
const summary = (events: ApiWatchEvent[]): string =>
  events.map((e) => `${e.type} ${podOf(e).metadata.name} ${podOf(e).status?.phase ?? ''}${isReady(podOf(e)) ? ' ready' : ''}${podOf(e).metadata.deletionTimestamp ? ' terminating' : ''}`).join('\n');

async function livePods(): Promise<Pod[]> {
  return (await getJson<List<Pod>>(['pods', '-l', 'app=web'])).items.filter((p) => !p.metadata.deletionTimestamp);
}

async function rolloutStatus(): Promise<string> {
  return ok(await kubectlSlow(['rollout', 'status', 'sts/web', '--timeout=90s']));
}

describe.skipIf(!enabled)('a StatefulSet on a Docker node', () => {
  beforeAll(async () => {
    await ensureBusyboxImage(docker);
    await docker.getImage('busybox:latest').tag({ repo: 'busybox', tag: IMAGE_V2_TAG });
    dir = await mkdtemp(join(tmpdir(), 'kactus-sts-'));
    up = await startKactusUp(join(dir, 'data'), { args: ['--node-name', nodeName] });
    kubectl = kubectlFor(up.kubeconfig, dir);
  }, 60_000);

  beforeEach(({ onTestFailed }) => onTestFailed(() => console.error(`kactus up output (tail):\n${up?.proc.text.slice(-6000) ?? ''}`)));

  afterAll(async () => {
    await up?.proc.kill('SIGKILL');
    await removeNodeLeftovers(docker, nodeName);
    await docker
      .getImage(IMAGE_V2)
      .remove()
      .catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('starts web-0, web-1, web-2 in order, each once the one before is Ready; kubectl rollout status and get sts agree', async () => {
    const watch = await watchPods();
    try {
      expect(ok(await kubectl(['apply', '-f', '-'], MANIFEST))).toContain('statefulset.apps/web created');
      expect(await rolloutStatus()).toContain('partitioned roll out complete: 3 new pods have been updated');
      await watch.until('three ready pods in the watch', (evs) => ['web-0', 'web-1', 'web-2'].every((n) => evs.some((e) => podOf(e).metadata.name === n && isReady(podOf(e)))));
      const evs = watch.events;
      const added = (name: string): number => firstIndex(evs, (e) => e.type === 'ADDED' && podOf(e).metadata.name === name);
      const ready = (name: string): number => firstIndex(evs, (e) => podOf(e).metadata.name === name && isReady(podOf(e)));
      expect(added('web-0'), summary(evs)).toBe(0);
      expect(added('web-1'), summary(evs)).toBeGreaterThan(ready('web-0'));
      expect(added('web-2'), summary(evs)).toBeGreaterThan(ready('web-1'));
      expect(evs.filter((e) => e.type === 'ADDED').map((e) => podOf(e).metadata.name)).toEqual(['web-0', 'web-1', 'web-2']);
    } finally {
      watch.close();
    }
    const table = ok(await kubectl(['get', 'sts', 'web']));
    expect(table).toMatch(/^NAME\s+READY\s+AGE\s*$/m);
    expect(table).toMatch(/^web\s+3\/3\s+\S+\s*$/m);
    // Each pod has its own claim, bound to its own volume, and was the first to use it.
    const claims = await eventually('three bound claims', () => getJson<List<Claim>>(['pvc']), (l) => l.items.filter((c) => c.status?.phase === 'Bound').length === 3, DEADLINE_MS);
    expect(claims.items.map((c) => c.metadata.name).sort()).toEqual(['data-web-0', 'data-web-1', 'data-web-2']);
    expect(new Set(claims.items.map((c) => c.spec.volumeName)).size).toBe(3);
    for (const name of ['web-0', 'web-1', 'web-2']) expect(ok(await kubectl(['exec', name, '--', 'cat', '/data/first'])).trim()).toBe(name);
    const status = (await getJson<{ status: Record<string, unknown> }>(['sts', 'web'])).status;
    expect(status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3, updatedReplicas: 3, currentReplicas: 3, observedGeneration: 1 });
    expect(status.currentRevision).toBe(status.updateRevision);
  }, 120_000);

  it('gives each pod its identity: hostname in the container, subdomain, labels, and a name in the headless Service', async () => {
    expect(ok(await kubectl(['exec', 'web-1', '--', 'hostname'])).trim()).toBe('web-1');
    const pods = await livePods();
    for (const p of pods) {
      expect(p.spec).toMatchObject({ hostname: p.metadata.name, subdomain: 'nginx' });
      expect(p.metadata.labels).toMatchObject({ 'statefulset.kubernetes.io/pod-name': p.metadata.name, 'apps.kubernetes.io/pod-index': p.metadata.name.slice(4) });
    }
    // The EndpointSlice names each ready pod by hostname: what the cluster DNS answers web-0.nginx.default.svc.cluster.local from.
    const slices = await eventually(
      'hostnames in the EndpointSlice',
      () => getJson<List<{ endpoints?: { hostname?: string }[] }>>(['endpointslices', '-l', 'kubernetes.io/service-name=nginx']),
      (l) => l.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.hostname).length === 3,
      DEADLINE_MS,
    );
    expect(slices.items.flatMap((s) => (s.endpoints ?? []).map((e) => e.hostname)).sort()).toEqual(['web-0', 'web-1', 'web-2']);
    // The cluster DNS answers a member's stable name with its pod IP (the pod network needs root).
    if (process.getuid?.() === 0) {
      const ip = pods.find((p) => p.metadata.name === 'web-0')?.status?.podIP;
      expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      const answer = await eventually('web-0.nginx resolved', async () => (await kubectl(['exec', 'web-1', '--', 'nslookup', 'web-0.nginx.default.svc.cluster.local'])).stdout, (out) => out.includes(ip!), DEADLINE_MS);
      expect(answer).toContain(ip);
    }
  }, 90_000);

  it('brings a deleted pod back under the same name', async () => {
    const before = (await livePods()).find((p) => p.metadata.name === 'web-1')!;
    ok(await kubectl(['exec', 'web-1', '--', 'sh', '-c', 'echo written-by-web-1 > /data/note']));
    ok(await kubectlSlow(['delete', 'pod', 'web-1']));
    const after = await eventually('web-1 again, ready', () => livePods(), (ps) => ps.some((p) => p.metadata.name === 'web-1' && p.metadata.uid !== before.metadata.uid && isReady(p)), DEADLINE_MS);
    expect(after.map((p) => p.metadata.name).sort()).toEqual(['web-0', 'web-1', 'web-2']);
    // The new web-1 mounts the same claim: the file the old one wrote is there.
    expect(ok(await kubectl(['exec', 'web-1', '--', 'cat', '/data/note'])).trim()).toBe('written-by-web-1');
    expect(ok(await kubectl(['exec', 'web-1', '--', 'cat', '/data/first'])).trim()).toBe('web-1');
  }, 90_000);

  it('rolls a new image from the highest ordinal down; rollout history lists both revisions and undo goes back', async () => {
    const watch = await watchPods();
    try {
      ok(await kubectl(['set', 'image', 'sts/web', `c=${IMAGE_V2}`]));
      expect(await rolloutStatus()).toContain('partitioned roll out complete: 3 new pods have been updated');
      await watch.until('web-0 deleted for the update', (evs) => evs.some((e) => e.type === 'DELETED' && podOf(e).metadata.name === 'web-0'));
      const deleted = watch.events.filter((e) => e.type === 'DELETED').map((e) => podOf(e).metadata.name);
      expect(deleted, summary(watch.events)).toEqual(['web-2', 'web-1', 'web-0']);
    } finally {
      watch.close();
    }
    const pods = await livePods();
    expect(pods.map((p) => p.spec.containers[0]!.image)).toEqual([IMAGE_V2, IMAGE_V2, IMAGE_V2]);
    const history = ok(await kubectl(['rollout', 'history', 'sts/web']));
    expect(history).toMatch(/^1\s/m);
    expect(history).toMatch(/^2\s/m);
    ok(await kubectl(['rollout', 'undo', 'sts/web']));
    expect(await rolloutStatus()).toContain('partitioned roll out complete: 3 new pods have been updated');
    const back = await eventually('first image everywhere', () => livePods(), (ps) => ps.length === 3 && ps.every((p) => p.spec.containers[0]!.image === 'busybox:latest' && isReady(p)), DEADLINE_MS);
    expect(back).toHaveLength(3);
    const revisions = await getJson<List<{ metadata: { name: string }; revision: number }>>(['controllerrevisions']);
    expect(revisions.items.map((r) => r.revision).sort()).toEqual([2, 3]);
    // rollout restart: a template annotation, so every pod is replaced.
    const uids = new Set(back.map((p) => p.metadata.uid));
    ok(await kubectl(['rollout', 'restart', 'sts/web']));
    expect(await rolloutStatus()).toContain('partitioned roll out complete: 3 new pods have been updated');
    const restarted = await eventually('every pod replaced', () => livePods(), (ps) => ps.length === 3 && ps.every((p) => !uids.has(p.metadata.uid) && isReady(p)), DEADLINE_MS);
    expect(restarted.map((p) => p.metadata.name).sort()).toEqual(['web-0', 'web-1', 'web-2']);
  }, 200_000);

  it('kubectl scale --replicas=1 removes web-2 first, and web-1 only once web-2 is gone', async () => {
    const watch = await watchPods();
    try {
      ok(await kubectl(['scale', 'sts/web', '--replicas=1']));
      await watch.until('web-1 deleted', (evs) => evs.some((e) => e.type === 'DELETED' && podOf(e).metadata.name === 'web-1'), DEADLINE_MS);
      const evs = watch.events;
      const terminatingAt = (name: string): number => firstIndex(evs, (e) => podOf(e).metadata.name === name && podOf(e).metadata.deletionTimestamp !== undefined);
      const deletedAt = (name: string): number => firstIndex(evs, (e) => e.type === 'DELETED' && podOf(e).metadata.name === name);
      expect(terminatingAt('web-2'), summary(evs)).toBeGreaterThanOrEqual(0);
      expect(terminatingAt('web-1'), summary(evs)).toBeGreaterThan(deletedAt('web-2'));
      expect(evs.some((e) => podOf(e).metadata.name === 'web-0' && e.type === 'DELETED')).toBe(false);
    } finally {
      watch.close();
    }
    expect((await livePods()).map((p) => p.metadata.name)).toEqual(['web-0']);
    const table = ok(await kubectl(['get', 'sts', 'web']));
    expect(table).toMatch(/^web\s+1\/1\s/m);
    // Scaling down keeps the claims (whenScaled: Retain, the default).
    const claims = await getJson<List<Claim>>(['pvc']);
    expect(claims.items.map((c) => `${c.metadata.name} ${c.status?.phase ?? ''}`).sort()).toEqual(['data-web-0 Bound', 'data-web-1 Bound', 'data-web-2 Bound']);
  }, 90_000);

  it('deleting a scaled-down pod\'s claim removes its volume and its directory (reclaim Delete)', async () => {
    const claim = await getJson<Claim>(['pvc', 'data-web-2']);
    const volume = await getJson<Volume>(['pv', claim.spec.volumeName!]);
    expect(volume.spec.persistentVolumeReclaimPolicy).toBe('Delete');
    const path = volume.spec.local?.path ?? volume.spec.hostPath?.path;
    expect(path, 'the volume\'s directory on the node').toBeTruthy();
    expect((await stat(path!)).isDirectory()).toBe(true);
    expect(await readFile(join(path!, 'first'), 'utf8')).toBe('web-2\n');
    ok(await kubectlSlow(['delete', 'pvc', 'data-web-2']));
    await eventually('the volume gone', async () => (await kubectl(['get', 'pv', volume.metadata.name])).code, (code) => code !== 0, DEADLINE_MS);
    expect(await exists(path!)).toBe(false);
    // The others keep theirs.
    expect(ok(await kubectl(['get', 'pvc', 'data-web-1', '-o', 'jsonpath={.status.phase}']))).toBe('Bound');
  }, 90_000);
});
