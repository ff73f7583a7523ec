/**
 * The HPA controller's I/O, through the Registry: read and write the target's /scale, write
 * the HPA's status, record Events.
 */
import { findKind, findResource, type ResourceInfo } from '../../api/kinds.ts';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import type { Registry } from '../../registry/registry.ts';
import type { Scale } from '../../registry/types.ts';
import { refTo, type EventSink, type EventType } from '../../registry/event-recorder.ts';
import { retryOnConflict } from '../../registry/retry-on-conflict.ts';

export const HPAS = findResource('autoscaling', 'v2', 'horizontalpodautoscalers') as ResourceInfo;

/** The target kind has no /scale (or is not served). */
export class UnscalableTargetError extends Error {
  override readonly name = 'UnscalableTargetError';
}

export class HpaEffects {
  constructor(
    private readonly registry: Registry,
    private readonly events: EventSink,
  ) {}

  /** The scale target's resource; throws UnscalableTargetError. */
  targetInfo(apiVersion: string, kind: string): ResourceInfo {
    const info = findKind(apiVersion, kind);
    if (!info || !info.subresources.includes('scale')) throw new UnscalableTargetError(`the server could not find the requested resource (${kind} in ${apiVersion || 'no apiVersion'} has no scale subresource)`);
    return info;
  }

  getScale(info: ResourceInfo, namespace: string, name: string): Promise<Scale> {
    return this.registry.getScale(info, namespace, name);
  }

  /** Sets spec.replicas, compare-and-swap against the Scale read (a conflict is retried by the queue). */
  async updateScale(info: ResourceInfo, namespace: string, scale: Scale, replicas: number): Promise<void> {
    await this.registry.updateScale(info, namespace, scale.metadata?.name ?? '', { ...scale, spec: { replicas } });
  }

  async writeStatus(hpa: KubeObject, status: JsonObject): Promise<void> {
    const ns = hpa.metadata?.namespace;
    const name = hpa.metadata?.name ?? '';
    await retryOnConflict(async () => {
      const current = await this.registry.get(HPAS, ns, name);
      if (current.metadata?.uid !== hpa.metadata?.uid) return;
      await this.registry.updateStatus(HPAS, ns, name, { ...current, status });
    });
  }

  record(hpa: KubeObject, type: EventType, reason: string, message: string): void {
    void this.events.record(refTo(hpa), type, reason, message);
  }
}
