/**
 * Workload controllers from a user's seat, on real Docker with the real kubectl: a Deployment's
 * rolling update stays within maxSurge/maxUnavailable over every pod event of an API watch, rolls
 * back onto its old ReplicaSet and scales; deleted pods are replaced and killed containers
 * restarted; background and orphan deletion; a parallel Job never exceeds its parallelism and a
 * failing one stops at its backoff limit; a DaemonSet puts one pod on the node.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp } from '../support/docker.ts';
import {
  background,
  eventually,
  kactusBin,
  kubectlFor,
  ok,
  run,
  startKactusUp,
  uniqueName,
  watchApi,
  type ApiWatch,
  type ApiWatchEvent,
  type Background,
  type KactusServer,
  type Kubectl,
  type RunResult,
} from './harness.ts';
import { nodeContainers, removeNodeLeftovers } from './node-containers.ts';

/** Exits at once on SIGTERM, so scale-downs and deletions finish within the 1 s grace. */
const COMMAND = `["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;
/** Pods start in about a second here; the deadline allows for a loaded machine. */
const DEADLINE_MS = 30_000;

const docker = dockerClient();
const enabled = dockerRequired() || (await isDockerUp(docker));
const nodeName = uniqueName('e2e-w-');
const secondNode = uniqueName('e2e-w2-');
/** A second tag of busybox, private to this run, so `set image` really changes the template. */
const IMAGE_V2_TAG = uniqueName('w2-');
const IMAGE_V2 = `busybox:${IMAGE_V2_TAG}`;
let dir: string;
let up: KactusServer | undefined;
let n2: Background | undefined;
let kubectl: Kubectl;

const deployment = (name: string, replicas: number): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: ${name}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: busybox:latest
        command: ${COMMAND}
`;

const job = (name: string, spec: string, command: string): string => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
${spec}
  template:
    metadata:
      labels:
        job: ${name}
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: busybox:latest
        command: ${command}
`;

const DAEMONSET = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels:
      app: agent
  template:
    metadata:
      labels:
        app: agent
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: busybox:latest
        command: ${COMMAND}
`;

/** kubectl with a longer process deadline, for verbs that wait (`rollout status`, `wait`). */
function kubectlSlow(args: string[], timeoutMs = 70_000): Promise<RunResult> {
  return run('kubectl', ['--kubeconfig', up!.kubeconfig, '--cache-dir', join(dir, 'kubectl-cache'), ...args], { timeoutMs });
}

/** `kubectl get ... -o json` parsed. */
async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(ok(await kubectl(['get', ...args, '-o', 'json']))) as T;
}

interface Pod {
  metadata: { name: string; resourceVersion: string; deletionTimestamp?: string; ownerReferences?: { kind: string; name: string }[] };
  spec: { nodeName?: string; containers: { image: string }[] };
  status?: { phase?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { restartCount: number; ready: boolean }[] };
}
interface ReplicaSet {
  metadata: { name: string; ownerReferences?: { kind: string; name: string }[] };
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
  status?: { replicas?: number; readyReplicas?: number };
}
interface List<T> {
  metadata: { resourceVersion: string };
  items: T[];
}

const isTerminating = (p: Pod): boolean => p.metadata.deletionTimestamp !== undefined;
const isTerminated = (p: Pod): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const isReady = (p: Pod): boolean => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Pods of a watch with a label, from a list's resourceVersion on: every state is seen, none missed. */
async function watchPods(selector: string): Promise<{ initial: Pod[]; watch: ApiWatch }> {
  // The API's own list (kubectl get -o json rebuilds a List without the collection's resourceVersion).
  const list = JSON.parse(ok(await kubectl(['get', '--raw', `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(selector)}`]))) as List<Pod>;
  expect(list.metadata.resourceVersion).toMatch(/^\d+$/);
  const watch = await watchApi(up!.kubeconfig, '/api/v1/namespaces/default/pods', { labelSelector: selector, resourceVersion: list.metadata.resourceVersion });
  return { initial: list.items, watch };
}

/** Replays a watch over its initial list: the pods that exist after each event, in order. */
function replay(initial: Pod[], events: ApiWatchEvent[]): Map<string, Pod>[] {
  const pods = new Map(initial.map((p) => [p.metadata.name, p]));
  const states: Map<string, Pod>[] = [new Map(pods)];
  for (const ev of events) {
    const pod = ev.object as unknown as Pod;
    if (ev.type === 'DELETED') pods.delete(pod.metadata.name);
    else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') pods.set(pod.metadata.name, pod);
    else throw new Error(`unexpected watch event ${ev.type}: ${JSON.stringify(ev.object)}`);
    states.push(new Map(pods));
  }
  return states;
}

/** The deployment's pods that are neither terminating nor terminated. */
async function livePods(app: string): Promise<Pod[]> {
  return (await getJson<List<Pod>>(['pods', '-l', `app=${app}`])).items.filter((p) => !isTerminating(p) && !isTerminated(p));
}

async function rolloutStatus(name: string): Promise<string> {
  return ok(await kubectlSlow(['rollout', 'status', `deploy/${name}`, '--timeout=60s']));
}

describe.skipIf(!enabled)('workload controllers on a Docker node', () => {
  beforeAll(async () => {
    await ensureBusyboxImage(docker);
    await docker.getImage('busybox:latest').tag({ repo: 'busybox', tag: IMAGE_V2_TAG });
    dir = await mkdtemp(join(tmpdir(), 'kactus-workloads-'));
    up = await startKactusUp(join(dir, 'data'), { args: ['--node-name', nodeName] });
    kubectl = kubectlFor(up.kubeconfig, dir);
  }, 60_000);

  // A failure here is usually explained by what the cluster logged: show its tail.
  beforeEach(({ onTestFailed }) => onTestFailed(() => console.error(`kactus up output (tail):\n${up?.proc.text.slice(-6000) ?? ''}`)));

  afterAll(async () => {
    await n2?.kill('SIGKILL');
    await up?.proc.kill('SIGKILL');
    // Daemons leave containers running when killed: remove this run's, whatever happened.
    await removeNodeLeftovers(docker, secondNode);
    await removeNodeLeftovers(docker, nodeName);
    await docker
      .getImage(IMAGE_V2)
      .remove()
      .catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('a Deployment', () => {
    let oldRs: string;

    it('comes up with 3 ready replicas: kubectl rollout status returns', async () => {
      expect(ok(await kubectl(['apply', '-f', '-'], deployment('web', 3)))).toContain('deployment.apps/web created');
      expect(await rolloutStatus('web')).toContain('successfully rolled out');
      const rss = await getJson<List<ReplicaSet>>(['rs', '-l', 'app=web']);
      expect(rss.items).toHaveLength(1);
      oldRs = rss.items[0]!.metadata.name;
      expect(rss.items[0]!.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}`)).toEqual(['Deployment/web']);
      const pods = await livePods('web');
      expect(pods).toHaveLength(3);
      expect(pods.every(isReady)).toBe(true);
    }, 60_000);

    it('rolls to a new image never above 4 live pods nor below 3 ready ones, over every watched pod event', async () => {
      const { initial, watch } = await watchPods('app=web');
      try {
        expect(initial.filter((p) => !isTerminating(p) && isReady(p))).toHaveLength(3);
        ok(await kubectl(['set', 'image', 'deploy/web', `c=${IMAGE_V2}`]));
        expect(await rolloutStatus('web')).toContain('successfully rolled out');
        // Wait until the stream has caught up with the end state: 3 ready pods of the new image, no old pod left.
        await watch.until('old pods gone from the watch', (evs) => {
          const last = [...replay(initial, evs).at(-1)!.values()];
          return last.length === 3 && last.every((p) => p.spec.containers[0]!.image === IMAGE_V2 && isReady(p) && !isTerminating(p));
        });
        const states = replay(initial, watch.events);
        const live = states.map((s) => [...s.values()].filter((p) => !isTerminating(p) && !isTerminated(p)).length);
        const ready = states.map((s) => [...s.values()].filter((p) => !isTerminating(p) && isReady(p)).length);
        expect(Math.max(...live), `live pods per event: ${live.join(',')}`).toBe(4);
        expect(Math.min(...ready), `ready pods per event: ${ready.join(',')}`).toBe(3);
        // Three new pods were made and three old ones deleted.
        const names = (type: string): string[] => watch.events.filter((e) => e.type === type).map((e) => (e.object as unknown as Pod).metadata.name);
        const summary = watch.events.map((e) => `${e.type} ${(e.object as unknown as Pod).metadata.name} ${(e.object as unknown as Pod).metadata.resourceVersion}`).join('\n');
        expect(names('ADDED'), summary).toHaveLength(3);
        expect(names('DELETED'), summary).toHaveLength(3);
      } finally {
        watch.close();
      }
      const rss = await getJson<List<ReplicaSet>>(['rs', '-l', 'app=web']);
      expect(rss.items.map((r) => [r.metadata.name === oldRs, r.spec.replicas]).sort()).toEqual([
        [false, 3],
        [true, 0],
      ]);
    }, 60_000);

    it('rollout undo goes back to the first image on the same old ReplicaSet', async () => {
      ok(await kubectl(['rollout', 'undo', 'deploy/web']));
      expect(await rolloutStatus('web')).toContain('successfully rolled out');
      expect(ok(await kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']))).toBe('busybox:latest');
      const rss = await getJson<List<ReplicaSet>>(['rs', '-l', 'app=web']);
      expect(rss.items).toHaveLength(2);
      const byName = new Map(rss.items.map((r) => [r.metadata.name, r]));
      expect(byName.get(oldRs)?.spec.replicas).toBe(3);
      expect(byName.get(oldRs)?.spec.template.spec.containers[0]!.image).toBe('busybox:latest');
      const pods = await eventually('only first-image pods left', () => livePods('web'), (ps) => ps.length === 3 && ps.every((p) => p.spec.containers[0]!.image === 'busybox:latest'), DEADLINE_MS);
      expect(pods.every((p) => p.metadata.ownerReferences?.[0]?.name === oldRs)).toBe(true);
    }, 60_000);

    it('kubectl scale --replicas=2 settles at 2 pods', async () => {
      ok(await kubectl(['scale', 'deploy/web', '--replicas=2']));
      await eventually(
        '2 pods, deployment reports 2 ready',
        async () => [(await livePods('web')).length, ok(await kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.status.replicas}/{.status.readyReplicas}']))],
        ([n, status]) => n === 2 && status === '2/2',
        DEADLINE_MS,
      );
      expect(await rolloutStatus('web')).toContain('successfully rolled out');
    }, 60_000);

    it('replaces a deleted pod with a new one', async () => {
      const before = (await livePods('web')).map((p) => p.metadata.name);
      ok(await kubectl(['delete', 'pod', before[0]!, '--wait=false']));
      const after = await eventually(
        'a replacement pod Running and ready',
        () => livePods('web'),
        (ps) => ps.length === 2 && ps.every(isReady) && !ps.some((p) => p.metadata.name === before[0]),
        DEADLINE_MS,
      );
      expect(after.map((p) => p.metadata.name)).toContain(before[1]);
    }, 40_000);

    it('restarts a container killed with docker kill (restartCount goes up)', async () => {
      const [pod] = await livePods('web');
      const name = pod!.metadata.name;
      expect(pod!.status?.containerStatuses?.[0]?.restartCount).toBe(0);
      const [container] = (await nodeContainers(docker, nodeName, name)).filter((c) => c.role === 'container' && c.state === 'running');
      expect(container, `running container of ${name}`).toBeDefined();
      await docker.getContainer(container!.id).kill();
      const restarted = await eventually(
        `pod ${name} restarted`,
        () => getJson<Pod>(['pod', name]),
        (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && isReady(p),
        DEADLINE_MS,
      );
      expect(restarted.status?.phase).toBe('Running');
      const running = (await nodeContainers(docker, nodeName, name)).filter((c) => c.role === 'container' && c.state === 'running');
      expect(running).toHaveLength(1);
      expect(running[0]!.id).not.toBe(container!.id);
    }, 40_000);

    it('kubectl delete deploy (background) removes its ReplicaSets, pods and their containers', async () => {
      const podNames = (await getJson<List<Pod>>(['pods', '-l', 'app=web'])).items.map((p) => p.metadata.name);
      expect(podNames.length).toBeGreaterThan(0);
      ok(await kubectlSlow(['delete', 'deploy', 'web']));
      await eventually('no ReplicaSet or pod of web', async () => ok(await kubectl(['get', 'rs,pods', '-l', 'app=web', '-o', 'name'])), (o) => o === '', DEADLINE_MS);
      await eventually(
        'containers of web removed',
        async () => (await nodeContainers(docker, nodeName)).filter((c) => podNames.includes(c.podName)),
        (cs) => cs.length === 0,
        DEADLINE_MS,
      );
    }, 60_000);

    it('kubectl delete deploy --cascade=orphan leaves its ReplicaSet (owner removed) and pods running', async () => {
      ok(await kubectl(['apply', '-f', '-'], deployment('kept', 2)));
      await rolloutStatus('kept');
      const [rs] = (await getJson<List<ReplicaSet>>(['rs', '-l', 'app=kept'])).items;
      const podNames = (await livePods('kept')).map((p) => p.metadata.name).sort();
      ok(await kubectlSlow(['delete', 'deploy', 'kept', '--cascade=orphan']));
      await eventually('deployment kept gone', async () => (await kubectl(['get', 'deploy', 'kept', '-o', 'name'])).stderr, (e) => e.includes('NotFound'), DEADLINE_MS);
      const orphan = await eventually(
        'ReplicaSet without owner',
        () => getJson<ReplicaSet>(['rs', rs!.metadata.name]),
        (r) => (r.metadata.ownerReferences ?? []).length === 0,
        DEADLINE_MS,
      );
      expect(orphan.spec.replicas).toBe(2);
      const pods = await livePods('kept');
      expect(pods.map((p) => p.metadata.name).sort()).toEqual(podNames);
      expect(pods.every((p) => p.status?.phase === 'Running')).toBe(true);
      expect(pods.every((p) => p.metadata.ownerReferences?.[0]?.name === rs!.metadata.name)).toBe(true);
    }, 60_000);
  });

  describe('Jobs', () => {
    it('completions 5, parallelism 2: completes with never more than 2 active pods', async () => {
      const { initial, watch } = await watchPods('job=count');
      try {
        expect(initial).toEqual([]);
        ok(await kubectl(['apply', '-f', '-'], job('count', '  completions: 5\n  parallelism: 2', `["sleep", "1"]`)));
        ok(await kubectlSlow(['wait', '--for=condition=complete', '--timeout=60s', 'job/count']));
        await watch.until('5 succeeded pods in the watch', (evs) => [...replay(initial, evs).at(-1)!.values()].filter((p) => p.status?.phase === 'Succeeded').length >= 5);
        const active = replay(initial, watch.events).map((s) => [...s.values()].filter((p) => !isTerminating(p) && (p.status?.phase === 'Pending' || p.status?.phase === 'Running')).length);
        expect(Math.max(...active), `active pods per event: ${active.join(',')}`).toBe(2);
      } finally {
        watch.close();
      }
      expect(ok(await kubectl(['get', 'job', 'count', '-o', 'jsonpath={.status.succeeded}']))).toBe('5');
    }, 80_000);

    it('a failing Job with backoffLimit 1 fails with BackoffLimitExceeded', async () => {
      ok(await kubectl(['apply', '-f', '-'], job('fails', '  backoffLimit: 1', `["sh", "-c", "exit 1"]`)));
      ok(await kubectlSlow(['wait', '--for=condition=failed', '--timeout=60s', 'job/fails']));
      expect(ok(await kubectl(['get', 'job', 'fails', '-o', 'jsonpath={.status.conditions[?(@.type=="Failed")].reason}']))).toBe('BackoffLimitExceeded');
      expect(ok(await kubectl(['get', 'job', 'fails', '-o', 'jsonpath={.status.failed}']))).toBe('2');
    }, 80_000);
  });

  describe('a DaemonSet', () => {
    it('runs one pod on the node', async () => {
      ok(await kubectl(['apply', '-f', '-'], DAEMONSET));
      ok(await kubectlSlow(['rollout', 'status', 'ds/agent', '--timeout=60s']));
      const pods = await eventually('one agent pod Running', () => livePods('agent'), (ps) => ps.length === 1 && ps[0]!.status?.phase === 'Running', DEADLINE_MS);
      expect(pods[0]!.spec.nodeName).toBe(nodeName);
      expect(pods[0]!.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}`)).toEqual(['DaemonSet/agent']);
    }, 60_000);

    it('gets a pod on a second node that joins, and loses it when that Node object is deleted', async () => {
      const [, joinLine] = ok(await run(process.execPath, [kactusBin, 'token', 'create', '--kubeconfig', up!.kubeconfig])).trimEnd().split('\n');
      const dataDir = join(dir, 'n2');
      await mkdir(dataDir);
      const words = joinLine!.trim().split(/\s+/);
      expect(words.slice(0, 2)).toEqual(['kactus', 'node']);
      n2 = background(process.execPath, [kactusBin, ...words.slice(1).map((w) => (w === 'DIR' ? dataDir : w)), '--name', secondNode, '--runtime', 'docker']);
      await n2.waitFor(new RegExp(`kactus: node ${secondNode} joined`), DEADLINE_MS);
      const onNodes = (ps: Pod[]): string[] => ps.filter((p) => p.status?.phase === 'Running').map((p) => p.spec.nodeName ?? '').sort();
      await eventually('an agent pod Running on each node', () => livePods('agent'), (ps) => ps.length === 2 && onNodes(ps).join() === [nodeName, secondNode].sort().join(), DEADLINE_MS);
      // Stop the daemon first: a live one would register its Node again.
      await n2.kill('SIGKILL');
      ok(await kubectl(['delete', 'node', secondNode]));
      const left = await eventually('agent pods only on the first node', async () => (await getJson<List<Pod>>(['pods', '-l', 'app=agent'])).items, (ps) => ps.length === 1, DEADLINE_MS);
      expect(left[0]!.spec.nodeName).toBe(nodeName);
      expect(ok(await kubectl(['get', 'ds', 'agent', '-o', 'jsonpath={.status.desiredNumberScheduled}/{.status.numberReady}']))).toBe('1/1');
    }, 70_000);
  });
});
