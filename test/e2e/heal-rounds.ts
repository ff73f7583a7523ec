/**
 * One round of each fault a self-healing run injects into a heal cluster (heal-cluster.ts), with
 * its figures: times are measured from the fault to what an API watch shows (checked on every
 * event, so the figure is not a polling period late).
 */
import { eventually, watchApi, type ApiWatch, type ApiWatchEvent } from './harness.ts';
import { nodesReady, podRows, runningPods, watchIdentities, type HealCluster, type HealNode } from './heal-cluster.ts';

/** A Deployment whose pods ask for a little CPU, so the scheduler spreads them over the nodes. */
export function deployment(name: string, replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: busybox
        command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
        resources: {requests: {cpu: 100m}}
`;
}

/** A StatefulSet (and its headless Service) of `replicas` identities `<name>-<ordinal>`. */
export function statefulSet(name: string, replicas: number): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  clusterIP: None
  selector: {app: ${name}}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ${name}}
spec:
  serviceName: ${name}
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: busybox
        command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
        resources: {requests: {cpu: 100m}}
`;
}

interface PodView {
  uid: string;
  name: string;
  node: string;
  phase: string;
  labels: Record<string, string>;
  deleting: boolean;
}

/** Every pod as the watch has it now (deleted ones gone). */
function podsNow(events: readonly ApiWatchEvent[]): PodView[] {
  const byUid = new Map<string, PodView>();
  for (const e of events) {
    const meta = e.object.metadata as { uid: string; name: string; labels?: Record<string, string>; deletionTimestamp?: string };
    if (e.type === 'DELETED') {
      byUid.delete(meta.uid);
      continue;
    }
    if (e.type !== 'ADDED' && e.type !== 'MODIFIED') continue;
    const spec = e.object.spec as { nodeName?: string };
    const status = e.object.status as { phase?: string } | undefined;
    byUid.set(meta.uid, { uid: meta.uid, name: meta.name, node: spec.nodeName ?? '', phase: status?.phase ?? '', labels: meta.labels ?? {}, deleting: meta.deletionTimestamp !== undefined });
  }
  return [...byUid.values()];
}

function matches(pod: PodView, selector: string): boolean {
  const [key, value] = selector.split('=');
  return pod.labels[key!] === value;
}

const runningOn = (pods: PodView[], selector: string, node: string) => pods.filter((p) => matches(p, selector) && p.node === node && p.phase === 'Running' && !p.deleting);

/** Resolves with ms since `t0` once the watch satisfies `accept`. */
async function msUntil(watch: ApiWatch, what: string, t0: number, accept: (pods: PodView[]) => boolean, timeoutMs = 60_000): Promise<number> {
  await watch.until(what, (events) => accept(podsNow(events)), timeoutMs);
  return performance.now() - t0;
}

/** Waits until `replicas` pods of `selector` are Running (not being deleted), and returns them. */
async function settled(cluster: HealCluster, selector: string, replicas: number): Promise<{ name: string; node: string }[]> {
  const rows = await eventually(
    `${replicas} pods ${selector} Running`,
    () => podRows(cluster.kubectl, selector),
    (pods) => pods.filter((p) => p.phase === 'Running' && !p.deleting).length === replicas && pods.every((p) => p.phase === 'Running' || p.phase === 'Failed' || p.deleting),
    60_000,
  );
  return rows.filter((p) => p.phase === 'Running' && !p.deleting);
}

function busiest(cluster: HealCluster, pods: { node: string }[]): { victim: number; survivor: number } {
  const counts = cluster.nodes.map((n) => pods.filter((p) => p.node === n.name).length);
  const victim = counts.indexOf(Math.max(...counts));
  return { victim, survivor: victim === 0 ? 1 : 0 };
}

/** A watch on the namespace's pods, once it has delivered `pods` (the current state) as they are now. */
async function openPodWatch(cluster: HealCluster, pods: { name: string }[]): Promise<ApiWatch> {
  const watch = await watchApi(cluster.master.kubeconfig, '/api/v1/namespaces/default/pods', {});
  await watch.until('the current pods', (events) => pods.every((p) => podsNow(events).some((v) => v.name === p.name && v.phase === 'Running')));
  return watch;
}

/** Whether the watch saw one of `uids` reported Failed (it may be deleted right after). */
const sawFailed = (events: readonly ApiWatchEvent[], uids: ReadonlySet<string>) =>
  events.some((e) => e.type !== 'DELETED' && uids.has((e.object.metadata as { uid: string }).uid) && (e.object.status as { phase?: string } | undefined)?.phase === 'Failed');

/** ms from `t0` until the Node's Ready condition leaves True. */
async function notReadyAfter(cluster: HealCluster, node: HealNode, t0: number): Promise<number> {
  const watch = await watchApi(cluster.master.kubeconfig, '/api/v1/nodes', { fieldSelector: `metadata.name=${node.name}` });
  try {
    await watch.until(`${node.name} not Ready`, (events) =>
      events.some((e) => ((e.object.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status !== 'True')),
    60_000);
    return performance.now() - t0;
  } finally {
    watch.close();
  }
}

export interface KillRound {
  victim: string;
  survivor: string;
  /** From the kill to every replica Running on the survivor. */
  healedMs: number;
  notReadyMs: number;
  /** With a StatefulSet: the identities the victim ran at the kill, until all run on the survivor, kernel samples, and every moment one ran on two nodes. */
  victimIdentities?: number;
  statefulHealedMs?: number;
  samples?: number;
  doubles?: string[];
}

/**
 * kill -9 of the node daemon holding most of the replicas (with `statefulSet`: of its
 * identities); measures until all of them run on the other node; then starts the daemon again on
 * its data dir (its leftover processes are killed as its runtime opens) and waits until every
 * node is Ready. With `statefulSet` the kernel is sampled every 100 ms over the whole round for an
 * identity running on two nodes: the killed daemon's pods outlive it, and only its fence watchdog
 * stops them before the masters fail them.
 */
export async function killNodeRound(cluster: HealCluster, selector: string, replicas: number, opts: { statefulSet?: { name: string; selector: string; replicas: number } } = {}): Promise<KillRound> {
  await nodesReady(cluster);
  const pods = await settled(cluster, selector, replicas);
  const stateful = opts.statefulSet ? await settled(cluster, opts.statefulSet.selector, opts.statefulSet.replicas) : [];
  const { victim, survivor } = busiest(cluster, opts.statefulSet ? stateful : pods);
  const victimNode = cluster.nodes[victim]!;
  const survivorNode = cluster.nodes[survivor]!;
  const identity = opts.statefulSet ? new RegExp(`^${opts.statefulSet.name}-\\d+$`) : undefined;
  const identities = identity ? watchIdentities(() => cluster.nodes, (pod) => identity.test(pod)) : undefined;
  const watch = await openPodWatch(cluster, [...pods, ...stateful]);
  try {
    const t0 = performance.now();
    const notReady = notReadyAfter(cluster, victimNode, t0);
    await victimNode.proc.kill('SIGKILL');
    const statefulHealed = opts.statefulSet
      ? msUntil(watch, `${opts.statefulSet.replicas} identities on ${survivorNode.name}`, t0, (now) => runningOn(now, opts.statefulSet!.selector, survivorNode.name).length >= opts.statefulSet!.replicas)
      : undefined;
    const healedMs = await msUntil(watch, `${replicas} replicas Running on ${survivorNode.name}`, t0, (now) => runningOn(now, selector, survivorNode.name).length >= replicas);
    const notReadyMs = await notReady;
    const statefulHealedMs = await statefulHealed;
    await cluster.startNode(victim);
    await nodesReady(cluster);
    const round: KillRound = { victim: victimNode.name, survivor: survivorNode.name, healedMs, notReadyMs };
    if (identities && opts.statefulSet) {
      await settled(cluster, opts.statefulSet.selector, opts.statefulSet.replicas);
      const { samples, doubles } = await identities.stop();
      Object.assign(round, { victimIdentities: stateful.filter((p) => p.node === victimNode.name).length, statefulHealedMs, samples, doubles });
    }
    return round;
  } finally {
    watch.close();
    await identities?.stop();
  }
}

export interface PartitionRound {
  victim: string;
  survivor: string;
  /** The victim's share at the cut: Deployment replicas and StatefulSet identities it ran. */
  victimReplicas: number;
  victimIdentities: number;
  /** From the cut until no process of the victim's pods runs (the node fenced itself). */
  fencedMs: number;
  /** From the cut until the first of the victim's pods is Failed in the API. */
  failedMs: number;
  /** Until every Deployment replica runs on the survivor. */
  healedMs: number;
  /** Until every StatefulSet identity runs on the survivor. */
  statefulHealedMs: number;
  /** Kernel samples taken, and every moment an identity ran on two nodes. */
  samples: number;
  doubles: string[];
}

/**
 * Cuts off the node holding most StatefulSet pods (its link down), measures the fence, the
 * failure and the replacements, heals the link and waits until the node is Ready again, with
 * the kernel sampled every 100 ms for identities running on two nodes.
 */
export async function partitionRound(
  cluster: HealCluster,
  opts: { deployment: { name: string; selector: string; replicas: number }; statefulSet: { name: string; selector: string; replicas: number } },
): Promise<PartitionRound> {
  await nodesReady(cluster);
  const stateful = await settled(cluster, opts.statefulSet.selector, opts.statefulSet.replicas);
  const { victim, survivor } = busiest(cluster, stateful);
  const victimNode = cluster.nodes[victim]!;
  const survivorNode = cluster.nodes[survivor]!;
  let replicas = await settled(cluster, opts.deployment.selector, opts.deployment.replicas);
  if (!replicas.some((p) => p.node === victimNode.name)) {
    // An earlier round left every replica on the other node: a rollout spreads them again.
    await cluster.kubectl(['rollout', 'restart', `deployment/${opts.deployment.name}`]);
    await eventually('the rollout', async () => (await cluster.kubectl(['rollout', 'status', `deployment/${opts.deployment.name}`, '--timeout=60s'])).code, (code) => code === 0, 90_000);
    replicas = await settled(cluster, opts.deployment.selector, opts.deployment.replicas);
  }
  const identity = new RegExp(`^${opts.statefulSet.name}-\\d+$`);
  const identities = watchIdentities(() => cluster.nodes, (pod) => identity.test(pod));
  const watch = await openPodWatch(cluster, [...stateful, ...replicas]);
  const onVictim = new Set(podsNow(watch.events).filter((p) => p.node === victimNode.name && p.phase === 'Running' && !p.deleting).map((p) => p.uid));
  let healed = false;
  try {
    const t0 = performance.now();
    await cluster.partition(victim, true);
    const fenced = (async () => {
      for (;;) {
        const running = await runningPods([victimNode]);
        if ((running.get(victimNode.name) ?? []).length === 0) return performance.now() - t0;
        if (performance.now() - t0 > 60_000) throw new Error(`${victimNode.name} still runs pods 60 s after the cut`);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const failed = watch.until(`a pod of ${victimNode.name} Failed`, (events) => sawFailed(events, onVictim), 60_000).then(() => performance.now() - t0);
    const statefulHealed = msUntil(watch, `${opts.statefulSet.replicas} identities on ${survivorNode.name}`, t0, (now) => runningOn(now, opts.statefulSet.selector, survivorNode.name).length >= opts.statefulSet.replicas);
    const healedMs = await msUntil(watch, `${opts.deployment.replicas} replicas on ${survivorNode.name}`, t0, (now) => runningOn(now, opts.deployment.selector, survivorNode.name).length >= opts.deployment.replicas);
    const [fencedMs, failedMs, statefulHealedMs] = await Promise.all([fenced, failed, statefulHealed]);
    await cluster.partition(victim, false);
    healed = true;
    await nodesReady(cluster);
    // The node is back: whatever it still held of the failed pods must not run again.
    await settled(cluster, opts.statefulSet.selector, opts.statefulSet.replicas);
    const { samples, doubles } = await identities.stop();
    return {
      victim: victimNode.name,
      survivor: survivorNode.name,
      victimReplicas: replicas.filter((p) => p.node === victimNode.name).length,
      victimIdentities: stateful.filter((p) => p.node === victimNode.name).length,
      fencedMs, failedMs, healedMs, statefulHealedMs, samples, doubles };
  } finally {
    watch.close();
    if (!healed) await cluster.partition(victim, false).catch(() => undefined);
    await identities.stop();
  }
}
