/**
 * A partition that heals, from a user's seat: `kactus up` (short node-lifecycle graces) plus a
 * second `kactus node` on Docker. A ReplicaSet's pods run on the second node; its daemon is frozen
 * with SIGSTOP past both graces, so the master fails its pods (Failed, NodeLost, each through its
 * own pod actor) and the ReplicaSet replaces them on the first node. After SIGCONT the daemon
 * comes back: a watch kept over the whole run shows no pod ever leaving Failed, and the old pods'
 * containers are stopped on the second node (Docker lists them exited, not removed).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp } from '../support/docker.ts';
import { background, eventually, kactusBin, kubectlFor, ok, run, startKactusUp, uniqueName, watchApi, type ApiWatch, type Background, type KactusServer, type Kubectl } from './harness.ts';
import { nodeContainers, removeNodeLeftovers } from './node-containers.ts';

/** Node-monitor grace and pod eviction timeout (seconds): as in nodes.test.ts, 5 s leaves room for a late heartbeat. */
const GRACE_S = 5;
const EVICTION_S = 3;
/** Graces plus slack for heartbeat periods, controller ticks and a loaded machine. */
const NODE_LOST_DEADLINE_MS = (GRACE_S + EVICTION_S) * 1000 + 20_000;
const POD_DEADLINE_MS = 40_000;

const docker = dockerClient();
const enabled = dockerRequired() || (await isDockerUp(docker));
const firstNode = uniqueName('e2e-p1-');
const secondNode = uniqueName('e2e-p2-');
let dir: string;
let up: KactusServer | undefined;
let n2: Background | undefined;
let kubectl: Kubectl;
let watch: ApiWatch | undefined;

const replicaSet = `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: part
spec:
  replicas: 2
  selector:
    matchLabels: {app: part}
  template:
    metadata:
      labels: {app: part}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: main
        image: busybox
        command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`;

interface PodView {
  name: string;
  uid: string;
  node: string;
  phase: string;
  reason: string;
}

async function pods(): Promise<PodView[]> {
  const out = ok(await kubectl(['get', 'pods', '-l', 'app=part', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.metadata.uid} {.spec.nodeName} {.status.phase} {.status.reason}{"\\n"}{end}']));
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [name = '', uid = '', node = '', phase = '', reason = ''] = l.split(' ');
      return { name, uid, node, phase, reason };
    });
}

async function readyStatus(node: string): Promise<string> {
  const r = await kubectl(['get', 'node', node, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
  return r.code === 0 ? r.stdout : r.stderr;
}

/** Each pod's phases in watch order (uid → phases, repeats collapsed). */
function phaseHistory(w: ApiWatch): Map<string, string[]> {
  const history = new Map<string, string[]>();
  for (const e of w.events) {
    const meta = e.object.metadata as { uid?: string } | undefined;
    const phase = (e.object.status as { phase?: string } | undefined)?.phase ?? '';
    const uid = meta?.uid ?? '';
    const seen = history.get(uid) ?? [];
    if (seen.at(-1) !== phase) seen.push(phase);
    history.set(uid, seen);
  }
  return history;
}

describe.skipIf(!enabled)('a partition that heals', () => {
  beforeAll(async () => {
    await ensureBusyboxImage(docker);
    dir = await mkdtemp(join(tmpdir(), 'kactus-partition-'));
    up = await startKactusUp(join(dir, 'master'), {
      args: ['--node-name', firstNode, '--node-monitor-grace-period', String(GRACE_S), '--pod-eviction-timeout', String(EVICTION_S)],
    });
    kubectl = kubectlFor(up.kubeconfig, dir);
    const [, joinLine] = ok(await run(process.execPath, [kactusBin, 'token', 'create', '--kubeconfig', up.kubeconfig])).trimEnd().split('\n');
    const dataDir = join(dir, 'n2');
    await mkdir(dataDir);
    const words = joinLine!.trim().split(/\s+/).slice(1).map((w) => (w === 'DIR' ? dataDir : w));
    n2 = background(process.execPath, [kactusBin, ...words, '--name', secondNode, '--runtime', 'docker']);
    await n2.waitFor(new RegExp(`kactus: node ${secondNode} joined`), 30_000);
    await eventually('both nodes Ready', async () => [await readyStatus(firstNode), await readyStatus(secondNode)], (s) => s.every((r) => r === 'True'), 30_000);
  }, 90_000);

  afterAll(async () => {
    watch?.close();
    n2?.child.kill('SIGCONT');
    await n2?.kill('SIGKILL');
    await up?.proc.kill('SIGKILL');
    await removeNodeLeftovers(docker, secondNode);
    await removeNodeLeftovers(docker, firstNode);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('fails the frozen node\'s pods (NodeLost), replaces them, and after SIGCONT stops their containers; no pod leaves Failed', async () => {
    // Every pod event of the run, from before the ReplicaSet exists.
    watch = await watchApi(up!.kubeconfig, '/api/v1/namespaces/default/pods', { labelSelector: 'app=part', timeoutSeconds: '600' });
    // The ReplicaSet's first pods go to the second node: the first is cordoned meanwhile.
    ok(await kubectl(['cordon', firstNode]));
    expect(ok(await kubectl(['apply', '-f', '-'], replicaSet))).toContain('replicaset.apps/part created');
    const first = await eventually('2 pods Running on the second node', pods, (ps) => ps.length === 2 && ps.every((p) => p.phase === 'Running' && p.node === secondNode), POD_DEADLINE_MS);
    await eventually('their containers run', () => nodeContainers(docker, secondNode), (cs) => first.every((p) => cs.some((c) => c.podName === p.name && c.role === 'container' && c.state === 'running')));
    ok(await kubectl(['uncordon', firstNode]));

    // Partition: the second daemon freezes (its containers keep running in Docker).
    expect(n2!.child.kill('SIGSTOP')).toBe(true);
    await eventually('second node Unknown', () => readyStatus(secondNode), (s) => s === 'Unknown', NODE_LOST_DEADLINE_MS);
    const failed = await eventually(
      'its pods Failed with NodeLost',
      pods,
      (ps) => first.every((f) => ps.some((p) => p.uid === f.uid && p.phase === 'Failed' && p.reason === 'NodeLost')),
      NODE_LOST_DEADLINE_MS,
    );
    expect(failed.filter((p) => p.phase === 'Failed').map((p) => p.uid).sort()).toEqual(first.map((p) => p.uid).sort());
    const replacements = await eventually(
      'replaced on the first node',
      pods,
      (ps) => ps.filter((p) => p.phase === 'Running' && p.node === firstNode).length === 2,
      POD_DEADLINE_MS,
    );
    expect(replacements.filter((p) => p.phase === 'Running').every((p) => !first.some((f) => f.uid === p.uid))).toBe(true);

    // The partition heals: the daemon resumes, comes back Ready and stops the old pods' containers.
    expect(n2!.child.kill('SIGCONT')).toBe(true);
    await eventually('second node Ready again', () => readyStatus(secondNode), (s) => s === 'True', NODE_LOST_DEADLINE_MS);
    const stopped = await eventually(
      'the old containers stopped',
      () => nodeContainers(docker, secondNode),
      (cs) => first.every((p) => cs.some((c) => c.podName === p.name && c.role === 'container') && cs.filter((c) => c.podName === p.name && c.role === 'container').every((c) => c.state === 'exited')),
      POD_DEADLINE_MS,
    );
    expect(stopped.filter((c) => first.some((p) => p.name === c.podName) && c.role === 'container')).toHaveLength(2);
    const taints = ok(await kubectl(['get', 'node', secondNode, '-o', 'jsonpath={.spec.taints}']));
    expect(taints).not.toContain('node.kubernetes.io/unreachable');

    // Over the whole run, as the watch saw it: the old pods reached Failed and no pod ever left it.
    const after = await pods();
    for (const p of first) expect(after.find((a) => a.uid === p.uid)).toMatchObject({ phase: 'Failed', reason: 'NodeLost' });
    const history = phaseHistory(watch);
    for (const p of first) expect(history.get(p.uid)?.at(-1), p.name).toBe('Failed');
    for (const [uid, phases] of history) {
      const i = phases.findIndex((ph) => ph === 'Failed' || ph === 'Succeeded');
      if (i >= 0) expect(phases.slice(i), uid).toEqual([phases[i]]);
    }
  }, 180_000);
});
