/**
 * The scheduler from a user's seat: the real kubectl against `kactus up --runtime hollow
 * --nodes 4` (five nodes of 4 cpu). A Deployment with required pod anti-affinity on
 * `kubernetes.io/hostname` and a hostname spread constraint puts one replica per node, and a
 * sixth is refused with kube-scheduler's words; then, on a cluster full of low-priority pods, a
 * pod of a higher PriorityClass preempts one of them and runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubectlFor, ok, startKactusUp, uniqueName, type KactusServer, type Kubectl } from './harness.ts';

const DEADLINE_MS = 20_000;
const localNode = uniqueName('e2e-s-');
let dir: string;
let up: KactusServer | undefined;
let kubectl: Kubectl;

interface PodView {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { nodeName?: string; priority?: number };
  status: { phase?: string; nominatedNodeName?: string; conditions?: { type: string; status: string; message?: string }[] };
}

const pods = async (selector: string): Promise<PodView[]> => (JSON.parse(ok(await kubectl(['get', 'pods', '-l', selector, '-o', 'json']))) as { items: PodView[] }).items;

const spread = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: spread
spec:
  replicas: 5
  selector:
    matchLabels: { app: spread }
  template:
    metadata:
      labels: { app: spread }
    spec:
      terminationGracePeriodSeconds: 0
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - topologyKey: kubernetes.io/hostname
            labelSelector:
              matchLabels: { app: spread }
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: kubernetes.io/hostname
        whenUnsatisfiable: DoNotSchedule
        labelSelector:
          matchLabels: { app: spread }
      containers:
      - name: app
        image: busybox
        command: ["sleep", "3600"]
`;

const classes = `apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: low
value: 10
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: high
value: 1000
description: preempts low
`;

const filler = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: filler
spec:
  replicas: 5
  selector:
    matchLabels: { app: filler }
  template:
    metadata:
      labels: { app: filler }
    spec:
      priorityClassName: low
      terminationGracePeriodSeconds: 0
      containers:
      - name: app
        image: busybox
        command: ["sleep", "3600"]
        resources:
          requests: { cpu: "3" }
`;

const vip = `apiVersion: v1
kind: Pod
metadata:
  name: vip
  labels: { app: vip }
spec:
  priorityClassName: high
  terminationGracePeriodSeconds: 0
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    resources:
      requests: { cpu: "2" }
`;

describe('scheduling with kubectl: anti-affinity, spreading, priority and preemption', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-e2e-sched-'));
    up = await startKactusUp(join(dir, 'data'), { args: ['--runtime', 'hollow', '--nodes', '4', '--node-name', localNode, '--pod-network', 'none'] });
    kubectl = kubectlFor(up.kubeconfig, dir);
    await eventually(
      'five Ready nodes',
      async () => ok(await kubectl(['get', 'nodes', '--no-headers'])),
      (out) => out.trim().split('\n').filter((l) => / Ready /.test(l)).length === 5,
      DEADLINE_MS,
    );
  }, 60_000);

  afterAll(async () => {
    await up?.proc.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  it('one replica per node under required anti-affinity and a spread constraint; the sixth is refused in kube-scheduler\'s words', async () => {
    ok(await kubectl(['apply', '-f', '-'], spread));
    const placed = await eventually('5 replicas bound', () => pods('app=spread'), (ps) => ps.length === 5 && ps.every((p) => p.spec.nodeName), DEADLINE_MS);
    expect(new Set(placed.map((p) => p.spec.nodeName)).size).toBe(5);

    ok(await kubectl(['scale', 'deployment/spread', '--replicas', '6']));
    const pending = await eventually(
      'the sixth unschedulable',
      () => pods('app=spread'),
      (ps) => ps.some((p) => p.status.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False')),
      DEADLINE_MS,
    );
    const message = pending.flatMap((p) => p.status.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status === 'False')?.message;
    expect(message).toBe("0/5 nodes are available: 5 node(s) didn't match pod anti-affinity rules. preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod..");
    ok(await kubectl(['delete', 'deployment', 'spread']));
  });

  it('a pod of a higher PriorityClass preempts a lower one on a full cluster', async () => {
    ok(await kubectl(['apply', '-f', '-'], classes));
    expect(ok(await kubectl(['get', 'priorityclass', 'high', '--no-headers']))).toMatch(/^high\s+1000\s+false\s+\S+\s+PreemptLowerPriority/);
    ok(await kubectl(['apply', '-f', '-'], filler));
    const fillers = await eventually('5 fillers Running, one per node', () => pods('app=filler'), (ps) => ps.length === 5 && ps.every((p) => p.status.phase === 'Running'), DEADLINE_MS);
    expect(fillers.every((p) => p.spec.priority === 10)).toBe(true);

    ok(await kubectl(['apply', '-f', '-'], vip));
    const [running] = await eventually('vip Running', () => pods('app=vip'), (ps) => ps[0]?.status.phase === 'Running', DEADLINE_MS);
    expect(running?.spec.priority).toBe(1000);
    const events = ok(await kubectl(['get', 'events', '--field-selector', 'reason=Preempted', '-o', 'jsonpath={range .items[*]}{.involvedObject.name} {.message}{"\\n"}{end}']));
    expect(events).toMatch(new RegExp(`^filler-\\S+ Preempted by pod \\S+ on node ${running?.spec.nodeName ?? ''}$`, 'm'));
    // The victim's replacement (low priority) finds no room: 4 fillers + vip run.
    const after = await eventually('a filler pending', () => pods('app=filler'), (ps) => ps.filter((p) => p.status.phase === 'Running').length === 4 && ps.some((p) => !p.spec.nodeName), DEADLINE_MS);
    expect(after.filter((p) => p.spec.nodeName === running?.spec.nodeName && p.status.phase === 'Running')).toHaveLength(0);
  });
});
