/**
 * `endpoints.kubernetes.io/last-change-trigger-time` (Kubernetes' TriggerTimeTracker,
 * pkg/controller/util/endpoint/trigger_time_tracker.go): the time of the earliest change, among
 * the changes not yet written, that this write of a Service's endpoints reflects — the pods'
 * readiness transitions and the Service's creation. Consumers measure endpoint propagation
 * latency from it.
 */
import type { Pod, Service } from 'kubernetes-types/core/v1.d.ts';

interface ServiceState {
  /** Epoch ms of each pod's last trigger (Ready transition), by pod name. */
  podTriggerTimes: Map<string, number>;
  serviceTriggerTime: number;
}

export class TriggerTimeTracker {
  private readonly states = new Map<string, ServiceState>();

  /**
   * The trigger time to stamp on the write following this sync of `service` with `pods` (RFC
   * 3339 as Go's RFC3339Nano prints it), or undefined when nothing changed since the last sync.
   * A Service seen for the first time answers its creation time. Updates the remembered state.
   */
  compute(key: string, service: Service, pods: readonly Pod[]): string | undefined {
    const state = this.states.get(key);
    let minChanged = Infinity;
    const podTriggerTimes = new Map<string, number>();
    for (const pod of pods) {
      const t = podTriggerTime(pod);
      if (t === undefined) continue;
      const name = pod.metadata?.name ?? '';
      podTriggerTimes.set(name, t);
      if (t > (state?.podTriggerTimes.get(name) ?? -Infinity)) minChanged = Math.min(minChanged, t);
    }
    const serviceTriggerTime = parseTime(service.metadata?.creationTimestamp) ?? 0;
    if (serviceTriggerTime > (state?.serviceTriggerTime ?? -Infinity)) minChanged = Math.min(minChanged, serviceTriggerTime);
    this.states.set(key, { podTriggerTimes, serviceTriggerTime });
    if (!state) return serviceTriggerTime ? rfc3339Nano(serviceTriggerTime) : undefined;
    return Number.isFinite(minChanged) ? rfc3339Nano(minChanged) : undefined;
  }

  /** Forgets a deleted Service. */
  forget(key: string): void {
    this.states.delete(key);
  }
}

/** A pod's trigger: the last transition of its Ready condition. */
function podTriggerTime(pod: Pod): number | undefined {
  return parseTime((pod.status?.conditions ?? []).find((c) => c.type === 'Ready')?.lastTransitionTime);
}

function parseTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** Go's time.RFC3339Nano in UTC: `2006-01-02T15:04:05.999999999Z`, trailing zeros of the fraction dropped. */
export function rfc3339Nano(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}
