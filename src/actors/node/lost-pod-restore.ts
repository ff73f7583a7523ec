/**
 * A stored pod as a pod machine on the master: the machine's input from the pod's spec, and the
 * runtime facts that bring a fresh machine to where the stored status says the pod is (sandbox
 * up, each container running, exited or backing off, a delete under way). The node that reported
 * that status is gone, so its last report is all there is to know; replaying it through the
 * machine's own events keeps the master on the pod machine's public vocabulary (its input and
 * facts), whatever the machine's inside looks like. Pure: no I/O.
 */
import type { PodFactEvent, PodMachineInput, RestartPolicy } from '../pod/events.ts';
import { isRecord, optionalRecord, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';

const RESTART_POLICIES: readonly RestartPolicy[] = ['Always', 'OnFailure', 'Never'];
/** Kubernetes' default terminationGracePeriodSeconds. */
const DEFAULT_GRACE_SECONDS = 30;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Epoch ms of a Kubernetes time, or undefined. */
function epochMs(v: unknown): number | undefined {
  const t = Date.parse(str(v) ?? '');
  return Number.isNaN(t) ? undefined : t;
}

/**
 * The pod machine's input for a stored pod. No probes: nothing runs on the master, and a lost
 * pod's fate does not depend on them.
 */
export function lostPodInput(pod: KubeObject): PodMachineInput {
  const spec = optionalRecord(pod, 'spec') ?? {};
  const status = optionalRecord(pod, 'status');
  const scheduled = recordList(status, 'conditions').find((c) => c.type === 'PodScheduled' && c.status === 'True');
  const scheduledAt = epochMs(scheduled?.lastTransitionTime);
  const policy = str(spec.restartPolicy);
  const grace = spec.terminationGracePeriodSeconds;
  return {
    namespace: pod.metadata?.namespace ?? 'default',
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid ?? '',
    nodeName: str(spec.nodeName),
    ...(scheduledAt === undefined ? {} : { scheduledAt }),
    restartPolicy: RESTART_POLICIES.find((p) => p === policy) ?? 'Always',
    terminationGracePeriodSeconds: typeof grace === 'number' ? grace : DEFAULT_GRACE_SECONDS,
    containers: recordList(spec, 'containers').map((c) => ({ name: str(c.name) ?? '', image: str(c.image) ?? '' })),
  };
}

/** The facts of one container's last report: started, and exited if its last run ended. */
function containerFacts(name: string, cs: JsonObject | undefined, fallbackAt: number): PodFactEvent[] {
  const state = optionalRecord(cs, 'state');
  const containerID = str(cs?.containerID);
  const id = containerID === undefined ? {} : { containerID };
  const running = optionalRecord(state, 'running');
  if (running) return [{ type: 'container.started', name, at: epochMs(running.startedAt) ?? fallbackAt, ...id }];
  // A finished run: the current state, or (waiting to restart) the last one.
  const terminated = optionalRecord(state, 'terminated') ?? optionalRecord(optionalRecord(cs, 'lastState'), 'terminated');
  if (!terminated) return [];
  const finishedAt = epochMs(terminated.finishedAt) ?? fallbackAt;
  const exitCode = typeof terminated.exitCode === 'number' ? terminated.exitCode : 0;
  return [
    { type: 'container.started', name, at: epochMs(terminated.startedAt) ?? finishedAt, ...id },
    { type: 'container.exited', name, at: finishedAt, exitCode, oomKilled: terminated.reason === 'OOMKilled' },
  ];
}

/**
 * The facts that take a new pod machine (input from `lostPodInput`) to the stored pod's state:
 * `sandbox.created` once the pod started, each container's last run, and `pod.delete` when the
 * pod is being deleted. Times come from the status (`fallbackAt` where it has none).
 */
export function factsFromStoredPod(pod: KubeObject, fallbackAt: number): PodFactEvent[] {
  const status = optionalRecord(pod, 'status');
  const facts: PodFactEvent[] = [];
  const podIP = str(status?.podIP);
  if (status?.startTime !== undefined || podIP !== undefined) {
    facts.push({ type: 'sandbox.created', at: epochMs(status?.startTime) ?? fallbackAt, ...(podIP === undefined ? {} : { podIP }) });
    const statuses = recordList(status, 'containerStatuses');
    for (const c of recordList(optionalRecord(pod, 'spec'), 'containers')) {
      const name = str(c.name) ?? '';
      facts.push(...containerFacts(name, statuses.find((s) => isRecord(s) && s.name === name), fallbackAt));
    }
  }
  const deletedAt = epochMs(pod.metadata?.deletionTimestamp);
  if (deletedAt !== undefined) {
    const grace = pod.metadata?.deletionGracePeriodSeconds;
    facts.push({ type: 'pod.delete', at: deletedAt, ...(typeof grace === 'number' ? { gracePeriodSeconds: grace } : {}) });
  }
  return facts;
}
